#if canImport(Glibc)
import Glibc
#endif

/// Statistics over dims: variance/std, vector norms, logsumexp and products.
enum Statistics {
    /// out[i] = f(a[i], b[i], c[i]) over same-shaped float operands of one dtype (any layout).
    @inline(__always)
    static func map<T: FloatElement>(_ a: Tensor, _ b: Tensor, _ c: Tensor, into out: Tensor, _ f: (T, T, T) -> T) {
        let pa = a.storage.typed(T.self), pb = b.storage.typed(T.self), pc = c.storage.typed(T.self)
        let po = out.storage.typed(T.self)
        let loop = StridedLoop(shape: out.shape, strides: [out.strides, a.strides, b.strides, c.strides],
                               offsets: [out.offset, a.offset, b.offset, c.offset])
        let so = loop.rowStrides[0], sa = loop.rowStrides[1], sb = loop.rowStrides[2], sc = loop.rowStrides[3]
        loop.run { o, n in
            let z = po + o[0], x = pa + o[1], y = pb + o[2], w = pc + o[3]
            for i in 0..<n { z[i * so] = f(x[i * sa], y[i * sb], w[i * sc]) }
        }
    }

    /// d‖x‖ₚ/dx times the incoming gradient `g`, given the norm `n` (PyTorch's subgradients:
    /// 0 where the norm is 0, and at x = 0 for p < 1).
    @inline(__always)
    static func normDerivative<T: FloatElement>(_ x: T, _ n: T, _ g: T, p: T) -> T {
        if p == 2 { return n == 0 ? 0 : g * x / n }
        let sign: T = x > 0 ? 1 : (x < 0 ? -1 : 0)
        if p == 1 { return g * sign }
        if p < 1 { return x == 0 ? 0 : g * sign * T.pow(Swift.abs(x), p - 1) * T.pow(n, 1 - p) }
        return n == 0 ? 0 : g * sign * T.pow(Swift.abs(x), p - 1) / T.pow(n, p - 1)
    }

    /// Product of each lane of `x` along `dim` into `out` (keepdim shape); 1 for empty lanes.
    static func prod<T: Element>(_ x: Tensor, dim: Int, into out: Tensor, _: T.Type) {
        let lanes = DimLanes(shape: x.shape, dim: dim, [out, x])
        let n = x.shape[dim], sx = lanes.strides[1]
        let po = out.storage.typed(T.self), px = x.storage.typed(T.self)
        lanes.run(work: n) { o in
            let p = px + o[1]
            var acc = T.one
            for j in 0..<n { acc = T.mul(acc, p[j * sx]) }
            po[o[0]] = acc
        }
    }

    /// Gradient of a lane product: `g * prod(x[j] for j != i)` as (product of the elements
    /// before i) * (product after i), exact with any number of zeros. `g` is keepdim-shaped.
    static func prodBackward<T: FloatElement>(_ x: Tensor, _ g: Tensor, dim: Int, into out: Tensor, _: T.Type) {
        let lanes = DimLanes(shape: x.shape, dim: dim, [out, x, g])
        let n = x.shape[dim], so = lanes.strides[0], sx = lanes.strides[1]
        let po = out.storage.typed(T.self), px = x.storage.typed(T.self), pg = g.storage.typed(T.self)
        lanes.run(work: 2 * n) { o in
            let z = po + o[0], p = px + o[1]
            var acc: T = 1
            for j in 0..<n { z[j * so] = acc; acc *= p[j * sx] }
            acc = pg[o[2]]
            var j = n - 1
            while j >= 0 { z[j * so] *= acc; acc *= p[j * sx]; j -= 1 }
        }
    }

    /// Sets infinite entries of a fresh contiguous float tensor to 0 (logsumexp's shift).
    static func zeroInfinities(_ t: Tensor) {
        func run<T: FloatElement>(_: T.Type) {
            let p = t.pointer(T.self)
            for i in 0..<t.numel where p[i].isInfinite { p[i] = 0 }
        }
        if t.dtype == .float32 { run(Float.self) } else { run(Double.self) }
    }
}

