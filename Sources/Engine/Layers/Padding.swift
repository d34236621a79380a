/// How `pad` fills the new border.
public enum PadMode: Sendable, Equatable {
    /// A fixed value (negative pads crop).
    case constant(Double)
    /// Mirror without repeating the edge: `[a b c]` padded by 2 on the left is `[c b | a b c]`.
    case reflect
    /// Repeat the edge element.
    case replicate
    /// Wrap around: the left border comes from the right end.
    case circular

    var name: String {
        switch self {
        case .constant: return "constant"
        case .reflect: return "reflect"
        case .replicate: return "replicate"
        case .circular: return "circular"
        }
    }
}

extension Functional {
    /// Pads the trailing dims of `input` (PyTorch's `nn.functional.pad`). `pads` lists
    /// (before, after) pairs starting from the LAST dim: `[left, right]` pads dim −1,
    /// `[left, right, top, bottom]` also dim −2, and so on. Backward sums the gradient of every
    /// output element back into the input element it was copied from.
    ///
    ///     pad((1,1,2,3), [1, 2], mode: .reflect) -> (1,1,2,6)
    public static func pad(_ input: Tensor, _ pads: [Int], mode: PadMode = .constant(0)) throws -> Tensor {
        let op = "pad"
        guard pads.count % 2 == 0 && pads.count / 2 <= input.rank else {
            throw EngineError(op, "expected an even number of pads covering at most the \(input.rank) dims of input \(shapeString(input.shape)); got \(pads.count) pads \(pads)")
        }
        let rank = input.rank
        var before = [Int](repeating: 0, count: rank), after = before
        for i in 0..<(pads.count / 2) {
            before[rank - 1 - i] = pads[2 * i]
            after[rank - 1 - i] = pads[2 * i + 1]
        }
        var outShape = input.shape
        for d in 0..<rank {
            let size = input.shape[d], b = before[d], a = after[d]
            guard Swift.abs(b) < 1 << 40 && Swift.abs(a) < 1 << 40 else {
                throw EngineError(op, "pad sizes too large: \(pads)")
            }
            if b == 0 && a == 0 { continue }
            switch mode {
            case .constant: break
            case .reflect:
                guard b >= 0 && a >= 0 && b < size && a < size else {
                    throw EngineError(op, "reflect padding needs pads in [0, size) for each padded dim; got pads (\(b),\(a)) for dim \(d) of size \(size) (input \(shapeString(input.shape)))")
                }
            case .replicate:
                guard b >= 0 && a >= 0 && size > 0 else {
                    throw EngineError(op, "replicate padding needs non-negative pads and a non-empty dim; got pads (\(b),\(a)) for dim \(d) of size \(size) (input \(shapeString(input.shape)))")
                }
            case .circular:
                guard b >= 0 && a >= 0 && b <= size && a <= size && size > 0 else {
                    throw EngineError(op, "circular padding needs pads in [0, size] for each padded dim; got pads (\(b),\(a)) for dim \(d) of size \(size) (input \(shapeString(input.shape)))")
                }
            }
            outShape[d] = size + b + a
            guard outShape[d] >= 0 else {
                throw EngineError(op, "pads (\(b),\(a)) make dim \(d) of size \(size) negative (input \(shapeString(input.shape)))")
            }
        }
        let outCount = try Shape.numel(outShape, op: op)
        // For each dim, the source index of every output index (-1: the constant border).
        let maps: [[Int]] = outCount == 0 ? [] : (0..<rank).map { d in
            let size = input.shape[d], b = before[d]
            return (0..<outShape[d]).map { o in
                let s = o - b
                switch mode {
                case .constant: return s >= 0 && s < size ? s : -1
                case .reflect: return s < 0 ? -s : (s >= size ? 2 * (size - 1) - s : s)
                case .replicate: return Swift.min(Swift.max(s, 0), size - 1)
                case .circular: return ((s % size) + size) % size
                }
            }
        }
        let fill: Double
        if case .constant(let v) = mode { fill = v } else { fill = 0 }
        let out = try Tensor(shape: outShape, dtype: input.dtype, zeroed: false, op: op)
        let x = input
        switch input.dtype {
        case .float32: try PadKernel.copy(Float.self, x, out, maps: maps, fill: Float(fill), op: op)
        case .float64: try PadKernel.copy(Double.self, x, out, maps: maps, fill: fill, op: op)
        case .int64: try PadKernel.copy(Int64.self, x, out, maps: maps, fill: Int64(fromDouble: fill), op: op)
        case .int32: try PadKernel.copy(Int32.self, x, out, maps: maps, fill: Int32(fromDouble: fill), op: op)
        case .int8: try PadKernel.copy(Int8.self, x, out, maps: maps, fill: Int8(fromDouble: fill), op: op)
        case .uint8: try PadKernel.copy(UInt8.self, x, out, maps: maps, fill: UInt8(fromDouble: fill), op: op)
        case .bool: try PadKernel.copy(UInt8.self, x, out, maps: maps, fill: fill != 0 ? 1 : 0, op: op)
        }
        if Tensor.needsGrad(input) {
            let inShape = input.shape
            out.recording(op, [input]) { g in
                let gy = try dense(g)
                let gx = try Tensor(shape: inShape, dtype: gy.dtype, op: op)
                if gy.dtype == .float32 { try PadKernel.accumulate(Float.self, gy, into: gx, maps: maps, op: op) }
                else { try PadKernel.accumulate(Double.self, gy, into: gx, maps: maps, op: op) }
                return [gx]
            }
        }
        return out
    }
}

