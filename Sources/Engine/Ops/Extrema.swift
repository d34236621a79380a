/// Extremes: max/min over all elements or over dims (amax/amin), over one dim with the index of
/// the winner, and argmax/argmin. NaN propagates (it counts as the extreme, as in PyTorch).
enum Extrema {
    /// The more extreme of `a` and `v` (`a` on ties); a NaN on either side wins.
    @inline(__always)
    static func pick<T: Comparable>(_ a: T, _ v: T, largest: Bool) -> T {
        if a != a { return a }
        if v != v { return v }
        return largest ? (v > a ? v : a) : (v < a ? v : a)
    }

    /// Folds `x` over `dims` into `acc` (keepdim shape, contiguous, already holding one element
    /// of each reduced group). Any layout; a contiguous all-element reduction runs on both cores.
    static func fold<T: Element & Comparable>(_ x: Tensor, dims: [Int], largest: Bool, into acc: Tensor, _: T.Type) {
        let pa = acc.pointer(T.self), px = x.storage.typed(T.self)
        if dims.count == x.rank && x.isContiguous && x.numel >= Parallel.elementwiseThreshold {
            let n = x.numel, p = px + x.offset, chunks = Parallel.workers
            var partial = [T](repeating: p[0], count: chunks)
            partial.withUnsafeMutableBufferPointer { buffer in
                guard let out = buffer.baseAddress else { return }
                Parallel.forEach(count: chunks) { c in
                    let lo = n * c / chunks, hi = n * (c + 1) / chunks
                    var a = p[lo]
                    for i in lo..<hi { a = pick(a, p[i], largest: largest) }
                    out[c] = a
                }
            }
            pa[0] = partial.reduce(partial[0]) { pick($0, $1, largest: largest) }
            return
        }
        let accStrides = (0..<x.rank).map { dims.contains($0) ? 0 : acc.strides[$0] }
        let loop = StridedLoop(shape: x.shape, strides: [accStrides, x.strides], offsets: [0, x.offset])
        let sa = loop.rowStrides[0], sx = loop.rowStrides[1]
        loop.forEachRow(in: 0..<loop.rowCount) { o, n in
            let a = pa + o[0], v = px + o[1]
            if sa == 0 {
                var s = a[0]
                for i in 0..<n { s = pick(s, v[i * sx], largest: largest) }
                a[0] = s
            } else {
                for i in 0..<n { a[i * sa] = pick(a[i * sa], v[i * sx], largest: largest) }
            }
        }
    }

    /// For each lane of `x` along `dim` (size >= 1): its extreme into `values` and the first
    /// position holding it into `indices` (both keepdim shape). A NaN wins at its first position.
    static func lanes<T: Element & Comparable>(_ x: Tensor, dim: Int, largest: Bool,
                                               values: Tensor, indices: Tensor, _: T.Type) {
        let lanes = DimLanes(shape: x.shape, dim: dim, [x, values, indices])
        let n = x.shape[dim], sx = lanes.strides[0]
        let px = x.storage.typed(T.self), pv = values.storage.typed(T.self), pi = indices.storage.typed(Int64.self)
        @inline(__always) func scan(_ p: UnsafeMutablePointer<T>, _ better: (T, T) -> Bool) -> (T, Int) {
            var best = p[0], at = 0
            if best != best { return (best, 0) }
            var j = 1
            while j < n {
                let v = p[j * sx]
                if v != v { return (v, j) }
                if better(v, best) { best = v; at = j }
                j += 1
            }
            return (best, at)
        }
        lanes.run(work: n) { o in
            let (best, at) = largest ? scan(px + o[0], >) : scan(px + o[0], <)
            pv[o[1]] = best
            pi[o[2]] = Int64(at)
        }
    }
}

extension Tensor {
    /// Largest element as a 0-d tensor (NaN if any element is NaN). Throws for an empty tensor.
    /// Gradient goes to the positions holding the max, split evenly on ties.
    public func max() throws -> Tensor { try extreme(dims: nil, keepdim: false, largest: true, op: "max") }

    /// Smallest element as a 0-d tensor; see `max()`.
    public func min() throws -> Tensor { try extreme(dims: nil, keepdim: false, largest: false, op: "min") }

    /// Max over `dims` (all when nil): shape of `self` without those dims (size 1 with `keepdim`).
    /// Reduced dims must be non-empty. Gradient split evenly among tied maxima.
    public func amax(dims: [Int]? = nil, keepdim: Bool = false) throws -> Tensor {
        try extreme(dims: dims, keepdim: keepdim, largest: true, op: "amax")
    }

    /// Min over `dims` (all when nil); see `amax`.
    public func amin(dims: [Int]? = nil, keepdim: Bool = false) throws -> Tensor {
        try extreme(dims: dims, keepdim: keepdim, largest: false, op: "amin")
    }

    /// Max along `dim`: `values` (differentiable; the gradient goes to the index) and int64
    /// `indices` of the first maximum (or first NaN), both shaped as `self` without `dim` (size 1
    /// with `keepdim`). The dim must be non-empty.
    public func max(dim: Int, keepdim: Bool = false) throws -> (values: Tensor, indices: Tensor) {
        try extreme(dim: dim, keepdim: keepdim, largest: true, op: "max")
    }