extension Tensor {
    /// Variance over `dims` (all when nil): `sum((x - mean)²) / max(0, N - correction)` with N the
    /// number of reduced elements; `correction` 1 is the unbiased estimator (PyTorch's default),
    /// 0 the population variance. Integers give float32. Two-pass (centered), differentiable.
    public func variance(dims: [Int]? = nil, correction: Double = 1, keepdim: Bool = false) throws -> Tensor {
        try variance(dims: dims, correction: correction, keepdim: keepdim, op: "var")
    }

    /// Standard deviation: `variance(...).sqrt()` (see `variance`). Its gradient is NaN where the
    /// std is 0, as in PyTorch.
    public func std(dims: [Int]? = nil, correction: Double = 1, keepdim: Bool = false) throws -> Tensor {
        try variance(dims: dims, correction: correction, keepdim: keepdim, op: "std").sqrt()
    }

    private func variance(dims: [Int]?, correction: Double, keepdim: Bool, op: String) throws -> Tensor {
        let reduced = try Reduction.resolveDims(dims, rank: rank, op: op)
        guard correction.isFinite else { throw EngineError(op, "correction must be finite; got \(correction)") }
        let count = reduced.filter { $0 < rank }.reduce(1) { $0 * shape[$1] }
        let x = try to(dtype.floatingResult)
        let centered = try x.sub(x.mean(dims: reduced, keepdim: true))
        let divisor = Swift.max(0, Double(count) - correction)
        return try centered.mul(centered).sum(dims: reduced, keepdim: keepdim).div(scalar: divisor)
    }

    /// Vector p-norm over `dims` (all when nil): `(sum |x|^p)^(1/p)`; p = .infinity is max |x|,
    /// -.infinity min |x|, 0 counts non-zeros. Integers give float32. Accumulates in float64.
    /// Differentiable with PyTorch's subgradients (0 at a zero norm for p = 2, never NaN).
    public func norm(p: Double = 2, dims: [Int]? = nil, keepdim: Bool = false) throws -> Tensor {
        guard !p.isNaN, p >= 0 || p == -.infinity else {
            throw EngineError("norm", "p must be >= 0 or ±infinity; got \(p)")
        }
        let reduced = try Reduction.resolveDims(dims, rank: rank, op: "norm").filter { $0 < rank }
        let x = try to(dtype.floatingResult)
        if p.isInfinite {
            for d in reduced where shape[d] == 0 {
                throw EngineError("norm", "the infinity norm needs a non-empty reduction; dim \(d) of shape \(shapeString(shape)) has size 0")
            }
            let a = try x.abs()
            return p > 0 ? try a.amax(dims: reduced, keepdim: keepdim) : try a.amin(dims: reduced, keepdim: keepdim)
        }
        if p == 1 { return try x.abs().sum(dims: reduced, keepdim: keepdim) }
        let acc: Tensor
        if p == 0 {
            acc = try Reduction.fold(x, dims: reduced, initial: 0) { s, v in v != 0 ? s + 1 : s }
        } else if p == 2 {
            acc = try Reduction.fold(x, dims: reduced, initial: 0) { s, v in s + v * v }
            let a = acc.pointer(Double.self)
            for i in 0..<acc.numel { a[i] = a[i].squareRoot() }
        } else {
            acc = try Reduction.fold(x, dims: reduced, initial: 0) { s, v in s + Glibc.pow(Swift.abs(v), p) }
            let a = acc.pointer(Double.self)
            for i in 0..<acc.numel { a[i] = Glibc.pow(a[i], 1 / p) }
        }
        let kept = Reduction.outputShape(shape, dims: reduced, keepdim: true)
        let normKept = try acc.castCopy(to: x.dtype)
        let out = normKept.reshapeRaw(Reduction.outputShape(shape, dims: reduced, keepdim: keepdim))
        if Tensor.needsGrad(x) {
            let xs = x.detach()
            out.recording("norm", [x]) { g in
                if p == 0 { return [try Tensor.zeros(xs.shape, dtype: xs.dtype)] }
                let n = try normKept.broadcastView(to: xs.shape, op: "norm")
                let gb = try g.converted(xs.dtype).reshape(kept).broadcastView(to: xs.shape, op: "norm")
                let gx = try Tensor(shape: xs.shape, dtype: xs.dtype, zeroed: false, op: "norm")
                if xs.dtype == .float32 {
                    let q = Float(p)
                    Statistics.map(xs, n, gb, into: gx) { (v: Float, m: Float, w: Float) in Statistics.normDerivative(v, m, w, p: q) }
                } else {
                    Statistics.map(xs, n, gb, into: gx) { (v: Double, m: Double, w: Double) in Statistics.normDerivative(v, m, w, p: p) }
                }
                return [gx]
            }
        }
        return out
    }

