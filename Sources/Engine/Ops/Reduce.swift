/// Sum and mean over all or some dims, and the fold every dim-reduction is built on.
enum Reduction {
    /// Normalized, sorted, de-duplicated dims to reduce (all dims when `dims` is nil or empty).
    static func resolveDims(_ dims: [Int]?, rank: Int, op: String) throws -> [Int] {
        guard let dims, !dims.isEmpty else { return Array(0..<rank) }
        let resolved = try dims.map { try Shape.normalize(dim: $0, rank: rank, op: op) }
        guard Set(resolved).count == resolved.count else { throw EngineError(op, "dim appears more than once in \(dims)") }
        return resolved.sorted()
    }

    /// Output shape after reducing `dims`.
    static func outputShape(_ shape: [Int], dims: [Int], keepdim: Bool) -> [Int] {
        var out: [Int] = []
        for d in 0..<shape.count {
            if dims.contains(d) { if keepdim { out.append(1) } } else { out.append(shape[d]) }
        }
        return out
    }

    /// Folds `x` over `dims` into a float64 tensor of the keepdim shape:
    /// `acc = combine(acc, value)` starting from `initial`. One pass, any layout, no copy.
    static func fold(_ x: Tensor, dims: [Int], initial: Double,
                     _ combine: (Double, Double) -> Double) throws -> Tensor {
        let keptShape = outputShape(x.shape, dims: dims, keepdim: true)
        let acc = try Tensor.full(keptShape, initial, dtype: .float64)
        let accStrides = (0..<x.rank).map { dims.contains($0) ? 0 : acc.strides[$0] }
        let loop = StridedLoop(shape: x.shape, strides: [accStrides, x.strides], offsets: [0, x.offset])
        let pa = acc.pointer(Double.self)
        let sa = loop.rowStrides[0], sx = loop.rowStrides[1]
        func run<T: Element>(_: T.Type) {
            let px = x.storage.typed(T.self)
            loop.forEachRow(in: 0..<loop.rowCount) { o, n in
                let a = pa + o[0], v = px + o[1]
                if sa == 0 {
                    var s = a[0]
                    for i in 0..<n { s = combine(s, v[i * sx].asDouble) }
                    a[0] = s
                } else {
                    for i in 0..<n { a[i * sa] = combine(a[i * sa], v[i * sx].asDouble) }
                }
            }
        }
        switch x.dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .int64: run(Int64.self)
        case .int32: run(Int32.self)
        case .int8: run(Int8.self)
        case .uint8, .bool: run(UInt8.self)
        }
        return acc
    }

    /// Sum of a contiguous float tensor over `dims` when, size-1 dims aside, they are one run of
    /// adjacent dims: the tensor is then (A kept, R reduced, C kept) and the result (A, C) is
    /// Σ over r in order with Double accumulators (the same sums as `fold`, without its
    /// per-element strided walk). The bias gradient of a linear layer is (1, rows, out); a
    /// broadcast gradient summed back is usually such a prefix run. Nil for other patterns.
    static func sumRun(_ x: Tensor, dims: [Int]) throws -> Tensor? {
        guard x.isContiguous, x.dtype.isFloatingPoint else { return nil }
        var outer = 1, reducedCount = 1, inner = 1
        var phase = 0   // 0: before the run, 1: inside it, 2: after it
        for d in 0..<x.rank where x.shape[d] != 1 {
            let r = dims.contains(d)
            if r {
                if phase == 2 { return nil }
                phase = 1
                reducedCount *= x.shape[d]
            } else if phase == 0 {
                outer *= x.shape[d]
            } else {
                phase = 2
                inner *= x.shape[d]
            }
        }
        let out = try Tensor(shape: [outer * inner], dtype: x.dtype, zeroed: false, op: "sum")
        if x.dtype == .float32 {
            sumRun(x.pointer(Float.self), out.pointer(Float.self), outer: outer, reduced: reducedCount, inner: inner)
        } else {
            sumRun(x.pointer(Double.self), out.pointer(Double.self), outer: outer, reduced: reducedCount, inner: inner)
        }
        return out
    }

    /// o[a, c] = Σ_r p[a, r, c] over a contiguous (A, R, C) block; both cores for large inputs
    /// (split over A, or over column ranges of C when A is small; each sum keeps its order).
    private static func sumRun<T: FloatElement>(_ p: UnsafeMutablePointer<T>, _ o: UnsafeMutablePointer<T>,
                                               outer: Int, reduced: Int, inner: Int) {
        if inner == 1 {
            let rows = { (range: Range<Int>) in
                for a in range { o[a] = T(Lanes.sum(p + a * reduced, reduced)) }
            }
            if outer * reduced >= Parallel.elementwiseThreshold * 4 && outer > 1 { Parallel.forRanges(count: outer, rows) }
            else { rows(0..<outer) }
            return
        }
        // Columns [c0, c1) of output row a, accumulated in Double over the reduced rows.
        func columns(_ a: Int, _ c0: Int, _ c1: Int) {
            let width = c1 - c0
            withUnsafeTemporaryAllocation(of: Double.self, capacity: width) { buffer in
                let acc = buffer.baseAddress!
                acc.initialize(repeating: 0, count: width)
                for r in 0..<reduced {
                    let row = p + (a * reduced + r) * inner + c0
                    for j in 0..<width { acc[j] += Double(row[j]) }
                }
                let dst = o + a * inner + c0
                for j in 0..<width { dst[j] = T(acc[j]) }
            }
        }
        let block = 512   // columns per accumulator strip (4 KiB of Double)
        let strips = (inner + block - 1) / block
        let body = { (range: Range<Int>) in
            for task in range {
                let a = task / strips, s = task % strips
                columns(a, s * block, Swift.min(inner, (s + 1) * block))
            }
        }
        let tasks = outer * strips
        if outer * reduced * inner >= Parallel.elementwiseThreshold * 4 && tasks > 1 {
            Parallel.forRanges(count: tasks, body)
        } else if outer * reduced * inner >= Parallel.elementwiseThreshold * 4 && inner >= 64 {
            // One strip: split its columns between the cores instead.
            let half = (inner / 2 + 15) & ~15
            Parallel.forRanges(count: 2) { range in
                for h in range { columns(0, h == 0 ? 0 : half, h == 0 ? half : inner) }
            }
        } else {
            body(0..<tasks)
        }
    }

    /// Sum of all elements of a contiguous float tensor: fixed 16K-element blocks (summed with 8
    /// lanes, in parallel for large inputs) combined in order, so the result is the same bits
    /// whatever the thread count.
    static func sumContiguous<T: FloatElement>(_ p: UnsafeMutablePointer<T>, count: Int) -> Double {
        let block = 1 << 14
        let blocks = (count + block - 1) / block
        func blockSum(_ b: Int) -> Double {
            let start = b * block, end = Swift.min(start + block, count)
            // 8 lanes over 128-element runs, each run flushed into a Double: vectorizes, and
            // the float error stays that of a 16-term sum.
            var total = 0.0
            var i = start
            while i + 128 <= end {
                var lanes = (T(0), T(0), T(0), T(0), T(0), T(0), T(0), T(0))
                for j in Swift.stride(from: i, to: i + 128, by: 8) {
                    lanes.0 += p[j]; lanes.1 += p[j + 1]; lanes.2 += p[j + 2]; lanes.3 += p[j + 3]
                    lanes.4 += p[j + 4]; lanes.5 += p[j + 5]; lanes.6 += p[j + 6]; lanes.7 += p[j + 7]
                }
                total += Double(((lanes.0 + lanes.1) + (lanes.2 + lanes.3)) + ((lanes.4 + lanes.5) + (lanes.6 + lanes.7)))
                i += 128
            }
            while i < end { total += Double(p[i]); i += 1 }
            return total
        }
        if blocks == 1 { return blockSum(0) }
        var partial = [Double](repeating: 0, count: blocks)
        partial.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            if count >= Parallel.elementwiseThreshold * 4 {
                Parallel.forRanges(count: blocks) { range in for b in range { base[b] = blockSum(b) } }
            } else {
                for b in 0..<blocks { base[b] = blockSum(b) }
            }
        }
        return partial.reduce(0, +)
    }
}

