/// Selection by boolean masks: `maskedFill`, `maskedSelect`, `where`, and `nonzero`.
enum MaskKernels {
    /// Throws unless `mask` is a bool tensor.
    static func checkBool(_ mask: Tensor, name: String, op: String) throws {
        guard mask.dtype == .bool else {
            throw EngineError(op, "\(name) must be a bool tensor; got \(mask.dtype) of shape \(shapeString(mask.shape)) (compare with eq/gt/... or convert with to(.bool))")
        }
    }

    /// `out[p] = value` wherever `mask[p]` (mask already broadcast to out's shape).
    static func fill<T: Element>(_: T.Type, _ out: Tensor, mask: Tensor, value: T) {
        let loop = StridedLoop(shape: out.shape, strides: [out.strides, mask.strides], offsets: [out.offset, mask.offset])
        let po = out.storage.typed(T.self), pm = mask.storage.typed(UInt8.self)
        let ro = loop.rowStrides[0], rm = loop.rowStrides[1]
        loop.run { o, n in
            let z = po + o[0], m = pm + o[1]
            for i in 0..<n where m[i * rm] != 0 { z[i * ro] = value }
        }
    }

    /// Number of true elements of a bool tensor (any layout).
    static func countTrue(_ mask: Tensor) -> Int {
        let loop = StridedLoop(shape: mask.shape, strides: [mask.strides], offsets: [mask.offset])
        let pm = mask.storage.typed(UInt8.self), rm = loop.rowStrides[0]
        var count = 0
        loop.forEachRow(in: 0..<loop.rowCount) { o, n in
            let m = pm + o[0]
            for i in 0..<n where m[i * rm] != 0 { count += 1 }
        }
        return count
    }

    /// Copies `x[p]` for every true `mask[p]` (same shapes), in row-major order, into the
    /// contiguous `out`. With `reverse`, writes `out`'s elements back into `x` instead.
    static func compress<T: Element>(_: T.Type, _ x: Tensor, mask: Tensor, _ out: Tensor, reverse: Bool) {
        let loop = StridedLoop(shape: x.shape, strides: [x.strides, mask.strides], offsets: [x.offset, mask.offset])
        let px = x.storage.typed(T.self), pm = mask.storage.typed(UInt8.self), po = out.pointer(T.self)
        let rx = loop.rowStrides[0], rm = loop.rowStrides[1]
        var w = 0
        loop.forEachRow(in: 0..<loop.rowCount) { o, n in
            let v = px + o[0], m = pm + o[1]
            for i in 0..<n where m[i * rm] != 0 {
                if reverse { v[i * rx] = po[w] } else { po[w] = v[i * rx] }
                w += 1
            }
        }
    }

    /// Row-major positions of the elements of `x` that are not zero (NaN counts as non-zero).
    static func nonzeroPositions<T: Element>(_: T.Type, _ x: Tensor) -> [Int] {
        let loop = StridedLoop(shape: x.shape, strides: [x.strides], offsets: [x.offset])
        let px = x.storage.typed(T.self), rx = loop.rowStrides[0]
        var found: [Int] = []
        var position = 0
        loop.forEachRow(in: 0..<loop.rowCount) { o, n in
            let v = px + o[0]
            for i in 0..<n where v[i * rx].asDouble != 0 { found.append(position + i) }
            position += n
        }
        return found
    }
}

extension Tensor {
    /// A copy with `value` wherever the bool `mask` is true. Self and mask broadcast together
    /// (the result has the broadcast shape, as PyTorch). Backward zeroes masked positions.
    public func maskedFill(mask: Tensor, value: Double) throws -> Tensor {
        let op = "masked_fill"
        try MaskKernels.checkBool(mask, name: "mask", op: op)
        let outShape = try Shape.broadcast(shape, mask.shape, op: op)
        let out = try broadcastView(to: outShape, op: op).castCopy(to: dtype)
        let m = try mask.broadcastView(to: outShape, op: op)
        switch dtype {
        case .float32: MaskKernels.fill(Float.self, out, mask: m, value: Float(fromDouble: value))
        case .float64: MaskKernels.fill(Double.self, out, mask: m, value: value)
        case .int64: MaskKernels.fill(Int64.self, out, mask: m, value: Int64(fromDouble: value))
        case .int32: MaskKernels.fill(Int32.self, out, mask: m, value: Int32(fromDouble: value))
        case .int8: MaskKernels.fill(Int8.self, out, mask: m, value: Int8(fromDouble: value))
        case .uint8: MaskKernels.fill(UInt8.self, out, mask: m, value: UInt8(fromDouble: value))
        case .bool: MaskKernels.fill(UInt8.self, out, mask: m, value: value != 0 ? 1 : 0)
        }
        if Tensor.needsGrad(self) {
            let inShape = shape, mask = mask.detach()
            out.recording(op, [self, mask]) { g in
                [try g.maskedFill(mask: mask, value: 0).sumToShape(inShape), nil]
            }
        }
        return out
    }

