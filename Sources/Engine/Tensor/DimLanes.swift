/// Walks the 1-d lanes of several tensors along one dim: for every position of the other dims,
/// each operand's lane start offset. Operands share every size except along the lane dim (a
/// reduction's output has size 1 there, topk's has k), so one walk serves an input and its
/// outputs whatever their layouts (contiguous, transposed, broadcast). Kernels supply the loop
/// over a lane, stepping by `strides[k]`.
struct DimLanes {
    /// The other dims, coalesced, outermost first, and each operand's strides for them.
    let outerShape: [Int]
    let outerStrides: [[Int]]
    let baseOffsets: [Int]
    /// Each operand's element stride along the lane dim.
    let strides: [Int]
    /// Number of lanes (product of the other dims).
    let count: Int

    /// Lanes along `dim` of operands laid over `shape` (only `shape` without `dim` is used, so
    /// operands may differ in size along `dim`). `dim` must be in `0..<shape.count`.
    init(shape: [Int], dim: Int, _ operands: [Tensor]) {
        var outer = shape
        outer.remove(at: dim)
        let operandStrides = operands.map { t -> [Int] in
            var s = t.strides
            s.remove(at: dim)
            return s
        }
        let (cs, cst) = Shape.coalesce(outer, operandStrides)
        outerShape = cs
        outerStrides = cst
        baseOffsets = operands.map(\.offset)
        strides = operands.map { $0.strides[dim] }
        count = outer.reduce(1, *)
    }

    /// Calls `body(offsets)` for lanes in `lanes` (row-major order of the other dims);
    /// `offsets[k]` is operand k's element offset at the lane's start.
    @inline(__always)
    func forEach(in lanes: Range<Int>, _ body: (UnsafeMutableBufferPointer<Int>) -> Void) {
        Odometer.walk(outerShape: outerShape, outerStrides: outerStrides, baseOffsets: baseOffsets, range: lanes, body)
    }

    /// Splits the lanes into ranges, run on both cores when there are at least two lanes and
    /// `work` (elements touched per lane) times the lane count is large. Lanes are disjoint, so
    /// ranges may write their own lanes concurrently. `body` may set up per-range scratch space.
    @inline(__always)
    func runRanges(work: Int, _ body: (Range<Int>) -> Void) {
        let perLane = Swift.max(work, 1)
        if count >= 2 && count >= Parallel.elementwiseThreshold / perLane {
            Parallel.forRanges(count: count, body)
        } else {
            body(0..<count)
        }
    }

    /// `forEach` over all lanes, in parallel when large (see `runRanges`).
    @inline(__always)
    func run(work: Int, _ body: (UnsafeMutableBufferPointer<Int>) -> Void) {
        runRanges(work: work) { range in forEach(in: range, body) }
    }
}

extension Tensor {
    /// Gradient routing for ops that pick elements along a dim (max/min over a dim, sort, topk):
    /// zeros of `shape` (float dtype of `source`) with `source[..., j, ...]` added at position
    /// `index[..., j, ...]` along `dim`. `index` (int64, from the op's own forward, so in range)
    /// and `source` share a shape equal to `shape` except along `dim`. A 0-d `shape` takes
    /// 1-element `index`/`source`. Runs in backward rules: no graph.
    static func routeGradient(into shape: [Int], dim: Int, index: Tensor, source: Tensor) throws -> Tensor {
        let work = shape.isEmpty ? [1] : shape
        let src = source.rank == work.count ? source : try source.reshape(index.shape)
        guard src.shape == index.shape, index.rank == work.count, index.dtype == .int64, src.dtype.isFloatingPoint else {
            throw EngineError("backward", "internal: cannot route gradient \(shapeString(source.shape)) by index \(shapeString(index.shape)) into \(shapeString(shape))")
        }
        let out = try Tensor(shape: work, dtype: src.dtype, op: "backward")
        let lanes = DimLanes(shape: index.shape, dim: dim, [out, index, src])
        let n = index.shape[dim], so = lanes.strides[0], si = lanes.strides[1], ss = lanes.strides[2]
        let pi = index.storage.typed(Int64.self)
        func scatter<T: FloatElement>(_: T.Type) {
            let po = out.storage.typed(T.self), ps = src.storage.typed(T.self)
            lanes.run(work: n) { o in
                for j in 0..<n { po[o[0] + Int(pi[o[1] + j * si]) * so] += ps[o[2] + j * ss] }
            }
        }
        if src.dtype == .float32 { scatter(Float.self) } else { scatter(Double.self) }
        return shape.isEmpty ? out.reshapeRaw([]) : out
    }
}
