/// Reversal along dims (PyTorch's `flip`): a copy read through a reversed-stride view, whose
/// backward is the same flip of the gradient.
extension Tensor {
    /// The elements in reverse order along each of `dims` (0-based; negative from the end), as
    /// a new contiguous tensor.
    ///
    ///     [[1, 2], [3, 4]].flip([1]) -> [[2, 1], [4, 3]]
    public func flip(_ dims: [Int]) throws -> Tensor {
        let ds = try dims.map { try Shape.normalize(dim: $0, rank: rank, op: "flip") }
        guard Set(ds).count == ds.count else {
            throw EngineError("flip", "repeated dim in \(dims) for shape \(shapeString(shape))")
        }
        var reversedStrides = strides, start = offset
        for d in ds where shape[d] > 1 {
            start += (shape[d] - 1) * strides[d]
            reversedStrides[d] = -strides[d]
        }
        // The reversed view never escapes: only the copy below reads it.
        let out = try makeView(shape: shape, strides: reversedStrides, offset: start).castCopy(to: dtype)
        if Tensor.needsGrad(self) {
            out.recording("flip", [self]) { g in [try g.flip(ds)] }
        }
        return out
    }
}
