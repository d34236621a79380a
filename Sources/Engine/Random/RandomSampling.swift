#if canImport(Glibc)
import Glibc
#endif

/// Sampling driven by given probabilities or weights: `bernoulli` and `multinomial`.
extension Tensor {
    /// Independent 0/1 draws: element i is 1 with probability `probabilities[i]`. The result has
    /// the probabilities' shape and dtype. Every probability must lie in [0, 1].
    public static func bernoulli(_ probabilities: Tensor, generator: Generator = .default) throws -> Tensor {
        // A private float64 copy of the probabilities, overwritten in place by the draws.
        let p = try probabilities.castCopy(to: .float64)
        let values = p.pointer(Double.self), n = p.numel
        for i in 0..<n where !(values[i] >= 0 && values[i] <= 1) {
            throw EngineError("bernoulli", "probabilities must be in [0, 1]; got \(values[i]) at flat index \(i)")
        }
        generator.withState { rng in
            for i in 0..<n { values[i] = rng.nextDouble() < values[i] ? 1 : 0 }
        }
        return try p.converted(probabilities.dtype)
    }

    /// Independent 0/1 draws of `shape`, each 1 with probability `p` (for dropout masks).
    public static func bernoulli(_ shape: [Int], p: Double, dtype: DType = .float32,
                                 generator: Generator = .default) throws -> Tensor {
        guard p >= 0 && p <= 1 else { throw EngineError("bernoulli", "probability must be in [0, 1]; got \(p)") }
        let out = try Tensor(shape: shape, dtype: .float64, zeroed: false, op: "bernoulli")
        let values = out.pointer(Double.self), n = out.numel
        generator.withState { rng in
            for i in 0..<n { values[i] = rng.nextDouble() < p ? 1 : 0 }
        }
        return try out.converted(dtype)
    }

    /// Draws `numSamples` category indices (0-based, int64) from the non-negative `weights` of a
    /// 1-d tensor, or of each row of a 2-d tensor (result `(rows, numSamples)`). Weights need not
    /// sum to one. Without replacement no index repeats within a row, so a row needs at least
    /// `numSamples` non-zero weights.
    public static func multinomial(_ weights: Tensor, numSamples: Int, replacement: Bool = false,
                                   generator: Generator = .default) throws -> Tensor {
        let op = "multinomial"
        guard weights.rank == 1 || weights.rank == 2 else {
            throw EngineError(op, "expected a 1-d or 2-d tensor of weights; got shape \(shapeString(weights.shape))")
        }
        let rows = weights.rank == 2 ? weights.shape[0] : 1
        let k = weights.shape[weights.rank - 1]
        guard k > 0 else { throw EngineError(op, "expected at least one category; got shape \(shapeString(weights.shape))") }
        guard numSamples > 0 else { throw EngineError(op, "number of samples must be positive; got \(numSamples)") }
        if !replacement && numSamples > k {
            throw EngineError(op, "cannot draw \(numSamples) samples without replacement from \(k) categories")
        }
        let w = try weights.castCopy(to: .float64)
        let wp = w.pointer(Double.self)
        func rowName(_ r: Int) -> String { weights.rank == 2 ? "row \(r)" : "the weights" }
        for r in 0..<rows {
            var total = 0.0, positive = 0
            for j in 0..<k {
                let v = wp[r * k + j]
                guard v.isFinite && v >= 0 else {
                    throw EngineError(op, "weights must be finite and non-negative; got \(v) at index \(j) of \(rowName(r))")
                }
                total += v
                if v > 0 { positive += 1 }
            }
            guard total > 0 else { throw EngineError(op, "\(rowName(r)) sum to zero; expected a positive total weight") }
            guard total.isFinite else { throw EngineError(op, "\(rowName(r)) sum overflows to infinity") }
            if !replacement && numSamples > positive {
                throw EngineError(op, "cannot draw \(numSamples) samples without replacement: \(rowName(r)) has only \(positive) non-zero weights")
            }
        }
        let outShape = weights.rank == 2 ? [rows, numSamples] : [numSamples]
        let out = try Tensor(shape: outShape, dtype: .int64, zeroed: false, op: op)
        let op64 = out.pointer(Int64.self)
        generator.withState { rng in
            for r in 0..<rows {
                let row = UnsafeMutableBufferPointer(start: wp + r * k, count: k)
                let dst = op64 + r * numSamples
                if replacement {
                    sampleWithReplacement(row, into: dst, count: numSamples, rng: &rng)
                } else {
                    sampleWithoutReplacement(row, into: dst, count: numSamples, rng: &rng)
                }
            }
        }
        return out
    }

    /// Inverse-CDF sampling: turns `weights` into its running sum (in place) and binary-searches it.
    private static func sampleWithReplacement(_ weights: UnsafeMutableBufferPointer<Double>,
                                              into dst: UnsafeMutablePointer<Int64>, count: Int,
                                              rng: inout Xoshiro256) {
        let k = weights.count
        var lastPositive = 0
        var running = 0.0
        for j in 0..<k {
            if weights[j] > 0 { lastPositive = j }
            running += weights[j]
            weights[j] = running
        }
        let total = running
        for s in 0..<count {
            let x = rng.nextDouble() * total
            // First j with cdf[j] > x; zero-weight categories repeat the previous cdf and are skipped.
            var lo = 0, hi = k
            while lo < hi {
                let mid = (lo + hi) / 2
                if weights[mid] > x { hi = mid } else { lo = mid + 1 }
            }
            dst[s] = Int64(lo < k ? lo : lastPositive)  // x rounded up to the total: take the last category
        }
    }

    /// Efraimidis–Spirakis: each category gets key Exp(1) / weight; the `count` smallest keys, in
    /// increasing order, are distributed exactly as successive draws without replacement.
    private static func sampleWithoutReplacement(_ weights: UnsafeMutableBufferPointer<Double>,
                                                 into dst: UnsafeMutablePointer<Int64>, count: Int,
                                                 rng: inout Xoshiro256) {
        var keyed: [(key: Double, index: Int)] = []
        keyed.reserveCapacity(weights.count)
        for j in 0..<weights.count {
            let e = -Glibc.log(rng.nextDoubleOpenZero())  // draw for every category: a fixed stream length
            if weights[j] > 0 { keyed.append((e / weights[j], j)) }
        }
        keyed.sort { $0.key < $1.key || ($0.key == $1.key && $0.index < $1.index) }
        for s in 0..<count { dst[s] = Int64(keyed[s].index) }
    }
}
