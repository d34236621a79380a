/// Sorting and top-k along a dim. Orders are total and stable: values ascending with NaN last
/// (descending: NaN first, as PyTorch treats NaN as the largest value), ties by position.
enum LaneSort {
    /// True when (a at position i) comes before (b at position j).
    @inline(__always)
    static func before<T: Comparable>(_ a: T, _ i: Int, _ b: T, _ j: Int, descending: Bool) -> Bool {
        let aNaN = a != a, bNaN = b != b
        if aNaN != bNaN { return descending ? aNaN : bNaN }
        if !aNaN && a != b { return descending ? a > b : a < b }
        return i < j
    }

    /// The first `k` elements of each lane of `x` along `dim` in the order (all of them for a
    /// sort), into `values` and int64 `indices` (shape of `x` with `k` along `dim`).
    static func firstK<T: Element & Comparable>(_ x: Tensor, dim: Int, k: Int, descending: Bool,
                                                values: Tensor, indices: Tensor, _: T.Type) {
        let lanes = DimLanes(shape: x.shape, dim: dim, [x, values, indices])
        let n = x.shape[dim], sx = lanes.strides[0], sv = lanes.strides[1], si = lanes.strides[2]
        let px = x.storage.typed(T.self), pv = values.storage.typed(T.self), pi = indices.storage.typed(Int64.self)
        let order: ((T, Int), (T, Int)) -> Bool = { before($0.0, $0.1, $1.0, $1.1, descending: descending) }
        // A full sort when most of the lane is kept, else a bounded heap (n log k).
        let useHeap = k < n / 8
        lanes.runRanges(work: n) { range in
            var buffer: [(T, Int)] = []
            buffer.reserveCapacity(useHeap ? k : n)
            lanes.forEach(in: range) { o in
                let p = px + o[0]
                buffer.removeAll(keepingCapacity: true)
                if useHeap {
                    topHeap(p, sx, n, k, &buffer, order)
                } else {
                    for j in 0..<n { buffer.append((p[j * sx], j)) }
                }
                buffer.sort(by: order)
                for j in 0..<k {
                    pv[o[1] + j * sv] = buffer[j].0
                    pi[o[2] + j * si] = Int64(buffer[j].1)
                }
            }
        }
    }

    /// Fills `heap` with the first `k` elements of a lane in `order` (unsorted): a binary heap
    /// whose root is the last of the kept elements, replaced whenever a better one arrives.
    @inline(__always)
    static func topHeap<T>(_ p: UnsafeMutablePointer<T>, _ step: Int, _ n: Int, _ k: Int, _ heap: inout [(T, Int)],
                           _ order: ((T, Int), (T, Int)) -> Bool) {
        if k == 0 { return }
        func siftDown(_ start: Int) {
            var i = start
            while true {
                let l = 2 * i + 1, r = l + 1
                var worst = i
                if l < k && order(heap[worst], heap[l]) { worst = l }
                if r < k && order(heap[worst], heap[r]) { worst = r }
                if worst == i { return }
                heap.swapAt(i, worst)
                i = worst
            }
        }
        for j in 0..<k { heap.append((p[j * step], j)) }
        for i in stride(from: k / 2 - 1, through: 0, by: -1) { siftDown(i) }
        for j in k..<n {
            let e = (p[j * step], j)
            if order(e, heap[0]) {
                heap[0] = e
                siftDown(0)
            }
        }
    }
}

extension Tensor {
    /// Sorts along `dim` (default last): `values` and the int64 source `indices`, both the shape
    /// of `self`. Stable (equal values keep their order); NaN sorts as the largest value.
    /// Values are differentiable (the gradient goes back to the source positions).
    public func sort(dim: Int = -1, descending: Bool = false) throws -> (values: Tensor, indices: Tensor) {
        let d = try Shape.normalize(dim: dim, rank: rank, op: "sort")
        return try selectOrdered(dim: d, k: atLeast1d().shape[d], descending: descending, op: "sort")
    }

    /// The int64 indices that sort `self` along `dim` (the `indices` of `sort`).
    public func argsort(dim: Int = -1, descending: Bool = false) throws -> Tensor {
        try detach().sort(dim: dim, descending: descending).indices
    }

    /// The `k` largest (or smallest when `largest` is false) elements along `dim` (default last):
    /// `values` and int64 `indices`, shaped as `self` with size `k` along `dim`, in order from
    /// the most extreme (also when `sorted` is false, which allows any order). Ties keep the
    /// earlier position; NaN counts as largest. `k` must be in `0...size`. Values are
    /// differentiable.
    public func topk(_ k: Int, dim: Int = -1, largest: Bool = true, sorted: Bool = true) throws -> (values: Tensor, indices: Tensor) {
        let d = try Shape.normalize(dim: dim, rank: rank, op: "topk")
        let size = atLeast1d().shape[d]
        guard k >= 0 && k <= size else {
            throw EngineError("topk", "k must be in 0...\(size) (size of dim \(dim) of shape \(shapeString(shape))); got k = \(k)")
        }
        return try selectOrdered(dim: d, k: k, descending: largest, op: "topk")
    }

    /// Shared by sort and topk: the first `k` of each lane in the order, with backward.
    private func selectOrdered(dim d: Int, k: Int, descending: Bool, op: String) throws -> (values: Tensor, indices: Tensor) {
        let x = atLeast1d()
        var outShape = x.shape
        outShape[d] = k
        let values = try Tensor(shape: outShape, dtype: dtype, zeroed: false, op: op)
        let indices = try Tensor(shape: outShape, dtype: .int64, zeroed: false, op: op)
        switch dtype {
        case .float32: LaneSort.firstK(x, dim: d, k: k, descending: descending, values: values, indices: indices, Float.self)
        case .float64: LaneSort.firstK(x, dim: d, k: k, descending: descending, values: values, indices: indices, Double.self)
        case .int64: LaneSort.firstK(x, dim: d, k: k, descending: descending, values: values, indices: indices, Int64.self)
        case .int32: LaneSort.firstK(x, dim: d, k: k, descending: descending, values: values, indices: indices, Int32.self)
        case .int8: LaneSort.firstK(x, dim: d, k: k, descending: descending, values: values, indices: indices, Int8.self)
        case .uint8, .bool: LaneSort.firstK(x, dim: d, k: k, descending: descending, values: values, indices: indices, UInt8.self)
        }
        // A 0-d input keeps its 0-d shape (k is then 0 or 1; 0 gives shape (0), as PyTorch).
        let finalShape = rank == 0 && k == 1 ? [] : outShape
        let v = values.reshapeRaw(finalShape), i = indices.reshapeRaw(finalShape)
        if Tensor.needsGrad(self) {
            let inShape = shape
            v.recording(op, [self]) { g in
                [try Tensor.routeGradient(into: inShape, dim: d, index: indices, source: g)]
            }
        }
        return (v, i)
    }
}
