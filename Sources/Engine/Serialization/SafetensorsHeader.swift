/// The JSON header of a safetensors file: building it when writing, and parsing plus fully
/// validating it when reading, before any tensor memory is allocated.
enum SafetensorsHeader {
    /// Largest header accepted when reading (the reference implementation's limit).
    static let maxHeaderBytes = 100_000_000
    static let metadataKey = "__metadata__"
    /// Longest JSON array accepted in a header: far above any real rank, and it keeps a hostile
    /// header of `[0,0,0,...]` from costing gigabytes of parse tree.
    static let maxArrayLength = 1024

    /// One tensor as described by the header. `begin..<end` is relative to the data buffer.
    struct Entry {
        let name: String
        let dtype: DType
        let shape: [Int]
        let begin: Int
        let end: Int
    }

    /// A validated header: entries in header order, and the metadata.
    struct Layout {
        let entries: [Entry]
        let metadata: [String: String]
    }

    static func error(_ what: String, _ source: String) -> EngineError {
        EngineError("safetensors", "\(what) (in \(source))")
    }

    static func quoted(_ name: String) -> String { JSONWriter.quote(name) }

    // MARK: Reading

    /// The header length N from the 8-byte little-endian prefix, checked against the total size
    /// of the file (or byte buffer) and the header cap.
    static func headerLength(prefix: [UInt8], totalSize: Int, source: String) throws -> Int {
        guard totalSize >= 8, prefix.count >= 8 else {
            throw error("file is \(totalSize) bytes; a safetensors file starts with an 8-byte header length", source)
        }
        var n: UInt64 = 0
        for k in 0..<8 { n |= UInt64(prefix[k]) << (8 * UInt64(k)) }
        guard n <= UInt64(maxHeaderBytes) else {
            throw error("header length \(n) exceeds the \(maxHeaderBytes)-byte limit", source)
        }
        guard n <= UInt64(totalSize - 8) else {
            throw error("header length \(n) is larger than the \(totalSize - 8) bytes after the length prefix", source)
        }
        return Int(n)
    }

    /// Parses and validates `header` for a data buffer of `bufferSize` bytes. Members are checked
    /// as they are read, so memory stays proportional to the tensors described.
    static func parse(_ header: [UInt8], bufferSize: Int, source: String) throws -> Layout {
        guard String(validating: header, as: UTF8.self) != nil else { throw error("header is not valid UTF-8", source) }
        var seen = Set<String>()
        var entries: [Entry] = []
        var metadata: [String: String] = [:]
        let nonObject: JSONValue?
        do {
            // A syntax-only pass first, so a malformed header reports its syntax error rather
            // than whatever entry happens to precede it. Each member is dropped once read.
            _ = try JSONReader.forEachMember(of: header, maxArrayLength: maxArrayLength) { _, _ in }
            nonObject = try JSONReader.forEachMember(of: header, maxArrayLength: maxArrayLength) { key, value in
                guard seen.insert(key).inserted else {
                    throw error(key == metadataKey ? "duplicate \"\(metadataKey)\"" : "tensor \(quoted(key)): duplicate name", source)
                }
                if key == metadataKey {
                    metadata = try parseMetadata(value, source: source)
                } else {
                    entries.append(try parseEntry(key, value, bufferSize: bufferSize, source: source))
                }
            }
        } catch let syntax as JSONError {
            throw error("header is not valid JSON: \(syntax)", source)
        }
        if let nonObject { throw error("header must be a JSON object; got \(nonObject.typeName)", source) }
        try checkCoverage(entries, bufferSize: bufferSize, source: source)
        return Layout(entries: entries, metadata: metadata)
    }

    private static func parseMetadata(_ value: JSONValue, source: String) throws -> [String: String] {
        guard case .object(let pairs) = value else {
            throw error("\"\(metadataKey)\" must be an object of strings; got \(value.typeName)", source)
        }
        var metadata: [String: String] = [:]
        for (key, v) in pairs {
            guard case .string(let s) = v else {
                throw error("\(metadataKey) \(quoted(key)): value must be a string; got \(v.typeName)", source)
            }
            guard metadata.updateValue(s, forKey: key) == nil else {
                throw error("\(metadataKey) \(quoted(key)): duplicate key", source)
            }
        }
        return metadata
    }

