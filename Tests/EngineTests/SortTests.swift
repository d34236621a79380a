import XCTest
@testable import Engine

final class SortTests: XCTestCase {
    /// [[3, 1, 2, 1], [0, 5, 5, -1]]
    private func sample(_ dtype: DType = .float32) throws -> Tensor {
        try Tensor([3, 1, 2, 1, 0, 5, 5, -1], shape: [2, 4], dtype: dtype)
    }

    func testSortAscendingDescendingStable() throws {
        let x = try sample()
        let (v, i) = try x.sort()
        try assertClose(v, [1, 1, 2, 3, -1, 0, 5, 5], shape: [2, 4])
        XCTAssertEqual(i.dtype, .int64)
        XCTAssertEqual(try i.toInts(), [1, 3, 2, 0, 3, 0, 1, 2])
        let (dv, di) = try x.sort(dim: 1, descending: true)
        try assertClose(dv, [3, 2, 1, 1, 5, 5, 0, -1])
        XCTAssertEqual(try di.toInts(), [0, 2, 1, 3, 1, 2, 0, 3])  // ties keep their order
        let (v0, i0) = try x.sort(dim: 0)
        try assertClose(v0, [0, 1, 2, -1, 3, 5, 5, 1])
        XCTAssertEqual(try i0.toInts(), [1, 0, 0, 1, 0, 1, 1, 0])
        // Transposed input and integer dtype.
        let (tv, ti) = try x.t().sort(dim: 0, descending: true)
        XCTAssertEqual(tv.shape, [4, 2])
        try assertClose(tv, [3, 5, 2, 5, 1, 0, 1, -1])
        XCTAssertEqual(try ti.toInts(), [0, 1, 2, 2, 1, 0, 3, 3])
        let (iv, ii) = try sample(.int64).sort(dim: -1)
        XCTAssertEqual(iv.dtype, .int64)
        XCTAssertEqual(try iv.toInts(), [1, 1, 2, 3, -1, 0, 5, 5])
        XCTAssertEqual(try ii.toInts(), [1, 3, 2, 0, 3, 0, 1, 2])
        XCTAssertEqual(try x.argsort(descending: true).toInts(), [0, 2, 1, 3, 1, 2, 0, 3])
    }

    func testSortNaNAndEdgeShapes() throws {
        let n = try Tensor([2, .nan, -1, .nan, 0], shape: [5])
        let (v, i) = try n.sort()
        try assertClose(v, [-1, 0, 2, .nan, .nan])
        XCTAssertEqual(try i.toInts(), [2, 4, 0, 1, 3])
        let (dv, di) = try n.sort(descending: true)
        try assertClose(dv, [.nan, .nan, 2, 0, -1])
        XCTAssertEqual(try di.toInts(), [1, 3, 0, 4, 2])
        let (sv, si) = try Tensor.scalar(4).sort()
        XCTAssertEqual(sv.shape, [])
        XCTAssertEqual(try si.toInts(), [0])
        XCTAssertEqual(try Tensor.zeros([3, 0]).sort().values.shape, [3, 0])
        assertEngineError("sort", "out of range") { _ = try n.sort(dim: 1) }
    }

    func testLongLanesAndManyLanes() throws {
        // A long lane with many ties (stability) and many lanes (parallel path).
        let count = 70_000
        let values = (0..<count).map { Double(($0 * 7919) % 1000) }
        let x = try Tensor(values, shape: [count])
        let (v, i) = try x.sort()
        let sortedValues = try v.toDoubles(), order = try i.toInts()
        var ordered = true
        for j in 1..<count {
            if sortedValues[j - 1] > sortedValues[j] { ordered = false }
            if sortedValues[j - 1] == sortedValues[j] && order[j - 1] >= order[j] { ordered = false }
        }
        XCTAssertTrue(ordered, "sorted and stable")
        XCTAssertEqual(values[Int(order[12345])], sortedValues[12345])
        let m = try x.reshape([7000, 10])
        let (mv, _) = try m.sort(dim: 1, descending: true)
        let rows = try mv.toDoubles()
        var descending = true
        for r in 0..<7000 { for c in 1..<10 where rows[r * 10 + c - 1] < rows[r * 10 + c] { descending = false } }
        XCTAssertTrue(descending, "each row sorted descending")
    }

