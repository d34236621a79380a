/// Unstructured magnitude pruning: which weights to zero so that exactly `amount` of them
/// (rounded to the nearest count) are removed, choosing the smallest |w| over all given tensors
/// together (global pruning; pass one tensor for per-layer pruning). Ties at the threshold are
/// broken by position (earlier tensors and elements first), so the count is exact and the
/// result deterministic.
public enum PruningMasks {
    static let op = "prune"

    /// Masks (same shapes and dtypes as `weights`, 1 = keep, 0 = pruned) removing the
    /// `amount` fraction (0...1) of the smallest-magnitude elements across all `weights`.
    public static func magnitude(_ weights: [Tensor], amount: Double) throws -> [Tensor] {
        guard amount >= 0, amount <= 1 else {
            throw EngineError(op, "amount must be a fraction in [0, 1]; got \(amount)")
        }
        var magnitudes: [Float] = []
        for (k, w) in weights.enumerated() {
            guard w.dtype.isFloatingPoint else {
                throw EngineError(op, "tensor \(k + 1) has dtype \(w.dtype.rawValue); magnitude pruning needs float32 or float64")
            }
            magnitudes.append(contentsOf: try absoluteValues(w))
        }
        let total = magnitudes.count
        let prunedCount = min(total, Int((amount * Double(total)).rounded()))
        var masks: [Tensor] = []
        if prunedCount == 0 {
            for w in weights { masks.append(try Tensor.ones(w.shape, dtype: w.dtype)) }
            return masks
        }
        // The prunedCount-th smallest magnitude: everything below goes, and the first
        // (prunedCount - below) elements equal to it go too.
        var scratch = magnitudes
        let threshold = select(&scratch, prunedCount - 1)
        var equalBudget = prunedCount - magnitudes.reduce(0) { $0 + ($1 < threshold ? 1 : 0) }
        var position = 0
        for w in weights {
            let mask = try Tensor.ones(w.shape, dtype: w.dtype)
            for i in 0..<w.numel {
                let m = magnitudes[position + i]
                var prune = m < threshold
                if !prune && m == threshold && equalBudget > 0 { prune = true; equalBudget -= 1 }
                if prune {
                    if w.dtype == .float32 { mask.storage.typed(Float.self)[i] = 0 }
                    else { mask.storage.typed(Double.self)[i] = 0 }
                }
            }
            position += w.numel
            masks.append(mask)
        }
        return masks
    }

    /// |w| of every element in row-major order (any layout).
    static func absoluteValues(_ w: Tensor) throws -> [Float] {
        let t = w.isContiguous ? w : try w.contiguous()
        if t.dtype == .float32 {
            let p = t.storage.typed(Float.self) + t.offset
            return (0..<t.numel).map { abs(p[$0]) }
        }
        let p = t.storage.typed(Double.self) + t.offset
        return (0..<t.numel).map { Float(abs(p[$0])) }
    }

    /// The k-th smallest value (0-based) of `values` by quickselect (median-of-three pivots);
    /// reorders `values`.
    static func select(_ values: inout [Float], _ k: Int) -> Float {
        var lo = 0, hi = values.count - 1
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            let a = values[lo], b = values[mid], c = values[hi]
            let pivot = max(min(a, b), min(max(a, b), c))
            var i = lo, j = hi
            while i <= j {
                while values[i] < pivot { i += 1 }
                while values[j] > pivot { j -= 1 }
                if i <= j { values.swapAt(i, j); i += 1; j -= 1 }
            }
            if k <= j { hi = j } else if k >= i { lo = i } else { return values[k] }
        }
        return values[k]
    }
}