    /// `log(sum(exp(x)))` over `dims` (all when nil), stable: the max is subtracted first (an
    /// infinite max shifts by 0). Integers give float32; an empty reduction gives -inf.
    /// Gradient `g * exp(x - result)`.
    public func logsumexp(dims: [Int]? = nil, keepdim: Bool = false) throws -> Tensor {
        let reduced = try Reduction.resolveDims(dims, rank: rank, op: "logsumexp").filter { $0 < rank }
        let x = try to(dtype.floatingResult)
        let kept = Reduction.outputShape(shape, dims: reduced, keepdim: true)
        let xs = x.detach()
        let resultKept: Tensor = try GradMode.withoutGrad {
            let shift: Tensor
            if reduced.contains(where: { shape[$0] == 0 }) {
                shift = try Tensor.zeros(kept, dtype: xs.dtype)
            } else {
                shift = try xs.amax(dims: reduced, keepdim: true)
                Statistics.zeroInfinities(shift)
            }
            return try xs.sub(shift).exp().sum(dims: reduced, keepdim: true).log().add(shift)
        }
        let out = resultKept.reshapeRaw(Reduction.outputShape(shape, dims: reduced, keepdim: keepdim))
        if Tensor.needsGrad(x) {
            out.recording("logsumexp", [x]) { g in
                [try g.reshape(kept).mul(xs.sub(resultKept).exp())]
            }
        }
        return out
    }

    /// Product along `dim` (1 for an empty dim). Integers and bool give int64 (wrapping on
    /// overflow), floats keep their dtype. Differentiable, exact with zeros in the input.
    public func prod(dim: Int, keepdim: Bool = false) throws -> Tensor {
        let d = try Shape.normalize(dim: dim, rank: rank, op: "prod")
        let type: DType = dtype.isFloatingPoint ? dtype : .int64
        let x = try converted(type).atLeast1d()
        var kept = x.shape
        kept[d] = 1
        let result = try Tensor(shape: kept, dtype: type, zeroed: false, op: "prod")
        switch type {
        case .float32: Statistics.prod(x, dim: d, into: result, Float.self)
        case .float64: Statistics.prod(x, dim: d, into: result, Double.self)
        default: Statistics.prod(x, dim: d, into: result, Int64.self)
        }
        let out = result.reshapeRaw(rank == 0 ? [] : Reduction.outputShape(shape, dims: [d], keepdim: keepdim))
        if Tensor.needsGrad(self) {
            let xs = x.detach(), inShape = shape
            out.recording("prod", [self]) { g in
                let gk = try g.converted(xs.dtype).reshape(kept)
                let gx = try Tensor(shape: xs.shape, dtype: xs.dtype, zeroed: false, op: "prod")
                if xs.dtype == .float32 { Statistics.prodBackward(xs, gk, dim: d, into: gx, Float.self) }
                else { Statistics.prodBackward(xs, gk, dim: d, into: gx, Double.self) }
                return [gx.reshapeRaw(inShape)]
            }
        }
        return out
    }

    /// Product of all elements as a 0-d tensor (1 for an empty tensor); see `prod(dim:)`.
    public func prod() throws -> Tensor {
        try reshape([-1]).prod(dim: 0)
    }
}
