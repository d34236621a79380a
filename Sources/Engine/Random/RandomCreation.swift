/// Random tensors: continuous distributions (`rand`, `randn`, `uniform`, `normal`) and integers
/// (`randint`, `randperm`). Values are drawn in row-major order from `generator`, so a seed
/// fixes them exactly.
extension Tensor {
    /// Values uniform in [0, 1).
    public static func rand(_ shape: [Int], dtype: DType = .float32, generator: Generator = .default) throws -> Tensor {
        let out = try randomFloatTensor(shape, dtype: dtype, op: "rand")
        out.fillUniformContiguous(low: 0, high: 1, generator: generator)
        return out
    }

    /// Values from the standard normal distribution N(0, 1).
    public static func randn(_ shape: [Int], dtype: DType = .float32, generator: Generator = .default) throws -> Tensor {
        let out = try randomFloatTensor(shape, dtype: dtype, op: "randn")
        out.fillNormalContiguous(mean: 0, std: 1, generator: generator)
        return out
    }

    /// Values uniform in [low, high). Needs finite `low <= high`.
    public static func uniform(_ shape: [Int], low: Double = 0, high: Double = 1, dtype: DType = .float32,
                               generator: Generator = .default) throws -> Tensor {
        try checkUniformBounds(low: low, high: high, dtype: dtype, op: "uniform")
        let out = try randomFloatTensor(shape, dtype: dtype, op: "uniform")
        out.fillUniformContiguous(low: low, high: high, generator: generator)
        return out
    }

    /// Values from N(mean, std²). Needs a finite mean and a finite `std >= 0`.
    public static func normal(_ shape: [Int], mean: Double = 0, std: Double = 1, dtype: DType = .float32,
                              generator: Generator = .default) throws -> Tensor {
        try checkNormalParameters(mean: mean, std: std, op: "normal")
        let out = try randomFloatTensor(shape, dtype: dtype, op: "normal")
        out.fillNormalContiguous(mean: mean, std: std, generator: generator)
        return out
    }

    /// int64 values uniform in [low, high), without modulo bias. Needs `high > low`.
    public static func randint(low: Int = 0, high: Int, shape: [Int], generator: Generator = .default) throws -> Tensor {
        guard high > low else {
            throw EngineError("randint", "high must be greater than low; got low=\(low) high=\(high)")
        }
        let out = try Tensor(shape: shape, dtype: .int64, zeroed: false, op: "randint")
        // high > low, so the wrapped difference is the true width (at most 2^64 - 1).
        let span = UInt64(bitPattern: Int64(high) &- Int64(low))
        let p = out.pointer(Int64.self), n = out.numel, start = Int64(low)
        generator.withState { $0.fillBounded(p, count: n, low: start, span: span) }
        return out
    }

    /// A random permutation of `0..<n` as int64 (Fisher–Yates shuffle).
    public static func randperm(_ n: Int, generator: Generator = .default) throws -> Tensor {
        guard n >= 0 else { throw EngineError("randperm", "n must be non-negative; got \(n)") }
        let out = try Tensor(shape: [n], dtype: .int64, zeroed: false, op: "randperm")
        let p = out.pointer(Int64.self)
        for i in 0..<n { p[i] = Int64(i) }
        generator.withState { rng in
            var i = n - 1
            while i > 0 {
                let j = Int(rng.bounded(UInt64(i + 1)))
                let tmp = p[i]; p[i] = p[j]; p[j] = tmp
                i -= 1
            }
        }
        return out
    }
}

/// Shared checks and contiguous fills, also used by the in-place `uniform_` / `normal_`.
extension Tensor {
    /// A fresh uninitialized floating-point tensor for a random creator.
    static func randomFloatTensor(_ shape: [Int], dtype: DType, op: String) throws -> Tensor {
        guard dtype.isFloatingPoint else {
            throw EngineError(op, "expected a floating point dtype (float32 or float64); got \(dtype)")
        }
        return try Tensor(shape: shape, dtype: dtype, zeroed: false, op: op)
    }

    static func checkUniformBounds(low: Double, high: Double, dtype: DType, op: String) throws {
        guard low.isFinite, high.isFinite, (high - low).isFinite else {
            throw EngineError(op, "expected finite bounds with a finite width; got low=\(low) high=\(high)")
        }
        guard low <= high else { throw EngineError(op, "expected low <= high; got low=\(low) high=\(high)") }
        if dtype == .float32 {
            guard Float(low).isFinite, Float(high).isFinite, (Float(high) - Float(low)).isFinite else {
                throw EngineError(op, "bounds low=\(low) high=\(high) do not fit in float32")
            }
        }
    }

    static func checkNormalParameters(mean: Double, std: Double, op: String) throws {
        guard mean.isFinite else { throw EngineError(op, "expected a finite mean; got \(mean)") }
        guard std.isFinite, std >= 0 else { throw EngineError(op, "expected a finite std >= 0; got \(std)") }
    }

    /// Fills this contiguous floating-point tensor with U[low, high) draws (bounds checked by the caller).
    func fillUniformContiguous(low: Double, high: Double, generator: Generator) {
        let n = numel
        if dtype == .float32 {
            let p = pointer(Float.self), lo = Float(low), hi = Float(high)
            generator.withState { $0.fillUniform(p, count: n, low: lo, high: hi) }
        } else {
            let p = pointer(Double.self)
            generator.withState { $0.fillUniform(p, count: n, low: low, high: high) }
        }
    }

    /// Fills this contiguous floating-point tensor with N(mean, std²) draws.
    func fillNormalContiguous(mean: Double, std: Double, generator: Generator) {
        let n = numel
        if dtype == .float32 {
            let p = pointer(Float.self)
            generator.withState { $0.fillNormal(p, count: n, mean: mean, std: std) }
        } else {
            let p = pointer(Double.self)
            generator.withState { $0.fillNormal(p, count: n, mean: mean, std: std) }
        }
    }
}
