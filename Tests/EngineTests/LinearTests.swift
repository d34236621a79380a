import XCTest
@testable import Engine

final class LinearTests: XCTestCase {
    func testMatchesMatmulPlusBias() throws {
        let x = try leaf([4, 3]), w = try leaf([2, 3], seed: 2), b = try leaf([2], seed: 3)
        let fused = try x.linear(weight: w, bias: b)
        let composed = try x.matmul(w.t()).add(b)
        try assertClose(fused, try composed.toDoubles(), shape: [4, 2])
        try assertClose(x.linear(weight: w), try x.matmul(w.t()).toDoubles())
    }

    func testGradients() throws {
        let x = try leaf([4, 3]), w = try leaf([2, 3], seed: 2), b = try leaf([2], seed: 3)
        try assertGradcheck([x, w, b]) { try $0[0].linear(weight: $0[1], bias: $0[2]) }
        try assertGradcheck([x, w]) { try $0[0].linear(weight: $0[1]) }
        let batched = try leaf([2, 3, 3], seed: 4)
        try assertGradcheck([batched, w, b]) { try $0[0].linear(weight: $0[1], bias: $0[2]) }
        let vector = try leaf([3], seed: 5)
        try assertGradcheck([vector, w, b]) { try $0[0].linear(weight: $0[1], bias: $0[2]) }
    }

    func testWeightGradientIsContiguousInTheWeightsLayout() throws {
        let x = try leaf([5, 3]), w = try leaf([2, 3], seed: 2)
        try x.linear(weight: w).sum().backward()
        let g = try XCTUnwrap(w.grad)
        XCTAssertEqual(g.shape, [2, 3])
        XCTAssertTrue(g.isContiguous)
    }

    func testErrors() {
        assertEngineError("linear", "expects 4") { _ = try Tensor.zeros([2, 3]).linear(weight: Tensor.zeros([5, 4])) }
        assertEngineError("linear", "bias must have shape (5)") {
            _ = try Tensor.zeros([2, 4]).linear(weight: Tensor.zeros([5, 4]), bias: Tensor.zeros([4]))
        }
        assertEngineError("linear", "floating point") {
            _ = try Tensor.zeros([2, 4], dtype: .int64).linear(weight: Tensor.zeros([5, 4]))
        }
        assertEngineError("linear") { _ = try Tensor.zeros([2, 4]).linear(weight: Tensor.zeros([4])) }
    }

    func testEmptyBatch() throws {
        let w = try leaf([2, 3])
        let y = try Tensor.zeros([0, 3], dtype: .float64).linear(weight: w)
        XCTAssertEqual(y.shape, [0, 2])
        try y.sum().backward()
        try assertClose(XCTUnwrap(w.grad), [0, 0, 0, 0, 0, 0])
    }
}
