/// Walks several same-shaped strided operands row by row (a row = the innermost coalesced dim).
/// Kernels supply the inner loop; this supplies each row's start offsets, so kernels stay one
/// tight loop over unsafe pointers for any layout (contiguous, transposed, broadcast).
struct StridedLoop {
    /// Dims above the row, outermost first.
    let outerShape: [Int]
    /// `outerStrides[k]` are operand k's strides for `outerShape`.
    let outerStrides: [[Int]]
    /// Elements per row and each operand's stride along the row.
    let rowLength: Int
    let rowStrides: [Int]
    let baseOffsets: [Int]
    /// Total number of rows.
    let rowCount: Int

    /// `strides[k]` and `offsets[k]` describe operand k laid over `shape`.
    init(shape: [Int], strides: [[Int]], offsets: [Int]) {
        let (cs, cst) = Shape.coalesce(shape, strides)
        baseOffsets = offsets
        if cs.isEmpty {
            // Scalar (or all size-1 dims): one row of one element.
            outerShape = []
            outerStrides = strides.map { _ in [] }
            rowLength = shape.contains(0) ? 0 : 1
            rowStrides = strides.map { _ in 0 }
        } else {
            outerShape = Array(cs.dropLast())
            outerStrides = cst.map { Array($0.dropLast()) }
            rowLength = cs.last!
            rowStrides = cst.map { $0.last! }
        }
        rowCount = rowLength == 0 ? 0 : outerShape.reduce(1, *)
    }

    /// Calls `body(offsets, rowLength)` for rows in `rows`; `offsets[k]` is operand k's element
    /// offset at the row's start.
    @inline(__always)
    func forEachRow(in rows: Range<Int>, _ body: (UnsafeMutableBufferPointer<Int>, Int) -> Void) {
        let length = rowLength
        Odometer.walk(outerShape: outerShape, outerStrides: outerStrides, baseOffsets: baseOffsets, range: rows) {
            body($0, length)
        }
    }

    /// Runs all rows, split over both cores when there are at least `parallelThreshold` elements.
    @inline(__always)
    func run(parallel: Bool = true, _ body: (UnsafeMutableBufferPointer<Int>, Int) -> Void) {
        let total = rowCount * rowLength
        if parallel && total >= Parallel.elementwiseThreshold && rowCount >= 2 {
            Parallel.forRanges(count: rowCount) { range in forEachRow(in: range, body) }
        } else {
            forEachRow(in: 0..<rowCount, body)
        }
    }
}
