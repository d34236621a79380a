/// Views: new shape/strides over the same storage. Each records a backward rule that routes the
/// gradient back to the viewed tensor's layout.
extension Tensor {
    /// A view with the given geometry (no checks: callers validate).
    func makeView(shape: [Int], strides: [Int], offset: Int) -> Tensor {
        Tensor(storage: storage, shape: shape, strides: strides, offset: offset)
    }

    /// Resolves one `-1` entry in a requested shape against `numel`.
    func inferShape(_ requested: [Int], op: String) throws -> [Int] {
        var shape = requested
        let unknown = requested.indices.filter { requested[$0] == -1 }
        guard unknown.count <= 1 else { throw EngineError(op, "only one dimension can be -1; got \(shapeString(requested))") }
        for d in requested where d < -1 { throw EngineError(op, "invalid size \(d) in \(shapeString(requested))") }
        if let u = unknown.first {
            let known = requested.enumerated().filter { $0.offset != u }.reduce(1) { $0 * $1.element }
            guard known > 0, numel % known == 0 else {
                throw EngineError(op, "shape \(shapeString(requested)) is invalid for input of size \(numel) with shape \(shapeString(self.shape))")
            }
            shape[u] = numel / known
        }
        guard try Shape.numel(shape, op: op) == numel else {
            throw EngineError(op, "shape \(shapeString(requested)) is invalid for input of size \(numel) with shape \(shapeString(self.shape))")
        }
        return shape
    }

    /// Same data with a new shape (one dim may be -1). A view when the layout allows it, else a copy.
    public func reshape(_ newShape: [Int]) throws -> Tensor {
        let target = try inferShape(newShape, op: "reshape")
        if target == shape { return self }
        let source = try contiguous()
        let out = source.makeView(shape: target, strides: Shape.contiguousStrides(target), offset: source.offset)
        if Tensor.needsGrad(source) {
            let inShape = source.shape
            out.recording("reshape", [source]) { g in [try g.reshape(inShape)] }
        }
        return out
    }

    /// Like `reshape` but never copies: throws for non-contiguous input (PyTorch's `view`).
    public func view(_ newShape: [Int]) throws -> Tensor {
        guard isContiguous else {
            throw EngineError("view", "tensor of shape \(shapeString(shape)) is not contiguous; use reshape or contiguous() first")
        }
        return try reshape(newShape)
    }

    /// Collapses dims `start...end` into one.
    public func flatten(start: Int = 0, end: Int = -1) throws -> Tensor {
        if rank == 0 { return try reshape([1]) }
        let s = try Shape.normalize(dim: start, rank: rank, op: "flatten")
        let e = try Shape.normalize(dim: end, rank: rank, op: "flatten")
        guard s <= e else { throw EngineError("flatten", "start dim \(start) is after end dim \(end)") }
        let merged = shape[s...e].reduce(1, *)
        return try reshape(Array(shape[..<s]) + [merged] + Array(shape[(e + 1)...]))
    }

    /// Swaps two dims.
    public func transpose(_ dim0: Int, _ dim1: Int) throws -> Tensor {
        let a = try Shape.normalize(dim: dim0, rank: rank, op: "transpose")
        let b = try Shape.normalize(dim: dim1, rank: rank, op: "transpose")
        if rank < 2 || a == b { return self }
        var p = Array(0..<rank)
        p.swapAt(a, b)
        return try permute(p)
    }

    /// Matrix transpose of a ≤2-d tensor (PyTorch's `.t()`).
    public func t() throws -> Tensor {
        guard rank <= 2 else { throw EngineError("t", "expects a tensor with <= 2 dims; got shape \(shapeString(shape))") }
        return rank < 2 ? self : try transpose(0, 1)
    }