/// The gather (forward) and scatter-add (backward) loops of `pad`, driven by per-dim index maps.
/// Rows (all dims but the last) of the output are walked in order; work is split over the
/// leading dims that are not padded, whose blocks touch disjoint input elements.
enum PadKernel {
    /// Calls `body(outputRowStart, sourceRowStart or -1)` for the output rows of `block`, where
    /// blocks are the combinations of the leading `blockDims` dims.
    @inline(__always)
    static func forEachRow(outShape: [Int], sourceStrides: [Int], sourceOffset: Int, maps: [[Int]],
                           blockDims: Int, blocks: Range<Int>, _ body: (Int, Int) -> Void) {
        let rank = outShape.count
        let rowDims = rank - 1
        let inner = outShape.last ?? 1
        let rowsPerBlock = outShape[blockDims..<rowDims].reduce(1, *)
        var index = [Int](repeating: 0, count: Swift.max(rowDims, 0))
        for block in blocks {
            // Leading (block) coordinates.
            var rem = block
            for d in stride(from: blockDims - 1, through: 0, by: -1) {
                index[d] = rem % outShape[d]
                rem /= outShape[d]
            }
            for d in blockDims..<rowDims { index[d] = 0 }
            for r in 0..<rowsPerBlock {
                var src = sourceOffset, border = false
                for d in 0..<rowDims {
                    let m = maps[d][index[d]]
                    if m < 0 { border = true; break }
                    src += m * sourceStrides[d]
                }
                body((block * rowsPerBlock + r) * inner, border ? -1 : src)
                var d = rowDims - 1
                while d >= blockDims {
                    index[d] += 1
                    if index[d] < outShape[d] { break }
                    index[d] = 0
                    d -= 1
                }
            }
        }
    }

    /// Number of leading dims left unpadded (identity maps), capped below the last dim.
    static func blockDims(_ maps: [[Int]], _ inShape: [Int]) -> Int {
        var k = 0
        while k < maps.count - 1 && maps[k].count == inShape[k] && maps[k].enumerated().allSatisfy({ $0.offset == $0.element }) {
            k += 1
        }
        return k
    }

    static func copy<T: Element>(_: T.Type, _ x: Tensor, _ out: Tensor, maps: [[Int]], fill: T, op: String) throws {
        let rank = out.rank
        if rank == 0 { out.pointer(T.self)[0] = x.pointer(T.self)[0]; return }
        if out.numel == 0 { return }
        let px = x.storage.typed(T.self), po = out.pointer(T.self)
        let lastMap = maps[rank - 1], inner = out.shape[rank - 1], sx = x.strides[rank - 1]
        let k = blockDims(maps, x.shape)
        let blockCount = out.shape[0..<k].reduce(1, *)
        try lastMap.withUnsafeBufferPointer { mp in
            try Functional.forItems(blockCount, work: out.numel, op: op) { blocks in
                forEachRow(outShape: out.shape, sourceStrides: x.strides, sourceOffset: x.offset, maps: maps,
                           blockDims: k, blocks: blocks) { o, s in
                    let dst = po + o
                    if s < 0 { dst.update(repeating: fill, count: inner); return }
                    let src = px + s
                    for i in 0..<inner {
                        let m = mp[i]
                        dst[i] = m < 0 ? fill : src[m * sx]
                    }
                }
            }
        }
    }

    static func accumulate<T: FloatElement>(_: T.Type, _ g: Tensor, into gx: Tensor, maps: [[Int]], op: String) throws {
        let rank = g.rank
        if rank == 0 { gx.pointer(T.self)[0] = g.pointer(T.self)[0]; return }
        if g.numel == 0 { return }
        let pg = g.pointer(T.self), px = gx.pointer(T.self)
        let lastMap = maps[rank - 1], inner = g.shape[rank - 1]
        let k = blockDims(maps, gx.shape)
        let blockCount = g.shape[0..<k].reduce(1, *)
        try lastMap.withUnsafeBufferPointer { mp in
            try Functional.forItems(blockCount, work: g.numel, op: op) { blocks in
                forEachRow(outShape: g.shape, sourceStrides: gx.strides, sourceOffset: 0, maps: maps,
                           blockDims: k, blocks: blocks) { o, s in
                    if s < 0 { return }
                    let src = pg + o, dst = px + s
                    for i in 0..<inner {
                        let m = mp[i]
                        if m >= 0 { dst[m] += src[i] }
                    }
                }
            }
        }
    }
}
