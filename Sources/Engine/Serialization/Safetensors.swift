/// A set of named tensors loaded from safetensors, with the file's string metadata.
public struct SafetensorsFile: Sendable {
    /// Tensors by name.
    public let tensors: [String: Tensor]
    /// Tensor names in the order the header lists them.
    public let names: [String]
    /// The `__metadata__` map (empty when absent).
    public let metadata: [String: String]

    /// (name, tensor) pairs in header order.
    public var ordered: [(name: String, tensor: Tensor)] {
        names.compactMap { name in tensors[name].map { (name, $0) } }
    }

    public subscript(name: String) -> Tensor? { tensors[name] }
}

/// The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
/// header length N, N bytes of UTF-8 JSON describing each tensor's dtype, shape and byte range,
/// then the raw row-major little-endian data.
///
///     try Safetensors.write([("w", w), ("b", b)], metadata: ["epoch": "3"], to: "model.safetensors")
///     let file = try Safetensors.read(path: "model.safetensors")
///     let w2 = file["w"]
///
/// Reading validates the whole header before allocating anything, and every byte range against
/// the file size, so a corrupt or hostile file produces an error naming the file and the field,
/// never a crash or an oversized allocation. Writing is atomic (temporary file, then rename).
public enum Safetensors {
    static let op = "safetensors"

    // MARK: Writing

    /// Writes `tensors` in the given order (any layout; stored contiguous) to `path`, atomically.
    public static func write(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:],
                             to path: String) throws {
        let (header, data) = try prepare(tensors, metadata: metadata)
        try FileIO.writeAtomically(path: path, op: op) { file in
            try file.write(lengthPrefix(header.count))
            try file.write(header)
            for t in data { try file.write(t.storage.bytes + t.offset * t.dtype.itemSize, count: t.numel * t.dtype.itemSize) }
        }
    }

    /// Writes `tensors` sorted by name.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to path: String) throws {
        try write(sortedPairs(tensors), metadata: metadata, to: path)
    }

    /// The bytes of a safetensors file holding `tensors` in the given order.
    public static func encode(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:]) throws -> [UInt8] {
        let (header, data) = try prepare(tensors, metadata: metadata)
        var out = lengthPrefix(header.count) + header
        out.reserveCapacity(out.count + data.reduce(0) { $0 + $1.numel * $1.dtype.itemSize })
        for t in data {
            out.append(contentsOf: UnsafeRawBufferPointer(start: t.storage.bytes + t.offset * t.dtype.itemSize,
                                                          count: t.numel * t.dtype.itemSize))
        }
        return out
    }

    /// The bytes of a safetensors file holding `tensors` sorted by name.
    public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:]) throws -> [UInt8] {
        try encode(sortedPairs(tensors), metadata: metadata)
    }

    // MARK: Reading

    /// Loads every tensor of the file at `path`.
    public static func read(path: String) throws -> SafetensorsFile {
        let file = try FileIO.Reader(path: path, op: op)
        let prefix = try file.bytes(count: min(8, file.size), at: 0)
        let n = try SafetensorsHeader.headerLength(prefix: prefix, totalSize: file.size, source: path)
        let header = try file.bytes(count: n, at: 8)
        let dataStart = 8 + n
        return try load(header, bufferSize: file.size - dataStart, source: path) { destination, begin, count in
            try file.read(into: destination, count: count, at: dataStart + begin)
        }
    }

    /// Loads every tensor from the bytes of a safetensors file. `source` names it in errors.
    public static func decode(_ bytes: [UInt8], source: String = "<memory>") throws -> SafetensorsFile {
        let n = try SafetensorsHeader.headerLength(prefix: Array(bytes.prefix(8)), totalSize: bytes.count, source: source)
        let dataStart = 8 + n
        return try bytes.withUnsafeBytes { raw in
            try load(Array(bytes[8..<dataStart]), bufferSize: bytes.count - dataStart, source: source) { destination, begin, count in
                if count > 0, let base = raw.baseAddress { destination.copyMemory(from: base + dataStart + begin, byteCount: count) }
            }
        }
    }

    // MARK: Shared

    private static func lengthPrefix(_ n: Int) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: UInt64(n) >> (8 * UInt64($0))) }
    }

    private static func sortedPairs(_ tensors: [String: Tensor]) -> [(name: String, tensor: Tensor)] {
        tensors.keys.sorted().compactMap { name in tensors[name].map { (name, $0) } }
    }

    /// Validates names and makes every tensor contiguous; returns the header and the data tensors.
    private static func prepare(_ tensors: [(name: String, tensor: Tensor)],
                                metadata: [String: String]) throws -> (header: [UInt8], data: [Tensor]) {
        var seen = Set<String>()
        var items: [(name: String, dtype: DType, shape: [Int], byteCount: Int)] = []
        var data: [Tensor] = []
        var total = 0
        for (name, tensor) in tensors {
            let t = SafetensorsHeader.quoted(name)
            guard name != SafetensorsHeader.metadataKey else {
                throw EngineError(op, "tensor name \(t) is reserved for metadata")
            }
            guard seen.insert(name).inserted else { throw EngineError(op, "tensor \(t): duplicate name") }
            let contiguous = tensor.isContiguous ? tensor : try tensor.castCopy(to: tensor.dtype)
            let bytes = contiguous.numel * contiguous.dtype.itemSize
            let (sum, overflow) = total.addingReportingOverflow(bytes)
            guard !overflow else { throw EngineError(op, "total data size overflows") }
            total = sum
            items.append((name, contiguous.dtype, contiguous.shape, bytes))
            data.append(contiguous)
        }
        return (SafetensorsHeader.build(items, metadata: metadata), data)
    }

    /// Validates the header, then allocates each tensor and fills it with `copy(destination,
    /// begin, count)` (begin relative to the data buffer, already checked in range).
    private static func load(_ header: [UInt8], bufferSize: Int, source: String,
                             copy: (UnsafeMutableRawPointer, Int, Int) throws -> Void) throws -> SafetensorsFile {
        let layout = try SafetensorsHeader.parse(header, bufferSize: bufferSize, source: source)
        var tensors: [String: Tensor] = [:]
        for e in layout.entries {
            let t = try Tensor(shape: e.shape, dtype: e.dtype, zeroed: false, op: op)
            try copy(t.storage.bytes, e.begin, e.end - e.begin)
            if e.dtype == .bool {
                // The engine relies on bools being exactly 0 or 1.
                let p = t.storage.typed(UInt8.self)
                for i in 0..<t.numel where p[i] > 1 { p[i] = 1 }
            }
            tensors[e.name] = t
        }
        return SafetensorsFile(tensors: tensors, names: layout.entries.map(\.name), metadata: layout.metadata)
    }
}

#if _endian(big)
#error("Safetensors reads and writes little-endian data; big-endian hosts need byte swapping")
#endif