    /// Reorders dims: output dim i is input dim `order[i]`.
    public func permute(_ order: [Int]) throws -> Tensor {
        guard order.count == rank else {
            throw EngineError("permute", "expected \(rank) dims for shape \(shapeString(shape)); got \(order)")
        }
        let dims = try order.map { try Shape.normalize(dim: $0, rank: rank, op: "permute") }
        guard Set(dims).count == rank else { throw EngineError("permute", "repeated dim in \(order)") }
        let out = makeView(shape: dims.map { shape[$0] }, strides: dims.map { strides[$0] }, offset: offset)
        if Tensor.needsGrad(self) {
            var inverse = [Int](repeating: 0, count: rank)
            for (i, d) in dims.enumerated() { inverse[d] = i }
            out.recording("permute", [self]) { g in [try g.permute(inverse)] }
        }
        return out
    }

    /// Elements `start, start+step, ...` below `end` along `dim` (0-based, end exclusive; negative
    /// start/end count from the end, out-of-range bounds are clamped as in Python slicing).
    public func slice(dim: Int, start: Int = 0, end: Int? = nil, step: Int = 1) throws -> Tensor {
        guard rank > 0 else { throw EngineError("slice", "cannot slice a 0-d tensor") }
        let d = try Shape.normalize(dim: dim, rank: rank, op: "slice")
        guard step > 0 else { throw EngineError("slice", "step must be positive; got \(step)") }
        let size = shape[d]
        func clamp(_ i: Int) -> Int { Swift.min(Swift.max(i < 0 ? i + size : i, 0), size) }
        let lo = clamp(start), hi = Swift.max(clamp(end ?? size), lo)
        let count = (hi - lo + step - 1) / step
        var newShape = shape, newStrides = strides
        newShape[d] = count
        newStrides[d] = strides[d] * step
        let out = makeView(shape: newShape, strides: newStrides, offset: offset + lo * strides[d])
        if Tensor.needsGrad(self) {
            let inShape = shape, inType = dtype
            out.recording("slice", [self]) { g in
                let full = try Tensor.zeros(inShape, dtype: inType)
                try full.slice(dim: d, start: lo, end: hi, step: step).assign(from: g)
                return [full]
            }
        }
        return out
    }

    /// `length` elements from `start` along `dim` (strict bounds, as PyTorch's `narrow`).
    public func narrow(dim: Int, start: Int, length: Int) throws -> Tensor {
        guard rank > 0 else { throw EngineError("narrow", "cannot narrow a 0-d tensor") }
        let d = try Shape.normalize(dim: dim, rank: rank, op: "narrow")
        let s = start < 0 ? start + shape[d] : start
        guard s >= 0, length >= 0, s + length <= shape[d] else {
            throw EngineError("narrow", "start \(start) + length \(length) out of range for dim \(dim) of size \(shape[d]) (shape \(shapeString(shape)))")
        }
        return try slice(dim: d, start: s, end: s + length)
    }

    /// Removes `dim` by taking index `index` (negative counts from the end).
    public func select(dim: Int, index: Int) throws -> Tensor {
        guard rank > 0 else { throw EngineError("select", "cannot index a 0-d tensor") }
        let d = try Shape.normalize(dim: dim, rank: rank, op: "select")
        let i = index < 0 ? index + shape[d] : index
        guard i >= 0 && i < shape[d] else {
            throw EngineError("select", "index \(index) out of range for dim \(dim) of size \(shape[d]) (shape \(shapeString(shape)))")
        }
        var newShape = shape, newStrides = strides
        newShape.remove(at: d)
        newStrides.remove(at: d)
        let out = makeView(shape: newShape, strides: newStrides, offset: offset + i * strides[d])
        if Tensor.needsGrad(self) {
            let inShape = shape, inType = dtype
            out.recording("select", [self]) { g in
                let full = try Tensor.zeros(inShape, dtype: inType)
                try full.select(dim: d, index: i).assign(from: g)
                return [full]
            }
        }
        return out
    }

    /// Inserts a size-1 dim at `dim` (in `0...rank`, negative from the end).
    public func unsqueeze(_ dim: Int) throws -> Tensor {
        let d = try Shape.normalize(dim: dim, rank: rank + 1, op: "unsqueeze")
        var newShape = shape, newStrides = strides
        newShape.insert(1, at: d)
        newStrides.insert(d < rank ? shape[d] * strides[d] : 1, at: d)
        return sizeOneView(newShape, newStrides, op: "unsqueeze")
    }