    func testTopk() throws {
        let x = try sample()
        let (v, i) = try x.topk(2)
        try assertClose(v, [3, 2, 5, 5], shape: [2, 2])
        XCTAssertEqual(try i.toInts(), [0, 2, 1, 2])
        let (sv, si) = try x.topk(3, dim: 1, largest: false)
        try assertClose(sv, [1, 1, 2, -1, 0, 5])
        XCTAssertEqual(try si.toInts(), [1, 3, 2, 3, 0, 1])
        let (v0, i0) = try x.topk(1, dim: 0, sorted: false)
        try assertClose(v0, [3, 5, 5, 1], shape: [1, 4])
        XCTAssertEqual(try i0.toInts(), [0, 1, 1, 0])
        XCTAssertEqual(try x.topk(0).values.shape, [2, 0])
        try assertClose(x.topk(4).values, [3, 2, 1, 1, 5, 5, 0, -1])
        try assertClose(x.t().topk(1, dim: 0).values, [3, 5], shape: [1, 2])
        try assertClose(Tensor([1, .nan, 3], shape: [3]).topk(2).values, [.nan, 3])
        assertEngineError("topk", "got k = 5") { _ = try x.topk(5) }
        assertEngineError("topk", "got k = -1") { _ = try x.topk(-1) }
        assertEngineError("topk", "out of range") { _ = try x.topk(1, dim: 2) }
    }

    func testTopkHeapPathMatchesSort() throws {
        // k much smaller than the lane uses the bounded heap; it must agree with a full sort,
        // including which of several tied values are kept.
        let values = (0..<(3 * 500)).map { Double(($0 * 37) % 101) - 50 }
        let x = try Tensor(values, shape: [3, 500], dtype: .float64)
        for largest in [true, false] {
            let (v, i) = try x.topk(20, dim: 1, largest: largest)
            let (sv, si) = try x.sort(dim: 1, descending: largest)
            try assertClose(v, sv.narrow(dim: 1, start: 0, length: 20).toDoubles())
            XCTAssertEqual(try i.toInts(), try si.narrow(dim: 1, start: 0, length: 20).toInts())
        }
        let (tv, _) = try x.t().topk(3, dim: 0)
        try assertClose(tv, [50, 50, 50, 50, 50, 50, 50, 50, 50], shape: [3, 3])
    }

    func testGradients() throws {
        let x = try Tensor([3, 1, 2], shape: [3], dtype: .float64)
        try x.setRequiresGrad()
        let w = try Tensor([10, 20, 30], shape: [3], dtype: .float64)
        try x.sort().values.mul(w).sum().backward()
        try assertClose(XCTUnwrap(x.grad), [30, 10, 20])
        x.grad = nil
        try x.topk(2).values.mul(w.narrow(dim: 0, start: 0, length: 2)).sum().backward()
        try assertClose(XCTUnwrap(x.grad), [10, 0, 20])
        XCTAssertFalse(try x.sort().indices.requiresGrad)

        let a = try leaf([3, 5])
        try assertGradcheck([a]) { try $0[0].sort().values }
        try assertGradcheck([a]) { try $0[0].sort(dim: 0, descending: true).values }
        try assertGradcheck([a]) { try $0[0].t().sort(dim: -1).values }
        try assertGradcheck([a]) { try $0[0].topk(2).values }
        try assertGradcheck([a]) { try $0[0].topk(2, dim: 0, largest: false).values }
        let b = try leaf([2, 40], seed: 11)
        try assertGradcheck([b]) { try $0[0].topk(3, dim: 1).values }  // heap path
        let s = try leaf([], seed: 4)
        try assertGradcheck([s]) { try $0[0].sort().values }
    }
}
