/// Joining tensors along a dim (`cat`, `stack`) and cutting one into views (`split`, `chunk`).
extension Tensor {
    /// Concatenates `tensors` along `dim` (PyTorch's `torch.cat`). All tensors need the same rank
    /// and the same sizes except along `dim`; the result dtype is the promotion of all inputs.
    /// As in PyTorch, 1-d empty tensors of shape (0) are skipped when the others have another rank.
    ///
    ///     cat([(2,3), (4,3)], dim: 0) -> (6,3)
    public static func cat(_ tensors: [Tensor], dim: Int) throws -> Tensor {
        let op = "cat"
        guard let first = tensors.first else {
            throw EngineError(op, "expected a non-empty list of tensors; got an empty list")
        }
        let isLegacyEmpty = { (t: Tensor) in t.rank == 1 && t.shape[0] == 0 }
        let reference = tensors.firstIndex { !isLegacyEmpty($0) } ?? 0
        let refShape = tensors[reference].shape
        let skipped = tensors.map { isLegacyEmpty($0) && refShape.count != 1 }
        for (i, t) in tensors.enumerated() where !skipped[i] && t.rank == 0 {
            throw EngineError(op, "zero-dimensional tensor (at position \(i)) cannot be concatenated; use stack or unsqueeze it first")
        }
        let d = try Shape.normalize(dim: dim, rank: refShape.count, op: op)
        var type = first.dtype
        var outShape = refShape
        outShape[d] = 0
        for (i, t) in tensors.enumerated() {
            type = DType.promote(type, t.dtype)
            if skipped[i] { continue }
            guard t.rank == refShape.count else {
                throw EngineError(op, "tensors must have the same number of dims; tensor \(reference) has shape \(shapeString(refShape)) but tensor \(i) has shape \(shapeString(t.shape))")
            }
            for k in 0..<t.rank where k != d && t.shape[k] != refShape[k] {
                throw EngineError(op, "sizes of tensors must match except in dim \(d); tensor \(reference) has shape \(shapeString(refShape)) but tensor \(i) has shape \(shapeString(t.shape)) (dim \(k): \(refShape[k]) vs \(t.shape[k]))")
            }
            outShape[d] += t.shape[d]
        }
        let out = try Tensor(shape: outShape, dtype: type, zeroed: false, op: op)
        var starts: [Int] = []
        var start = 0
        for (i, t) in tensors.enumerated() {
            starts.append(start)
            if skipped[i] { continue }
            var part = outShape
            part[d] = t.shape[d]
            try out.makeView(shape: part, strides: out.strides, offset: start * out.strides[d]).assign(from: t, op: op)
            start += t.shape[d]
        }
        if Tensor.needsGrad(tensors) {
            let shapes = tensors.map(\.shape)
            out.recording(op, tensors) { g in
                try shapes.indices.map { i -> Tensor? in
                    if skipped[i] { return try Tensor.zeros(shapes[i], dtype: g.dtype) }
                    return try g.narrow(dim: d, start: starts[i], length: shapes[i][d])
                }
            }
        }
        return out
    }

    /// Joins same-shaped `tensors` along a new dim `dim` (in `0...rank`, negative from the end).
    ///
    ///     stack([(2,3), (2,3), (2,3)], dim: 1) -> (2,3,3)
    public static func stack(_ tensors: [Tensor], dim: Int) throws -> Tensor {
        let op = "stack"
        guard let first = tensors.first else {
            throw EngineError(op, "expected a non-empty list of tensors; got an empty list")
        }
        for (i, t) in tensors.enumerated() where t.shape != first.shape {
            throw EngineError(op, "all tensors must have the same shape; tensor 0 has shape \(shapeString(first.shape)) but tensor \(i) has shape \(shapeString(t.shape))")
        }
        let d = try Shape.normalize(dim: dim, rank: first.rank + 1, op: op)
        // The unsqueeze views record their own (reshape) backward, so cat's rule covers the rest.
        return try cat(tensors.map { try $0.unsqueeze(d) }, dim: d)
    }

    /// Cuts `dim` into views of `size` elements each (the last may be smaller); PyTorch's
    /// `split(int)`. A dim of size 0 gives one empty view.
    public func split(size: Int, dim: Int = 0) throws -> [Tensor] {
        let op = "split"
        guard rank > 0 else { throw EngineError(op, "expects a tensor with at least 1 dim; got a 0-d tensor") }
        let d = try Shape.normalize(dim: dim, rank: rank, op: op)
        let length = shape[d]
        guard size > 0 || (size == 0 && length == 0) else {
            throw EngineError(op, "split size must be positive; got \(size) for dim \(d) of size \(length)")
        }
        if length == 0 { return [try narrow(dim: d, start: 0, length: 0)] }
        return try stride(from: 0, to: length, by: size).map {
            try narrow(dim: d, start: $0, length: Swift.min(size, length - $0))
        }
    }

    /// Cuts `dim` into views of the given sizes, which must sum to the dim's size (PyTorch's
    /// `split(list)` / `split_with_sizes`).
    public func split(sizes: [Int], dim: Int = 0) throws -> [Tensor] {
        let op = "split"
        guard rank > 0 else { throw EngineError(op, "expects a tensor with at least 1 dim; got a 0-d tensor") }
        let d = try Shape.normalize(dim: dim, rank: rank, op: op)
        guard sizes.allSatisfy({ $0 >= 0 }), sizes.reduce(0, +) == shape[d] else {
            throw EngineError(op, "split sizes \(sizes) must be non-negative and sum to \(shape[d]) (dim \(d) of shape \(shapeString(shape)))")
        }
        var pieces: [Tensor] = []
        var start = 0
        for n in sizes {
            pieces.append(try narrow(dim: d, start: start, length: n))
            start += n
        }
        return pieces
    }

    /// Cuts `dim` into `chunks` views of equal size ceil(n/chunks) (the last may be smaller, and
    /// fewer than `chunks` may come back), as PyTorch's `chunk`.
    public func chunk(_ chunks: Int, dim: Int = 0) throws -> [Tensor] {
        let op = "chunk"
        guard rank > 0 else { throw EngineError(op, "expects a tensor with at least 1 dim; got a 0-d tensor") }
        let d = try Shape.normalize(dim: dim, rank: rank, op: op)
        guard chunks > 0 else { throw EngineError(op, "number of chunks must be positive; got \(chunks)") }
        let length = shape[d]
        if length == 0 { return try split(sizes: [Int](repeating: 0, count: chunks), dim: d) }
        return try split(size: (length + chunks - 1) / chunks, dim: d)
    }
}