    /// The elements where the bool `mask` is true, as a 1-d tensor in row-major order. Self and
    /// mask broadcast together. Backward scatters the gradient back into those positions.
    public func maskedSelect(mask: Tensor) throws -> Tensor {
        let op = "masked_select"
        try MaskKernels.checkBool(mask, name: "mask", op: op)
        let fullShape = try Shape.broadcast(shape, mask.shape, op: op)
        let x = try broadcastView(to: fullShape, op: op)
        let m = try mask.broadcastView(to: fullShape, op: op)
        let out = try Tensor(shape: [MaskKernels.countTrue(m)], dtype: dtype, zeroed: false, op: op)
        try Tensor.compress(x, mask: m, out, reverse: false)
        if Tensor.needsGrad(self) {
            let inShape = shape, mask = mask.detach()
            out.recording(op, [self, mask]) { g in
                let full = try Tensor.zeros(fullShape, dtype: g.dtype)
                try Tensor.compress(full, mask: mask.broadcastView(to: fullShape, op: op), g.contiguous(), reverse: true)
                return [try full.sumToShape(inShape), nil]
            }
        }
        return out
    }

    /// Runs `MaskKernels.compress` for `x`'s dtype (`out` must have the same dtype, contiguous).
    private static func compress(_ x: Tensor, mask: Tensor, _ out: Tensor, reverse: Bool) throws {
        guard out.dtype == x.dtype, out.isContiguous else {
            throw EngineError("masked_select", "internal: expected a contiguous \(x.dtype) buffer; got \(out.dtype)")
        }
        switch x.dtype {
        case .float32: MaskKernels.compress(Float.self, x, mask: mask, out, reverse: reverse)
        case .float64: MaskKernels.compress(Double.self, x, mask: mask, out, reverse: reverse)
        case .int64: MaskKernels.compress(Int64.self, x, mask: mask, out, reverse: reverse)
        case .int32: MaskKernels.compress(Int32.self, x, mask: mask, out, reverse: reverse)
        case .int8: MaskKernels.compress(Int8.self, x, mask: mask, out, reverse: reverse)
        case .uint8, .bool: MaskKernels.compress(UInt8.self, x, mask: mask, out, reverse: reverse)
        }
    }

    /// `a` where the bool `condition` is true, else `b`. All three broadcast together; the dtype
    /// is the promotion of a's and b's. Gradients go to a where true and to b where false
    /// (summed back over broadcast dims).
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        let op = "where"
        try MaskKernels.checkBool(condition, name: "condition", op: op)
        let shape = try Shape.broadcast(Shape.broadcast(condition.shape, a.shape, op: op), b.shape, op: op)
        let type = DType.promote(a.dtype, b.dtype)
        let c = try condition.broadcastView(to: shape, op: op)
        let x = try a.converted(type).broadcastView(to: shape, op: op)
        let y = try b.converted(type).broadcastView(to: shape, op: op)
        let out = try Tensor(shape: shape, dtype: type, zeroed: false, op: op)
        func run<T: Element>(_: T.Type) {
            Elementwise.map(c, x, y, into: out) { (w: UInt8, p: T, q: T) in w != 0 ? p : q }
        }
        switch type {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .int64: run(Int64.self)
        case .int32: run(Int32.self)
        case .int8: run(Int8.self)
        case .uint8, .bool: run(UInt8.self)
        }
        if Tensor.needsGrad(a, b) {
            let cond = condition.detach(), sa = a.shape, sb = b.shape
            let wantA = a.requiresGrad, wantB = b.requiresGrad
            out.recording(op, [condition, a, b]) { g in
                var ga: Tensor? = nil, gb: Tensor? = nil
                if wantA { ga = try g.maskedFill(mask: cond.logicalNot(), value: 0).sumToShape(sa) }
                if wantB { gb = try g.maskedFill(mask: cond, value: 0).sumToShape(sb) }
                return [nil, ga, gb]
            }
        }
        return out
    }

    /// Multi-indices of the non-zero elements as an (n, rank) int64 tensor, in row-major order
    /// (PyTorch's `nonzero`). Not differentiable.
    public func nonzero() throws -> Tensor {
        let positions: [Int]
        switch dtype {
        case .float32: positions = MaskKernels.nonzeroPositions(Float.self, self)
        case .float64: positions = MaskKernels.nonzeroPositions(Double.self, self)
        case .int64: positions = MaskKernels.nonzeroPositions(Int64.self, self)
        case .int32: positions = MaskKernels.nonzeroPositions(Int32.self, self)
        case .int8: positions = MaskKernels.nonzeroPositions(Int8.self, self)
        case .uint8, .bool: positions = MaskKernels.nonzeroPositions(UInt8.self, self)
        }
        let out = try Tensor(shape: [positions.count, rank], dtype: .int64, zeroed: false, op: "nonzero")
        let p = out.pointer(Int64.self)
        for (row, position) in positions.enumerated() {
            var rest = position
            for d in stride(from: rank - 1, through: 0, by: -1) {
                p[row * rank + d] = Int64(rest % shape[d])
                rest /= shape[d]
            }
        }
        return out
    }
}
