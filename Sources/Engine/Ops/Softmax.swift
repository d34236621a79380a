/// Fused, numerically stable softmax and log-softmax along a dim, with fused backward rules.
/// Each lane is one pass for the max, one for the sum of exp(x - max), one to write.
enum SoftmaxKernel {
    /// Softmax (or log-softmax when `log`) of one lane of `n` elements.
    @inline(__always)
    static func lane<T: FloatElement>(_ y: UnsafeMutablePointer<T>, _ sy: Int, _ x: UnsafeMutablePointer<T>, _ sx: Int,
                                      _ n: Int, log: Bool) {
        var m = -T.infinity
        for j in 0..<n where x[j * sx] > m { m = x[j * sx] }
        // An all -inf (or +inf, or NaN) lane gives NaN, as in PyTorch.
        var s: T = 0
        if log {
            for j in 0..<n { s += T.exp(x[j * sx] - m) }
            let shift = m + T.log(s)
            for j in 0..<n { y[j * sy] = x[j * sx] - shift }
        } else {
            for j in 0..<n {
                let e = T.exp(x[j * sx] - m)
                y[j * sy] = e
                s += e
            }
            let inv = 1 / s
            for j in 0..<n { y[j * sy] *= inv }
        }
    }

    static func forward<T: FloatElement>(_ x: Tensor, dim: Int, into y: Tensor, log: Bool, _: T.Type) {
        let lanes = DimLanes(shape: x.shape, dim: dim, [y, x])
        let n = x.shape[dim], sy = lanes.strides[0], sx = lanes.strides[1]
        let py = y.storage.typed(T.self), px = x.storage.typed(T.self)
        lanes.run(work: 3 * n) { o in
            // Unit strides (the last dim of a contiguous input) get their own vectorizable copy.
            if sy == 1 && sx == 1 { lane(py + o[0], 1, px + o[1], 1, n, log: log) }
            else { lane(py + o[0], sy, px + o[1], sx, n, log: log) }
        }
    }

    /// One lane of the backward: softmax `gx = y * (g - sum(g*y))`, log-softmax
    /// `gx = g - exp(y) * sum(g)`.
    @inline(__always)
    static func backwardLane<T: FloatElement>(_ r: UnsafeMutablePointer<T>, _ sr: Int, _ y: UnsafeMutablePointer<T>, _ sy: Int,
                                              _ g: UnsafeMutablePointer<T>, _ sg: Int, _ n: Int, log: Bool) {
        var s: T = 0
        if log {
            for j in 0..<n { s += g[j * sg] }
            for j in 0..<n { r[j * sr] = g[j * sg] - T.exp(y[j * sy]) * s }
        } else {
            for j in 0..<n { s += g[j * sg] * y[j * sy] }
            for j in 0..<n { r[j * sr] = y[j * sy] * (g[j * sg] - s) }
        }
    }

    static func backward<T: FloatElement>(_ y: Tensor, _ g: Tensor, dim: Int, into r: Tensor, log: Bool, _: T.Type) {
        let lanes = DimLanes(shape: y.shape, dim: dim, [r, y, g])
        let n = y.shape[dim], sr = lanes.strides[0], sy = lanes.strides[1], sg = lanes.strides[2]
        let pr = r.storage.typed(T.self), py = y.storage.typed(T.self), pg = g.storage.typed(T.self)
        lanes.run(work: 2 * n) { o in
            if sr == 1 && sy == 1 && sg == 1 { backwardLane(pr + o[0], 1, py + o[1], 1, pg + o[2], 1, n, log: log) }
            else { backwardLane(pr + o[0], sr, py + o[1], sy, pg + o[2], sg, n, log: log) }
        }
    }
}

extension Tensor {
    /// `exp(x) / sum(exp(x))` along `dim`, computed stably (the lane max is subtracted first).
    /// Same shape; integers give float32. Backward `y * (g - sum(g * y))`.
    public func softmax(dim: Int) throws -> Tensor {
        try softmax(dim: dim, log: false, op: "softmax")
    }

    /// `x - logsumexp(x)` along `dim`, stable; same shape, integers give float32.
    /// Backward `g - exp(y) * sum(g)`.
    public func logSoftmax(dim: Int) throws -> Tensor {
        try softmax(dim: dim, log: true, op: "log_softmax")
    }

    private func softmax(dim: Int, log: Bool, op: String) throws -> Tensor {
        let d = try Shape.normalize(dim: dim, rank: rank, op: op)
        let x = try converted(dtype.floatingResult)
        let out = try Tensor(shape: shape, dtype: x.dtype, zeroed: false, op: op)
        if x.dtype == .float32 { SoftmaxKernel.forward(x.atLeast1d(), dim: d, into: out.atLeast1d(), log: log, Float.self) }
        else { SoftmaxKernel.forward(x.atLeast1d(), dim: d, into: out.atLeast1d(), log: log, Double.self) }
        if Tensor.needsGrad(self) {
            let y = out.detach()
            out.recording(op, [self]) { g in
                let gy = try g.converted(y.dtype)
                let r = try Tensor(shape: y.shape, dtype: y.dtype, zeroed: false, op: op)
                if y.dtype == .float32 { SoftmaxKernel.backward(y.atLeast1d(), gy.atLeast1d(), dim: d, into: r.atLeast1d(), log: log, Float.self) }
                else { SoftmaxKernel.backward(y.atLeast1d(), gy.atLeast1d(), dim: d, into: r.atLeast1d(), log: log, Double.self) }
                return [r]
            }
        }
        return out
    }
}