    /// A non-negative integer from a JSON number (no fraction, no exponent, fits in Int).
    private static func count(_ value: JSONValue, _ what: String, tensor: String, source: String) throws -> Int {
        guard case .number(let text) = value else {
            throw error("tensor \(tensor): \(what) must be a non-negative integer; got \(value.typeName)", source)
        }
        guard !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) else {
            throw error("tensor \(tensor): \(what) must be a non-negative integer; got \(text)", source)
        }
        guard let n = Int(text) else { throw error("tensor \(tensor): \(what) \(text) is out of range", source) }
        guard n >= 0 else { throw error("tensor \(tensor): \(what) must be non-negative; got \(text)", source) }
        return n
    }

    private static func parseEntry(_ name: String, _ value: JSONValue, bufferSize: Int, source: String) throws -> Entry {
        let t = quoted(name)
        guard case .object(let fields) = value else {
            throw error("tensor \(t): entry must be an object with dtype, shape and data_offsets; got \(value.typeName)", source)
        }
        var dtype: DType?, shape: [Int]?, offsets: [Int]?
        var seen = Set<String>()
        for (key, v) in fields {
            guard seen.insert(key).inserted else { throw error("tensor \(t): duplicate field \(quoted(key))", source) }
            switch key {
            case "dtype":
                guard case .string(let s) = v else { throw error("tensor \(t): dtype must be a string; got \(v.typeName)", source) }
                guard let d = DType(safetensorsName: s) else {
                    let known = DType.allCases.map(\.safetensorsName).joined(separator: ", ")
                    throw error("tensor \(t): unknown dtype \(quoted(s)) (supported: \(known))", source)
                }
                dtype = d
            case "shape":
                guard case .array(let items) = v else {
                    throw error("tensor \(t): shape must be an array of non-negative integers; got \(v.typeName)", source)
                }
                shape = try items.map { try count($0, "shape entry", tensor: t, source: source) }
            case "data_offsets":
                guard case .array(let items) = v, items.count == 2 else {
                    throw error("tensor \(t): data_offsets must be an array of two integers [begin, end]", source)
                }
                offsets = try items.map { try count($0, "data_offsets entry", tensor: t, source: source) }
            default:
                throw error("tensor \(t): unexpected field \(quoted(key)) (expected dtype, shape, data_offsets)", source)
            }
        }
        guard let dtype else { throw error("tensor \(t): missing \"dtype\"", source) }
        guard let shape else { throw error("tensor \(t): missing \"shape\"", source) }
        guard let offsets else { throw error("tensor \(t): missing \"data_offsets\"", source) }
        let (begin, end) = (offsets[0], offsets[1])
        let shapeText = shapeString(shape), range = "[\(begin),\(end)]"
        var numel = 1
        for d in shape {
            let (m, overflow) = numel.multipliedReportingOverflow(by: d)
            guard !overflow else { throw error("tensor \(t): shape \(shapeText) has too many elements", source) }
            numel = m
        }
        let (bytes, overflow) = numel.multipliedReportingOverflow(by: dtype.itemSize)
        guard !overflow else { throw error("tensor \(t): shape \(shapeText) × \(dtype.safetensorsName) overflows", source) }
        guard begin <= end else { throw error("tensor \(t): data_offsets \(range) begin after end", source) }
        guard end <= bufferSize else {
            throw error("tensor \(t): data_offsets \(range) lie outside the \(bufferSize)-byte data buffer", source)
        }
        guard end - begin == bytes else {
            throw error("tensor \(t): data_offsets \(range) size \(end - begin) does not match shape \(shapeText) × \(dtype.safetensorsName) = \(bytes) bytes", source)
        }
        return Entry(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
    }

    /// Tensors must tile the data buffer exactly: sorted by offset, each starts where the previous
    /// ended, the first at 0 and the last at the end of the buffer.
    private static func checkCoverage(_ entries: [Entry], bufferSize: Int, source: String) throws {
        let sorted = entries.sorted { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var position = 0
        var previous: Entry?
        for e in sorted {
            let range = "[\(e.begin),\(e.end)]"
            if e.begin < position, let p = previous {
                throw error("tensor \(quoted(e.name)): data_offsets \(range) overlap tensor \(quoted(p.name)) [\(p.begin),\(p.end)]", source)
            }
            if e.begin > position {
                let after = previous.map { "tensor \(quoted($0.name)), which ends at byte \(position)" } ?? "the start of the data buffer"
                throw error("tensor \(quoted(e.name)): data_offsets \(range) leave a gap of \(e.begin - position) bytes after \(after)", source)
            }
            position = e.end
            previous = e
        }
        guard position == bufferSize else {
            throw error("\(bufferSize - position) trailing bytes after the last tensor (data buffer is \(bufferSize) bytes, tensors end at \(position))", source)
        }
    }

    // MARK: Writing

    /// The header JSON for `items` laid out back to back in order, `__metadata__` first (keys
    /// sorted), padded with spaces to a multiple of 8 bytes.
    static func build(_ items: [(name: String, dtype: DType, shape: [Int], byteCount: Int)],
                      metadata: [String: String]) -> [UInt8] {
        var parts: [String] = []
        if !metadata.isEmpty {
            let kv = metadata.keys.sorted().map { "\(quoted($0)):\(quoted(metadata[$0] ?? ""))" }
            parts.append("\(quoted(metadataKey)):{\(kv.joined(separator: ","))}")
        }
        var offset = 0
        for item in items {
            let shape = item.shape.map(String.init).joined(separator: ",")
            parts.append("\(quoted(item.name)):{\"dtype\":\"\(item.dtype.safetensorsName)\",\"shape\":[\(shape)],"
                + "\"data_offsets\":[\(offset),\(offset + item.byteCount)]}")
            offset += item.byteCount
        }
        var bytes = Array("{\(parts.joined(separator: ","))}".utf8)
        while bytes.count % 8 != 0 { bytes.append(0x20) }
        return bytes
    }
}