extension Tensor {
    /// Sum over `dims` (all when nil). Integers sum to int64, bool counts; floats keep their dtype.
    public func sum(dims: [Int]? = nil, keepdim: Bool = false) throws -> Tensor {
        let reduced = try Reduction.resolveDims(dims, rank: rank, op: "sum")
        let resultType: DType = dtype.isFloatingPoint ? dtype : .int64
        let outShape = Reduction.outputShape(shape, dims: reduced, keepdim: keepdim)
        let out: Tensor
        if reduced.count == rank && isContiguous && dtype.isFloatingPoint {
            let total = dtype == .float32
                ? Reduction.sumContiguous(pointer(Float.self), count: numel)
                : Reduction.sumContiguous(pointer(Double.self), count: numel)
            out = try Tensor.full(outShape, total, dtype: resultType)
        } else if let run = try Reduction.sumRun(self, dims: reduced) {
            out = run.reshapeRaw(outShape)
        } else {
            out = try Reduction.fold(self, dims: reduced, initial: 0, +).castCopy(to: resultType).reshapeRaw(outShape)
        }
        if Tensor.needsGrad(self) {
            let inShape = shape, kept = Reduction.outputShape(shape, dims: reduced, keepdim: true)
            out.recording("sum", [self]) { g in [try g.reshape(kept).expand(inShape).contiguous()] }
        }
        return out
    }

    /// Mean over `dims` (all when nil); integer input gives float32.
    public func mean(dims: [Int]? = nil, keepdim: Bool = false) throws -> Tensor {
        let reduced = try Reduction.resolveDims(dims, rank: rank, op: "mean")
        let count = reduced.reduce(1) { $0 * shape[$1] }
        // Built from sum so the gradient comes for free; 0/0 gives NaN as in PyTorch.
        return try to(dtype.floatingResult).sum(dims: reduced, keepdim: keepdim).div(scalar: Double(count))
    }

    /// Sums a broadcast gradient back down to `target` (the inverse of broadcasting).
    public func sumToShape(_ target: [Int]) throws -> Tensor {
        if shape == target { return self }
        let lead = rank - target.count
        guard lead >= 0 else { throw EngineError("sum_to_shape", "cannot reduce \(shapeString(shape)) to \(shapeString(target))") }
        var dims = Array(0..<lead)
        for i in 0..<target.count where target[i] == 1 && shape[lead + i] != 1 { dims.append(lead + i) }
        let s = dims.isEmpty ? self : try sum(dims: dims, keepdim: true)
        return try s.reshape(target)
    }

    /// Reinterprets a contiguous tensor with a new shape of the same size (no checks, no graph).
    func reshapeRaw(_ newShape: [Int]) -> Tensor {
        makeView(shape: newShape, strides: Shape.contiguousStrides(newShape), offset: offset)
    }
}
