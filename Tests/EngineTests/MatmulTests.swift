import XCTest
@testable import Engine

final class MatmulTests: XCTestCase {
    func testMatrixProduct() throws {
        let a = try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let b = try Tensor([7, 8, 9, 10, 11, 12], shape: [3, 2])
        try assertClose(a.matmul(b), [58, 64, 139, 154], shape: [2, 2])
        try assertClose(a.matmul(a.t()), [14, 32, 32, 77], shape: [2, 2])
        try assertClose(a.t().matmul(a), [17, 22, 27, 22, 29, 36, 27, 36, 45], shape: [3, 3])
    }

    func testVectorCases() throws {
        let v = try Tensor([1, 2, 3], shape: [3])
        let m = try Tensor([1, 0, 0, 1, 1, 1], shape: [3, 2])
        try assertClose(v.matmul(v), [14], shape: [])
        try assertClose(v.matmul(m), [4, 5], shape: [2])
        try assertClose(m.t().matmul(v), [4, 5], shape: [2])
        try assertClose(v.outer(Tensor([1, 2], shape: [2])), [1, 2, 2, 4, 3, 6], shape: [3, 2])
        try assertClose(v.dot(v), [14])
    }

    func testBatchedAndBroadcast() throws {
        let a = try Tensor((0..<12).map(Double.init), shape: [2, 2, 3])
        let b = try Tensor((0..<6).map(Double.init), shape: [3, 2])
        let out = try a.matmul(b)
        XCTAssertEqual(out.shape, [2, 2, 2])
        try assertClose(out.select(dim: 0, index: 1), try a.select(dim: 0, index: 1).matmul(b).toDoubles())
        let c = try Tensor((0..<12).map(Double.init), shape: [2, 1, 3, 2])
        XCTAssertEqual(try a.matmul(c).shape, [2, 2, 2, 2])
        // A broadcast (stride-0) operand that BLAS cannot read directly.
        let row = try Tensor([1, 2, 3], shape: [1, 3]).expand([2, 3])
        try assertClose(row.matmul(b), [16, 22, 16, 22])
    }

    func testFloat64AndMixed() throws {
        let a = try Tensor([1, 2], shape: [1, 2], dtype: .float64)
        let b = try Tensor([3, 4], shape: [2, 1])
        let out = try a.matmul(b)
        XCTAssertEqual(out.dtype, .float64)
        try assertClose(out, [11])
    }

    func testErrors() {
        assertEngineError("matmul", "inner dimensions differ: (2,3) x (4,5)") {
            _ = try Tensor.zeros([2, 3]).matmul(Tensor.zeros([4, 5]))
        }
        assertEngineError("matmul", "at least 1 dim") { _ = try Tensor.scalar(1).matmul(Tensor.zeros([2])) }
        assertEngineError("matmul", "floating point") {
            _ = try Tensor.zeros([2, 2], dtype: .int64).matmul(Tensor.zeros([2, 2], dtype: .int64))
        }
        assertEngineError("matmul", "broadcast") { _ = try Tensor.zeros([2, 2, 3]).matmul(Tensor.zeros([3, 3, 2])) }
        assertEngineError("dot") { _ = try Tensor.zeros([2]).dot(Tensor.zeros([3])) }
    }

    func testEmptyInnerDimension() throws {
        try assertClose(Tensor.zeros([2, 0]).matmul(Tensor.zeros([0, 2])), [0, 0, 0, 0], shape: [2, 2])
    }

    func testGradients() throws {
        let a = try leaf([3, 4]), b = try leaf([4, 2], seed: 5)
        try assertGradcheck([a, b]) { try $0[0].matmul($0[1]) }
        try assertGradcheck([a, b]) { try $0[1].t().matmul($0[0].t()) }
        let batch = try leaf([2, 3, 4], seed: 9)
        try assertGradcheck([batch, b]) { try $0[0].matmul($0[1]) }
        let v = try leaf([4], seed: 11)
        try assertGradcheck([a, v]) { try $0[0].matmul($0[1]) }
        try assertGradcheck([v, b]) { try $0[0].matmul($0[1]) }
        try assertGradcheck([v]) { try $0[0].dot($0[0]) }
        try assertGradcheck([v, a]) { try $0[0].outer($0[1].select(dim: 0, index: 1)) }
        let bb = try leaf([2, 4, 2], seed: 13)
        try assertGradcheck([batch, bb]) { try $0[0].matmul($0[1]) }
    }
}
