/// Shape arithmetic shared by ops: element counts, contiguous strides, dim normalization and
/// NumPy broadcasting.
public enum Shape {
    /// Number of elements of a shape (1 for a scalar). Throws on overflow.
    public static func numel(_ shape: [Int], op: String = "shape") throws -> Int {
        var n = 1
        for d in shape {
            guard d >= 0 else { throw EngineError(op, "negative dimension in shape \(shapeString(shape))") }
            let (m, overflow) = n.multipliedReportingOverflow(by: d)
            guard !overflow else { throw EngineError(op, "shape \(shapeString(shape)) has too many elements") }
            n = m
        }
        return n
    }

    private static let unitStride = [1]
    private static let noStrides: [Int] = []

    /// Row-major strides in elements.
    public static func contiguousStrides(_ shape: [Int]) -> [Int] {
        // Shared arrays for the common small cases: no allocation per tensor.
        if shape.count == 1 { return unitStride }
        if shape.isEmpty { return noStrides }
        var strides = [Int](repeating: 1, count: shape.count)
        var s = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i] = s
            s *= max(shape[i], 1)
        }
        return strides
    }

    /// Maps a possibly negative 0-based dim into `0..<rank`.
    public static func normalize(dim: Int, rank: Int, op: String) throws -> Int {
        let r = max(rank, 1)
        let d = dim < 0 ? dim + r : dim
        guard d >= 0 && d < r else {
            throw EngineError(op, "dim \(dim) out of range for a tensor with \(rank) dims (expected \(-r)..\(r - 1))")
        }
        return d
    }

    /// Broadcast result of two shapes by NumPy rules.
    public static func broadcast(_ a: [Int], _ b: [Int], op: String) throws -> [Int] {
        if a == b { return a }
        let n = max(a.count, b.count)
        var out = [Int](repeating: 1, count: n)
        for i in 0..<n {
            let da = i < n - a.count ? 1 : a[i - (n - a.count)]
            let db = i < n - b.count ? 1 : b[i - (n - b.count)]
            if da == db || db == 1 { out[i] = da }
            else if da == 1 { out[i] = db }
            else {
                throw EngineError(op, "shapes \(shapeString(a)) and \(shapeString(b)) cannot be broadcast (dim \(i): \(da) vs \(db))")
            }
        }
        return out
    }

    /// Merges adjacent dims that are contiguous for every operand, so loops run longer rows.
    /// `strides[k]` are operand k's strides for `shape`. Size-1 dims are dropped.
    static func coalesce(_ shape: [Int], _ strides: [[Int]]) -> (shape: [Int], strides: [[Int]]) {
        var outShape: [Int] = []
        var outStrides = [[Int]](repeating: [], count: strides.count)
        for d in 0..<shape.count where shape[d] != 1 {
            if let last = outShape.last,
               strides.indices.allSatisfy({ k in outStrides[k].last! == strides[k][d] * shape[d] }) {
                outShape[outShape.count - 1] = last * shape[d]
                for k in strides.indices { outStrides[k][outStrides[k].count - 1] = strides[k][d] }
            } else {
                outShape.append(shape[d])
                for k in strides.indices { outStrides[k].append(strides[k][d]) }
            }
        }
        return (outShape, outStrides)
    }
}