    /// Min along `dim` with int64 indices of the first minimum; see `max(dim:keepdim:)`.
    public func min(dim: Int, keepdim: Bool = false) throws -> (values: Tensor, indices: Tensor) {
        try extreme(dim: dim, keepdim: keepdim, largest: false, op: "min")
    }

    /// int64 index of the first maximum along `dim`, or into the flattened tensor when `dim` is
    /// nil (then `keepdim` gives all dims size 1). Not differentiable.
    public func argmax(dim: Int? = nil, keepdim: Bool = false) throws -> Tensor {
        try argExtreme(dim: dim, keepdim: keepdim, largest: true, op: "argmax")
    }

    /// int64 index of the first minimum; see `argmax`.
    public func argmin(dim: Int? = nil, keepdim: Bool = false) throws -> Tensor {
        try argExtreme(dim: dim, keepdim: keepdim, largest: false, op: "argmin")
    }

    /// amax/amin and the all-element max/min.
    private func extreme(dims: [Int]?, keepdim: Bool, largest: Bool, op: String) throws -> Tensor {
        let reduced = try Reduction.resolveDims(dims, rank: rank, op: op).filter { $0 < rank }
        for d in reduced where shape[d] == 0 {
            throw EngineError(op, "expected a non-empty reduction; dim \(d) of shape \(shapeString(shape)) has size 0")
        }
        let kept = Reduction.outputShape(shape, dims: reduced, keepdim: true)
        // Start from the first element of every reduced group (the view at index 0 of each dim).
        let acc = try makeView(shape: kept, strides: strides, offset: offset).castCopy(to: dtype)
        switch dtype {
        case .float32: Extrema.fold(self, dims: reduced, largest: largest, into: acc, Float.self)
        case .float64: Extrema.fold(self, dims: reduced, largest: largest, into: acc, Double.self)
        case .int64: Extrema.fold(self, dims: reduced, largest: largest, into: acc, Int64.self)
        case .int32: Extrema.fold(self, dims: reduced, largest: largest, into: acc, Int32.self)
        case .int8: Extrema.fold(self, dims: reduced, largest: largest, into: acc, Int8.self)
        case .uint8, .bool: Extrema.fold(self, dims: reduced, largest: largest, into: acc, UInt8.self)
        }
        let out = acc.reshapeRaw(Reduction.outputShape(shape, dims: reduced, keepdim: keepdim))
        if Tensor.needsGrad(self) {
            let x = detach(), y = acc.detach()
            out.recording(op, [self]) { g in
                // Every position equal to the result (NaN matching NaN) shares the gradient.
                let mask = try x.eq(y).logicalOr(x.ne(x).logicalAnd(y.ne(y))).to(g.dtype)
                let count = try mask.sum(dims: reduced, keepdim: true)
                return [try g.reshape(kept).mul(mask).div(count)]
            }
        }
        return out
    }

    /// max/min along one dim with indices.
    private func extreme(dim: Int, keepdim: Bool, largest: Bool, op: String) throws -> (values: Tensor, indices: Tensor) {
        let d = try Shape.normalize(dim: dim, rank: rank, op: op)
        let x = atLeast1d()
        guard x.shape[d] > 0 else {
            throw EngineError(op, "expected a non-empty dim to reduce; dim \(dim) of shape \(shapeString(shape)) has size 0")
        }
        var kept = x.shape
        kept[d] = 1
        let values = try Tensor(shape: kept, dtype: dtype, zeroed: false, op: op)
        let indices = try Tensor(shape: kept, dtype: .int64, zeroed: false, op: op)
        switch dtype {
        case .float32: Extrema.lanes(x, dim: d, largest: largest, values: values, indices: indices, Float.self)
        case .float64: Extrema.lanes(x, dim: d, largest: largest, values: values, indices: indices, Double.self)
        case .int64: Extrema.lanes(x, dim: d, largest: largest, values: values, indices: indices, Int64.self)
        case .int32: Extrema.lanes(x, dim: d, largest: largest, values: values, indices: indices, Int32.self)
        case .int8: Extrema.lanes(x, dim: d, largest: largest, values: values, indices: indices, Int8.self)
        case .uint8, .bool: Extrema.lanes(x, dim: d, largest: largest, values: values, indices: indices, UInt8.self)
        }
        let outShape = rank == 0 ? [] : Reduction.outputShape(shape, dims: [d], keepdim: keepdim)
        let v = values.reshapeRaw(outShape), i = indices.reshapeRaw(outShape)
        if Tensor.needsGrad(self) {
            let inShape = shape
            v.recording(op, [self]) { g in
                [try Tensor.routeGradient(into: inShape, dim: d, index: indices, source: g)]
            }
        }
        return (v, i)
    }

    private func argExtreme(dim: Int?, keepdim: Bool, largest: Bool, op: String) throws -> Tensor {
        guard let dim else {
            guard numel > 0 else { throw EngineError(op, "expected a non-empty tensor; got shape \(shapeString(shape))") }
            let flat = try detach().reshape([-1])
            let i = try flat.extreme(dim: 0, keepdim: false, largest: largest, op: op).indices
            return keepdim ? i.reshapeRaw([Int](repeating: 1, count: rank)) : i
        }
        return try detach().extreme(dim: dim, keepdim: keepdim, largest: largest, op: op).indices
    }
}
