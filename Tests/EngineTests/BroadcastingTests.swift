import XCTest
@testable import Engine

final class BroadcastingTests: XCTestCase {
    func testAddBroadcastsRowAndColumn() throws {
        let a = try Tensor([1, 2, 3], shape: [3, 1])
        let b = try Tensor([10, 20], shape: [2])
        try assertClose(a + b, [11, 21, 12, 22, 13, 23], shape: [3, 2])
    }

    func testBroadcastShapesRejected() {
        assertEngineError("add", "(2,3) and (4)") {
            _ = try Tensor.zeros([2, 3]) + Tensor.zeros([4])
        }
    }

    func testTypePromotion() throws {
        let i = try Tensor([1, 2], shape: [2], dtype: .int64)
        let f = try Tensor([0.5, 0.5], shape: [2], dtype: .float32)
        XCTAssertEqual(try (i + f).dtype, .float32)
        XCTAssertEqual(try (i + i).dtype, .int64)
        XCTAssertEqual(try (i / i).dtype, .float32)
        XCTAssertEqual(try i.add(scalar: 1).dtype, .int64)
        XCTAssertEqual(try i.add(scalar: 0.5).dtype, .float32)
    }

    func testBroadcastGradientsSumBack() throws {
        let a = try leaf([3, 1]), b = try leaf([4], seed: 2)
        try assertGradcheck([a, b]) { try $0[0].mul($0[1]) }
        try assertGradcheck([a, b]) { try $0[0].add($0[1]) }
        try assertGradcheck([a, b]) { try $0[0].sub($0[1]) }
    }

    func testOperationsOnTransposedViews() throws {
        let a = try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let t = try a.t()
        try assertClose(t + t, [2, 8, 4, 10, 6, 12], shape: [3, 2])
    }
}
