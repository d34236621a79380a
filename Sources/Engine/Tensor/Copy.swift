/// Copies and dtype conversion: the strided copy kernel every layout change ends in.
extension Tensor {
    /// This tensor if already contiguous, else a contiguous copy (gradient flows through).
    public func contiguous() throws -> Tensor {
        if isContiguous { return self }
        return try clone()
    }

    /// A contiguous copy with its own storage (gradient flows through).
    public func clone() throws -> Tensor {
        let out = try castCopy(to: dtype)
        if Tensor.needsGrad(self) { out.recording("clone", [self]) { g in [g] } }
        return out
    }

    /// Converts to `dtype` (a no-op returning self when equal). Gradient flows between float dtypes.
    public func to(_ dtype: DType) throws -> Tensor {
        if dtype == self.dtype { return self }
        let out = try castCopy(to: dtype)
        if Tensor.needsGrad(self) && dtype.isFloatingPoint {
            let source = self.dtype
            out.recording("to", [self]) { g in [try g.to(source)] }
        }
        return out
    }

    /// This tensor in `target` dtype, no graph recording (self when equal).
    func converted(_ target: DType) throws -> Tensor {
        target == dtype ? self : try castCopy(to: target)
    }

    /// Contiguous copy converted to `target`, no graph recording.
    func castCopy(to target: DType) throws -> Tensor {
        let out = try Tensor(shape: shape, dtype: target, zeroed: false)
        try out.assign(from: self, op: "copy")
        return out
    }

    /// Writes `source` (broadcast to this tensor's shape, converted to its dtype) into this
    /// tensor's elements in place, whatever the layouts. No graph recording.
    public func assign(from source: Tensor, op: String = "copy_") throws {
        let src = try source.broadcastView(to: shape, op: op)
        if src.storage === storage && Tensor.mayOverlap(self, src) && !(src.strides == strides && src.offset == offset) {
            // Overlapping views: go through a temporary.
            try assign(from: src.castCopy(to: src.dtype), op: op)
            return
        }
        let loop = StridedLoop(shape: shape, strides: [strides, src.strides], offsets: [offset, src.offset])
        storage.bumpVersion()
        switch dtype {
        case .float32: Tensor.convertLoop(loop, into: storage.typed(Float.self), from: src, bool: false)
        case .float64: Tensor.convertLoop(loop, into: storage.typed(Double.self), from: src, bool: false)
        case .int64: Tensor.convertLoop(loop, into: storage.typed(Int64.self), from: src, bool: false)
        case .int32: Tensor.convertLoop(loop, into: storage.typed(Int32.self), from: src, bool: false)
        case .int8: Tensor.convertLoop(loop, into: storage.typed(Int8.self), from: src, bool: false)
        case .uint8: Tensor.convertLoop(loop, into: storage.typed(UInt8.self), from: src, bool: false)
        case .bool: Tensor.convertLoop(loop, into: storage.typed(UInt8.self), from: src, bool: true)
        }
    }

    /// Adds `source` (same shape) into this tensor's elements in place, one element at a time in
    /// order, so it is correct even when this view overlaps itself (e.g. `unfold` windows).
    func addAssign(from source: Tensor) throws {
        guard source.shape == shape, source.dtype == dtype, dtype.isFloatingPoint else {
            throw EngineError("add_", "expected \(dtype) \(shapeString(shape)); got \(source.dtype) \(shapeString(source.shape))")
        }
        let loop = StridedLoop(shape: shape, strides: [strides, source.strides], offsets: [offset, source.offset])
        let ds = loop.rowStrides[0], ss = loop.rowStrides[1]
        func run<T: FloatElement>(_: T.Type) {
            let d = storage.typed(T.self), s = source.storage.typed(T.self)
            loop.forEachRow(in: 0..<loop.rowCount) { o, n in
                for i in 0..<n { d[o[0] + i * ds] += s[o[1] + i * ss] }
            }
        }
        if dtype == .float32 { run(Float.self) } else { run(Double.self) }
        storage.bumpVersion()
    }

    /// Conservative overlap test of two views of one storage (by element extent).
    static func mayOverlap(_ a: Tensor, _ b: Tensor) -> Bool {
        func extent(_ t: Tensor) -> ClosedRange<Int> {
            var lo = t.offset, hi = t.offset
            for d in 0..<t.rank where t.shape[d] > 0 {
                let span = (t.shape[d] - 1) * t.strides[d]
                if span < 0 { lo += span } else { hi += span }
            }
            return lo...hi
        }
        return a.numel > 0 && b.numel > 0 && extent(a).overlaps(extent(b))
    }

    private static func convertLoop<D: Element>(_ loop: StridedLoop, into dst: UnsafeMutablePointer<D>,
                                                from src: Tensor, bool: Bool) {
        switch src.dtype {
        case .float32: convertRows(loop, dst, src.storage.typed(Float.self), bool)
        case .float64: convertRows(loop, dst, src.storage.typed(Double.self), bool)
        case .int64: convertRows(loop, dst, src.storage.typed(Int64.self), bool)
        case .int32: convertRows(loop, dst, src.storage.typed(Int32.self), bool)
        case .int8: convertRows(loop, dst, src.storage.typed(Int8.self), bool)
        case .uint8, .bool: convertRows(loop, dst, src.storage.typed(UInt8.self), bool)
        }
    }

    @inline(__always)
    private static func convertRows<D: Element, S: Element>(_ loop: StridedLoop, _ dst: UnsafeMutablePointer<D>,
                                                            _ src: UnsafeMutablePointer<S>, _ toBool: Bool) {
        let ds = loop.rowStrides[0], ss = loop.rowStrides[1]
        if D.self == S.self && !toBool {
            let s = UnsafeMutableRawPointer(src).assumingMemoryBound(to: D.self)
            loop.run { o, n in
                let d = dst + o[0], p = s + o[1]
                if ds == 1 && ss == 1 { d.update(from: p, count: n) }
                else { for i in 0..<n { d[i * ds] = p[i * ss] } }
            }
        } else if toBool {
            loop.run { o, n in
                let d = dst + o[0], p = src + o[1]
                for i in 0..<n { d[i * ds] = p[i * ss].asDouble != 0 ? D.one : D.zero }
            }
        } else {
            loop.run { o, n in
                let d = dst + o[0], p = src + o[1]
                for i in 0..<n { d[i * ds] = D(fromDouble: p[i * ss].asDouble) }
            }
        }
    }
}
