/// Reading and writing along one dim through integer index tensors: PyTorch's `index_select`,
/// `index_add`, `gather`, `scatter` and `scatter_add` (all out of place). Index tensors are
/// int64 or int32; negative entries count from the end of the indexed dim. Every index is
/// validated once, up front, so the kernels run without bounds checks.
enum IndexKernels {
    /// The entries of `index` (row-major) as positions in `0..<size`, negatives wrapped.
    static func positions(_ index: Tensor, size: Int, dim: Int, op: String) throws -> [Int] {
        guard index.dtype == .int64 || index.dtype == .int32 else {
            throw EngineError(op, "index must be an int64 or int32 tensor; got \(index.dtype) of shape \(shapeString(index.shape))")
        }
        let source = try index.isContiguous && index.dtype == .int64 ? index : index.castCopy(to: .int64)
        let p = source.pointer(Int64.self)
        let n = source.numel, bound = Int64(size)
        var result = [Int](repeating: 0, count: n)
        try result.withUnsafeMutableBufferPointer { out in
            for i in 0..<n {
                let raw = p[i]
                let v = raw < 0 ? raw + bound : raw
                guard v >= 0 && v < bound else {
                    throw EngineError(op, "index \(raw) out of range for dim \(dim) of size \(size)")
                }
                out[i] = Int(v)
            }
        }
        return result
    }

    /// `out.select(d, j) = x.select(d, idx[j])` for every j. `out` has x's shape with
    /// `idx.count` at `d`. Parallel over rows of the other dims, or over j when there is one row.
    static func selectRows<T: Element>(_: T.Type, _ x: Tensor, _ idx: [Int], dim d: Int, into out: Tensor) {
        var rest = x.shape, xs = x.strides, os = out.strides
        rest.remove(at: d)
        let xd = xs.remove(at: d), od = os.remove(at: d)
        let loop = StridedLoop(shape: rest, strides: [os, xs], offsets: [out.offset, x.offset])
        let po = out.storage.typed(T.self), px = x.storage.typed(T.self)
        let ro = loop.rowStrides[0], rx = loop.rowStrides[1]
        let k = idx.count
        idx.withUnsafeBufferPointer { ip in
            func body(rows: Range<Int>, js: Range<Int>) {
                loop.forEachRow(in: rows) { o, n in
                    for j in js {
                        let dst = po + o[0] + j * od, src = px + o[1] + ip[j] * xd
                        if ro == 1 && rx == 1 { dst.update(from: src, count: n) }
                        else { for i in 0..<n { dst[i * ro] = src[i * rx] } }
                    }
                }
            }
            if loop.rowCount * loop.rowLength * k < Parallel.elementwiseThreshold {
                body(rows: 0..<loop.rowCount, js: 0..<k)
            } else if loop.rowCount >= 2 {
                Parallel.forRanges(count: loop.rowCount) { body(rows: $0, js: 0..<k) }
            } else {
                Parallel.forRanges(count: k) { body(rows: 0..<loop.rowCount, js: $0) }
            }
        }
    }

    /// `out.select(d, idx[j]) += src.select(d, j)` for every j, in order (repeats accumulate).
    /// Parallel only over rows of the other dims, which write disjoint elements.
    static func addRows<T: Element>(_: T.Type, _ src: Tensor, _ idx: [Int], dim d: Int, into out: Tensor) {
        var rest = src.shape, ss = src.strides, os = out.strides
        rest.remove(at: d)
        let sd = ss.remove(at: d), od = os.remove(at: d)
        let loop = StridedLoop(shape: rest, strides: [os, ss], offsets: [out.offset, src.offset])
        let po = out.storage.typed(T.self), ps = src.storage.typed(T.self)
        let ro = loop.rowStrides[0], rs = loop.rowStrides[1]
        let k = idx.count
        idx.withUnsafeBufferPointer { ip in
            func body(rows: Range<Int>) {
                loop.forEachRow(in: rows) { o, n in
                    for j in 0..<k {
                        let dst = po + o[0] + ip[j] * od, s = ps + o[1] + j * sd
                        for i in 0..<n { dst[i * ro] = T.add(dst[i * ro], s[i * rs]) }
                    }
                }
            }
            if loop.rowCount >= 2 && loop.rowCount * loop.rowLength * k >= Parallel.elementwiseThreshold {
                Parallel.forRanges(count: loop.rowCount, body)
            } else {
                body(rows: 0..<loop.rowCount)
            }
        }
    }

