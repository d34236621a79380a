/// Finite-difference gradient checking in float64 (PyTorch's `gradcheck`).
public enum Gradcheck {
    /// Compares the analytic gradient of `sum(f(inputs) * weights)` (random fixed weights, so every
    /// output element matters) with central differences, for every element of every float64
    /// input that requires grad. Returns nil when all match, else a message naming the first
    /// mismatch.
    public static func check(_ inputs: [Tensor], eps: Double = 1e-6, atol: Double = 1e-5, rtol: Double = 1e-3,
                             _ f: ([Tensor]) throws -> Tensor) throws -> String? {
        for t in inputs where t.requiresGrad && t.dtype != .float64 {
            throw EngineError("gradcheck", "inputs requiring grad must be float64; got \(t.dtype)")
        }
        // Fixed pseudo-random output weights (deterministic, not from the global generator).
        let probe = try f(inputs)
        var state: UInt64 = 0x9E3779B97F4A7C15
        let weightValues = (0..<probe.numel).map { _ -> Double in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53) + 0.5
        }
        let weights = try Tensor(weightValues, shape: probe.shape, dtype: .float64)
        func objective() throws -> Double {
            try GradMode.withoutGrad { try f(inputs).to(.float64).mul(weights).sum().item() }
        }
        for t in inputs { t.grad = nil }
        let out = try f(inputs)
        guard out.requiresGrad else { return "output does not require grad" }
        try out.to(.float64).mul(weights).sum().backward()
        for (k, t) in inputs.enumerated() where t.requiresGrad {
            let analytic = try t.grad?.toDoubles() ?? [Double](repeating: 0, count: t.numel)
            let p = t.storage.typed(Double.self)
            // Walk the input's logical elements in row-major order.
            var index = [Int](repeating: 0, count: t.rank)
            for i in 0..<t.numel {
                let o = t.offset + t.elementOffset(index)
                let saved = p[o]
                p[o] = saved + eps
                let plus = try objective()
                p[o] = saved - eps
                let minus = try objective()
                p[o] = saved
                let numeric = (plus - minus) / (2 * eps)
                if Swift.abs(numeric - analytic[i]) > atol + rtol * Swift.abs(numeric) {
                    return "input \(k) element \(index): analytic \(analytic[i]) vs numeric \(numeric)"
                }
                var d = t.rank - 1
                while d >= 0 { index[d] += 1; if index[d] < t.shape[d] { break }; index[d] = 0; d -= 1 }
            }
        }
        return nil
    }
}
