/// The offset walk shared by `StridedLoop` (rows) and `DimLanes` (lanes): positions `index` in
/// `outerShape` (row-major), advanced one step at a time like an odometer, with each operand's
/// element offset kept up to date incrementally (no division per step).
enum Odometer {
    /// Calls `body(offsets)` for positions in `range`; `offsets[k]` is operand k's element offset
    /// (`baseOffsets[k]` plus the position's coordinates times `outerStrides[k]`).
    @inline(__always)
    static func walk(
        outerShape: [Int], outerStrides: [[Int]], baseOffsets: [Int], range: Range<Int>,
        _ body: (UnsafeMutableBufferPointer<Int>) -> Void
    ) {
        if range.isEmpty { return }
        let k = baseOffsets.count
        let depth = outerShape.count
        withUnsafeTemporaryAllocation(of: Int.self, capacity: k + depth) { buffer in
            let offsets = UnsafeMutableBufferPointer(rebasing: buffer[0..<k])
            let counter = UnsafeMutableBufferPointer(rebasing: buffer[k..<(k + depth)])
            // Position the odometer at the first index of the range.
            var rest = range.lowerBound
            for d in stride(from: depth - 1, through: 0, by: -1) {
                counter[d] = rest % outerShape[d]
                rest /= outerShape[d]
            }
            for j in 0..<k {
                var o = baseOffsets[j]
                for d in 0..<depth { o += counter[d] * outerStrides[j][d] }
                offsets[j] = o
            }
            for _ in range {
                body(offsets)
                // Advance by one: bump the innermost digit, carrying into outer ones.
                var d = depth - 1
                while d >= 0 {
                    counter[d] += 1
                    for j in 0..<k { offsets[j] += outerStrides[j][d] }
                    if counter[d] < outerShape[d] { break }
                    for j in 0..<k { offsets[j] -= outerStrides[j][d] * outerShape[d] }
                    counter[d] = 0
                    d -= 1
                }
            }
        }
    }
}