    /// `out[p] = x[p with dim d replaced by idx[p]]` for every position p of `shape` (the index
    /// shape; `out` is contiguous with it, so an element's offset in `out` is its index position).
    static func gather<T: Element>(_: T.Type, _ x: Tensor, _ idx: [Int], shape: [Int], dim d: Int, into out: Tensor) {
        var xs = x.strides
        let xd = xs[d]
        xs[d] = 0
        let loop = StridedLoop(shape: shape, strides: [Shape.contiguousStrides(shape), xs], offsets: [0, x.offset])
        let po = out.pointer(T.self), px = x.storage.typed(T.self)
        let ro = loop.rowStrides[0], rx = loop.rowStrides[1]
        idx.withUnsafeBufferPointer { ip in
            guard let base = ip.baseAddress else { return }
            loop.run { o, n in
                let z = po + o[0], w = base + o[0], v = px + o[1]
                for i in 0..<n { z[i * ro] = v[i * rx + w[i * ro] * xd] }
            }
        }
    }

    /// `out[p with dim d replaced by idx[p]] = src[p]` (or `+=` when `accumulate`) for every
    /// position p of `shape`, in row-major order, so the last of repeated targets wins.
    static func scatter<T: Element>(_: T.Type, _ src: Tensor, _ idx: [Int], shape: [Int], dim d: Int,
                                    into out: Tensor, accumulate: Bool) {
        var os = out.strides
        let od = os[d]
        os[d] = 0
        let loop = StridedLoop(shape: shape, strides: [Shape.contiguousStrides(shape), os, src.strides],
                               offsets: [0, out.offset, src.offset])
        let po = out.storage.typed(T.self), ps = src.storage.typed(T.self)
        let ri = loop.rowStrides[0], ro = loop.rowStrides[1], rs = loop.rowStrides[2]
        idx.withUnsafeBufferPointer { ip in
            guard let base = ip.baseAddress else { return }
            loop.forEachRow(in: 0..<loop.rowCount) { o, n in
                let w = base + o[0], z = po + o[1], s = ps + o[2]
                if accumulate {
                    for i in 0..<n { let t = z + i * ro + w[i * ri] * od; t[0] = T.add(t[0], s[i * rs]) }
                } else {
                    for i in 0..<n { z[i * ro + w[i * ri] * od] = s[i * rs] }
                }
            }
        }
    }
}

extension Tensor {
    /// Rows (or columns, ...) of `dim` picked by a 1-d int64/int32 `index` of length k, repeats
    /// allowed: the result has this shape with k at `dim`. Backward adds the gradient back into
    /// the picked positions (repeats accumulate).
    ///
    ///     (5,3).indexSelect(dim: 0, index: [4, 0, 4]) -> (3,3)
    public func indexSelect(dim: Int, index: Tensor) throws -> Tensor {
        let op = "index_select"
        guard rank > 0 else { throw EngineError(op, "expects a tensor with at least 1 dim; got a 0-d tensor") }
        let d = try Shape.normalize(dim: dim, rank: rank, op: op)
        guard index.rank <= 1 else {
            throw EngineError(op, "index must be a 1-d tensor; got shape \(shapeString(index.shape))")
        }
        let idx = try IndexKernels.positions(index, size: shape[d], dim: d, op: op)
        var outShape = shape
        outShape[d] = idx.count
        let out = try Tensor(shape: outShape, dtype: dtype, zeroed: false, op: op)
        switch dtype {
        case .float32: IndexKernels.selectRows(Float.self, self, idx, dim: d, into: out)
        case .float64: IndexKernels.selectRows(Double.self, self, idx, dim: d, into: out)
        case .int64: IndexKernels.selectRows(Int64.self, self, idx, dim: d, into: out)
        case .int32: IndexKernels.selectRows(Int32.self, self, idx, dim: d, into: out)
        case .int8: IndexKernels.selectRows(Int8.self, self, idx, dim: d, into: out)
        case .uint8, .bool: IndexKernels.selectRows(UInt8.self, self, idx, dim: d, into: out)
        }
        if Tensor.needsGrad(self) {
            let inShape = shape, index = index.detach()
            out.recording(op, [self, index]) { g in
                [try Tensor.zeros(inShape, dtype: g.dtype).indexAdd(dim: d, index: index, source: g), nil]
            }
        }
        return out
    }