    /// Removes size-1 dims (all, or only `dim`).
    public func squeeze(_ dim: Int? = nil) throws -> Tensor {
        var keep = Array(0..<rank).filter { shape[$0] != 1 }
        if let dim {
            if rank == 0 { return self }
            let d = try Shape.normalize(dim: dim, rank: rank, op: "squeeze")
            guard shape[d] == 1 else { return self }
            keep = Array(0..<rank).filter { $0 != d }
        }
        return sizeOneView(keep.map { shape[$0] }, keep.map { strides[$0] }, op: "squeeze")
    }

    /// A view that only adds or removes size-1 dims.
    private func sizeOneView(_ newShape: [Int], _ newStrides: [Int], op: String) -> Tensor {
        let out = makeView(shape: newShape, strides: newStrides, offset: offset)
        if Tensor.needsGrad(self) {
            let inShape = shape
            out.recording(op, [self]) { g in [try g.reshape(inShape)] }
        }
        return out
    }

    /// Broadcasts to `target` without copying (stride 0 on expanded dims). `-1` keeps a size.
    public func expand(_ target: [Int]) throws -> Tensor {
        guard target.count >= rank else {
            throw EngineError("expand", "target \(shapeString(target)) has fewer dims than tensor \(shapeString(shape))")
        }
        let lead = target.count - rank
        var resolved = target
        for i in 0..<rank where target[lead + i] == -1 { resolved[lead + i] = shape[i] }
        return try broadcast(to: resolved, op: "expand")
    }

    /// View broadcast to `target` by NumPy rules; throws naming `op` when impossible.
    func broadcast(to target: [Int], op: String) throws -> Tensor {
        let out = try broadcastView(to: target, op: op)
        if out !== self && Tensor.needsGrad(self) {
            let inShape = shape
            out.recording(op, [self]) { g in [try g.sumToShape(inShape)] }
        }
        return out
    }

    /// The broadcast view itself, never recorded (for kernels' internal use).
    func broadcastView(to target: [Int], op: String) throws -> Tensor {
        if target == shape { return self }
        guard target.count >= rank else {
            throw EngineError(op, "cannot broadcast shape \(shapeString(shape)) to \(shapeString(target))")
        }
        let lead = target.count - rank
        var newStrides = [Int](repeating: 0, count: target.count)
        for i in 0..<target.count {
            guard target[i] >= 0 else { throw EngineError(op, "invalid size \(target[i]) in \(shapeString(target))") }
            if i < lead { continue }
            let size = shape[i - lead]
            if size == target[i] { newStrides[i] = strides[i - lead] }
            else if size == 1 { newStrides[i] = 0 }
            else {
                throw EngineError(op, "cannot broadcast shape \(shapeString(shape)) to \(shapeString(target)) (dim \(i): \(size) vs \(target[i]))")
            }
        }
        return makeView(shape: target, strides: newStrides, offset: offset)
    }

    /// Sliding windows of `size` with `step` along `dim`, as a new last dim (PyTorch's `unfold`).
    public func unfold(dim: Int, size: Int, step: Int) throws -> Tensor {
        let d = try Shape.normalize(dim: dim, rank: rank, op: "unfold")
        let length = rank == 0 ? 1 : shape[d]
        guard size > 0, step > 0, size <= length else {
            throw EngineError("unfold", "size \(size) and step \(step) must be positive with size <= \(length) (dim \(dim) of shape \(shapeString(shape)))")
        }
        var newShape = shape, newStrides = strides
        if rank == 0 { newShape = [1]; newStrides = [1] }
        newShape[d] = (length - size) / step + 1
        newStrides[d] = (rank == 0 ? 1 : strides[d]) * step
        newShape.append(size)
        newStrides.append(rank == 0 ? 1 : strides[d])
        let out = makeView(shape: newShape, strides: newStrides, offset: offset)
        if Tensor.needsGrad(self) {
            let inShape = shape, inType = dtype
            out.recording("unfold", [self]) { g in
                let full = try Tensor.zeros(inShape, dtype: inType)
                try full.unfold(dim: d, size: size, step: step).addAssign(from: g)
                return [full]
            }
        }
        return out
    }
}
