/// Running sums and products along a dim.
enum Cumulative {
    /// out[..., j, ...] = x[..., 0, ...] ⊕ ... ⊕ x[..., j, ...] along `dim` (from the end when
    /// `reverse`), ⊕ being + or ×, in the element type's arithmetic. `out` has `x`'s shape.
    static func scan<T: Element>(_ x: Tensor, dim: Int, into out: Tensor, product: Bool, reverse: Bool, _: T.Type) {
        let lanes = DimLanes(shape: x.shape, dim: dim, [out, x])
        let n = x.shape[dim], so = lanes.strides[0], sx = lanes.strides[1]
        let po = out.storage.typed(T.self), px = x.storage.typed(T.self)
        lanes.run(work: n) { o in
            let z = po + o[0], p = px + o[1]
            var acc = product ? T.one : T.zero
            for k in 0..<n {
                let j = reverse ? n - 1 - k : k
                acc = product ? T.mul(acc, p[j * sx]) : T.add(acc, p[j * sx])
                z[j * so] = acc
            }
        }
    }

    /// Gradient of a cumulative product y of x along `dim`, exact with zeros: with z the first
    /// zero of a lane, for i < z it is `sum_{k=i}^{z-1} g_k y_k / x_i`; at z it is
    /// `sum_{k>=z} g_k * y_{z-1} * x_{z+1} ... x_k`; after z it is 0.
    static func prodBackward<T: FloatElement>(_ x: Tensor, _ y: Tensor, _ g: Tensor, dim: Int, into out: Tensor, _: T.Type) {
        let lanes = DimLanes(shape: x.shape, dim: dim, [out, x, y, g])
        let n = x.shape[dim]
        let so = lanes.strides[0], sx = lanes.strides[1], sy = lanes.strides[2], sg = lanes.strides[3]
        let po = out.storage.typed(T.self), px = x.storage.typed(T.self)
        let py = y.storage.typed(T.self), pg = g.storage.typed(T.self)
        lanes.run(work: 3 * n) { o in
            let r = po + o[0], xs = px + o[1], ys = py + o[2], gs = pg + o[3]
            var zero = n
            for j in 0..<n where xs[j * sx] == 0 { zero = j; break }
            // Before the first zero: reverse running sum of g*y, divided by x.
            var acc: T = 0
            var j = zero - 1
            while j >= 0 {
                acc += gs[j * sg] * ys[j * sy]
                r[j * so] = acc / xs[j * sx]
                j -= 1
            }
            guard zero < n else { return }
            var run: T = zero > 0 ? ys[(zero - 1) * sy] : 1
            var total: T = 0
            for k in zero..<n {
                if k > zero { run *= xs[k * sx] }
                total += gs[k * sg] * run
            }
            r[zero * so] = total
            for k in (zero + 1)..<n { r[k * so] = 0 }
        }
    }
}

extension Tensor {
    /// Running sum along `dim` (same shape). Integers and bool give int64, floats keep their
    /// dtype. Gradient: the reverse running sum of the incoming gradient.
    public func cumsum(dim: Int) throws -> Tensor {
        try cumulative(dim: dim, product: false, op: "cumsum")
    }

    /// Running product along `dim` (same shape); dtypes as `cumsum`. Differentiable, exact with
    /// zeros in the input.
    public func cumprod(dim: Int) throws -> Tensor {
        try cumulative(dim: dim, product: true, op: "cumprod")
    }

    /// cumsum/cumprod with its backward rule.
    private func cumulative(dim: Int, product: Bool, op: String) throws -> Tensor {
        let d = try Shape.normalize(dim: dim, rank: rank, op: op)
        let type: DType = dtype.isFloatingPoint ? dtype : .int64
        let x = try converted(type)
        let out = try x.scanned(dim: d, product: product, reverse: false, op: op)
        if Tensor.needsGrad(self) {
            let xs = x.detach(), y = out.detach()
            out.recording(op, [self]) { g in
                let gx = try g.converted(xs.dtype)
                if !product { return [try gx.scanned(dim: d, product: false, reverse: true, op: op)] }
                let result = try Tensor(shape: xs.shape, dtype: xs.dtype, zeroed: false, op: op)
                let (a, b, c, r) = (xs.atLeast1d(), y.atLeast1d(), gx.atLeast1d(), result.atLeast1d())
                if xs.dtype == .float32 { Cumulative.prodBackward(a, b, c, dim: d, into: r, Float.self) }
                else { Cumulative.prodBackward(a, b, c, dim: d, into: r, Double.self) }
                return [result]
            }
        }
        return out
    }

    /// The scan kernel on this tensor's own dtype (float or int64) into a new contiguous tensor.
    private func scanned(dim d: Int, product: Bool, reverse: Bool, op: String) throws -> Tensor {
        let out = try Tensor(shape: shape, dtype: dtype, zeroed: false, op: op)
        let (x, z) = (atLeast1d(), out.atLeast1d())
        switch dtype {
        case .float32: Cumulative.scan(x, dim: d, into: z, product: product, reverse: reverse, Float.self)
        case .float64: Cumulative.scan(x, dim: d, into: z, product: product, reverse: reverse, Double.self)
        case .int64: Cumulative.scan(x, dim: d, into: z, product: product, reverse: reverse, Int64.self)
        default: throw EngineError(op, "internal: unexpected dtype \(dtype)")
        }
        return out
    }
}