    /// A copy of this tensor with `source.select(dim, j)` added at position `index[j]` of `dim`
    /// for every j (repeats accumulate). `index` is 1-d of length k; `source` has this shape with
    /// k at `dim` and is converted to this dtype. Gradients: `g` to self, `g.indexSelect` to source.
    public func indexAdd(dim: Int, index: Tensor, source: Tensor) throws -> Tensor {
        let op = "index_add"
        guard rank > 0 else { throw EngineError(op, "expects a tensor with at least 1 dim; got a 0-d tensor") }
        let d = try Shape.normalize(dim: dim, rank: rank, op: op)
        guard dtype != .bool else { throw EngineError(op, "not supported for bool tensors; convert with to(...) first") }
        guard index.rank <= 1 else {
            throw EngineError(op, "index must be a 1-d tensor; got shape \(shapeString(index.shape))")
        }
        var expected = shape
        expected[d] = index.numel
        guard source.shape == expected else {
            throw EngineError(op, "source must have shape \(shapeString(expected)) (self's shape with dim \(d) = index length \(index.numel)); got self \(shapeString(shape)), source \(shapeString(source.shape))")
        }
        let idx = try IndexKernels.positions(index, size: shape[d], dim: d, op: op)
        let out = try castCopy(to: dtype)
        let src = try source.converted(dtype)
        switch dtype {
        case .float32: IndexKernels.addRows(Float.self, src, idx, dim: d, into: out)
        case .float64: IndexKernels.addRows(Double.self, src, idx, dim: d, into: out)
        case .int64: IndexKernels.addRows(Int64.self, src, idx, dim: d, into: out)
        case .int32: IndexKernels.addRows(Int32.self, src, idx, dim: d, into: out)
        case .int8: IndexKernels.addRows(Int8.self, src, idx, dim: d, into: out)
        case .uint8, .bool: IndexKernels.addRows(UInt8.self, src, idx, dim: d, into: out)
        }
        if Tensor.needsGrad(self, source) {
            let index = index.detach(), wantSource = source.requiresGrad
            out.recording(op, [self, index, source]) { g in
                [g, nil, try wantSource ? g.indexSelect(dim: d, index: index) : nil]
            }
        }
        return out
    }

    /// Picks along `dim` by an index of the same rank: `out[i][j][k] = self[i][index[i][j][k]][k]`
    /// for dim 1. The result has the index's shape, which may be smaller than self's in every dim
    /// but `dim`. Backward scatter-adds the gradient back (repeats accumulate).
    public func gather(dim: Int, index: Tensor) throws -> Tensor {
        let op = "gather"
        let d = try Shape.normalize(dim: dim, rank: rank, op: op)
        guard index.rank == rank else {
            throw EngineError(op, "index must have as many dims as self; got self \(shapeString(shape)), index \(shapeString(index.shape))")
        }
        for k in 0..<rank where k != d && index.shape[k] > shape[k] {
            throw EngineError(op, "index shape \(shapeString(index.shape)) exceeds self shape \(shapeString(shape)) in dim \(k) (only dim \(d) may be larger)")
        }
        let x = atLeast1d()
        let idx = try IndexKernels.positions(index, size: x.shape[d], dim: d, op: op)
        let out = try Tensor(shape: index.shape, dtype: dtype, zeroed: false, op: op)
        let shape1 = index.rank == 0 ? [1] : index.shape
        switch dtype {
        case .float32: IndexKernels.gather(Float.self, x, idx, shape: shape1, dim: d, into: out)
        case .float64: IndexKernels.gather(Double.self, x, idx, shape: shape1, dim: d, into: out)
        case .int64: IndexKernels.gather(Int64.self, x, idx, shape: shape1, dim: d, into: out)
        case .int32: IndexKernels.gather(Int32.self, x, idx, shape: shape1, dim: d, into: out)
        case .int8: IndexKernels.gather(Int8.self, x, idx, shape: shape1, dim: d, into: out)
        case .uint8, .bool: IndexKernels.gather(UInt8.self, x, idx, shape: shape1, dim: d, into: out)
        }
        if Tensor.needsGrad(self) {
            let inShape = shape, index = index.detach()
            out.recording(op, [self, index]) { g in
                [try Tensor.zeros(inShape, dtype: g.dtype).scatterAdd(dim: d, index: index, src: g), nil]
            }
        }
        return out
    }

    /// A copy of this tensor with `src` written at the positions `index` names along `dim`:
    /// `out[i][index[i][j][k]][k] = src[i][j][k]` for dim 1, over the index's shape (which must
    /// fit inside src's, and inside self's except along `dim`). With repeated targets the last
    /// write in row-major order wins. Gradients: to self `g` with written positions zeroed, to
    /// src `g.gather` (PyTorch's rule).
    public func scatter(dim: Int, index: Tensor, src: Tensor) throws -> Tensor {
        try scattered(op: "scatter", dim: dim, index: index, src: src, accumulate: false)
    }

    /// `scatter` with every written value equal to `value` (converted to this dtype).
    public func scatter(dim: Int, index: Tensor, value: Double) throws -> Tensor {
        guard index.rank == rank else {
            throw EngineError("scatter", "index must have as many dims as self; got self \(shapeString(shape)), index \(shapeString(index.shape))")
        }
        let filler = try Tensor.scalar(value, dtype: dtype)
        let src = filler.makeView(shape: index.shape, strides: [Int](repeating: 0, count: index.rank), offset: 0)
        return try scattered(op: "scatter", dim: dim, index: index, src: src, accumulate: false)
    }

    /// A copy of this tensor with `src` added at the positions `index` names along `dim`
    /// (`out[i][index[i][j][k]][k] += src[i][j][k]` for dim 1; repeats accumulate). Gradients:
    /// `g` to self, `g.gather` to src.
    public func scatterAdd(dim: Int, index: Tensor, src: Tensor) throws -> Tensor {
        try scattered(op: "scatter_add", dim: dim, index: index, src: src, accumulate: true)
    }

    private func scattered(op: String, dim: Int, index: Tensor, src: Tensor, accumulate: Bool) throws -> Tensor {
        let d = try Shape.normalize(dim: dim, rank: rank, op: op)
        guard index.rank == rank && src.rank == rank else {
            throw EngineError(op, "self, index and src must have the same number of dims; got self \(shapeString(shape)), index \(shapeString(index.shape)), src \(shapeString(src.shape))")
        }
        for k in 0..<rank {
            guard index.shape[k] <= src.shape[k] else {
                throw EngineError(op, "index shape \(shapeString(index.shape)) exceeds src shape \(shapeString(src.shape)) in dim \(k)")
            }
            guard k == d || index.shape[k] <= shape[k] else {
                throw EngineError(op, "index shape \(shapeString(index.shape)) exceeds self shape \(shapeString(shape)) in dim \(k) (only dim \(d) may be larger)")
            }
        }
        if accumulate && dtype == .bool {
            throw EngineError(op, "not supported for bool tensors; convert with to(...) first")
        }
        let idx = try IndexKernels.positions(index, size: rank == 0 ? 1 : shape[d], dim: d, op: op)
        let out = try castCopy(to: dtype)
        let source = try src.converted(dtype).atLeast1d()
        let target = out.atLeast1d()
        let shape1 = index.rank == 0 ? [1] : index.shape
        switch dtype {
        case .float32: IndexKernels.scatter(Float.self, source, idx, shape: shape1, dim: d, into: target, accumulate: accumulate)
        case .float64: IndexKernels.scatter(Double.self, source, idx, shape: shape1, dim: d, into: target, accumulate: accumulate)
        case .int64: IndexKernels.scatter(Int64.self, source, idx, shape: shape1, dim: d, into: target, accumulate: accumulate)
        case .int32: IndexKernels.scatter(Int32.self, source, idx, shape: shape1, dim: d, into: target, accumulate: accumulate)
        case .int8: IndexKernels.scatter(Int8.self, source, idx, shape: shape1, dim: d, into: target, accumulate: accumulate)
        case .uint8, .bool: IndexKernels.scatter(UInt8.self, source, idx, shape: shape1, dim: d, into: target, accumulate: accumulate)
        }
        if Tensor.needsGrad(self, src) {
            let index = index.detach(), srcShape = src.shape
            let wantSelf = requiresGrad, wantSource = src.requiresGrad
            out.recording(op, [self, index, src]) { g in
                var gSelf: Tensor? = nil, gSource: Tensor? = nil
                if wantSelf { gSelf = try accumulate ? g : g.scatter(dim: d, index: index, value: 0) }
                if wantSource { gSource = try g.gather(dim: d, index: index).zeroPadded(to: srcShape) }
                return [gSelf, nil, gSource]
            }
        }
        return out
    }

    /// A 0-d tensor seen as shape (1); other tensors unchanged. No graph recording.
    func atLeast1d() -> Tensor {
        rank == 0 ? makeView(shape: [1], strides: [1], offset: offset) : self
    }

    /// This tensor in the leading corner of a zero tensor of `target` shape (each dim ≥ this
    /// one's). No graph recording.
    func zeroPadded(to target: [Int]) throws -> Tensor {
        if target == shape { return self }
        let full = try Tensor.zeros(target, dtype: dtype)
        try full.makeView(shape: shape, strides: full.strides, offset: 0).assign(from: self)
        return full
    }
}
