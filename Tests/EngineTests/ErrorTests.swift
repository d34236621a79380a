import XCTest
@testable import Engine

/// Every class of bad input becomes an EngineError naming the op and what was given — never a
/// trap. One test per class, across ops.
final class ErrorTests: XCTestCase {
    let m = try! Tensor((0..<6).map(Double.init), shape: [2, 3])

    func testShapeMismatch() {
        assertEngineError("add", "cannot be broadcast") { _ = try self.m + Tensor.zeros([3, 2]) }
        assertEngineError("matmul", "(2,3) x (2,3)") { _ = try self.m.matmul(self.m) }
        assertEngineError("cat") { _ = try Tensor.cat([self.m, Tensor.zeros([2, 4])], dim: 0) }
        assertEngineError("where") { _ = try Tensor.where(Tensor.zeros([4], dtype: .bool), self.m, self.m) }
        assertEngineError("reshape") { _ = try self.m.reshape([5]) }
        assertEngineError("backward", "does not match") { try leaf([2]).mul(scalar: 2).backward(gradient: Tensor.zeros([3])) }
    }

    func testBadDim() {
        assertEngineError("sum", "dim 2 out of range") { _ = try self.m.sum(dims: [2]) }
        assertEngineError("softmax") { _ = try self.m.softmax(dim: -3) }
        assertEngineError("transpose") { _ = try self.m.transpose(0, 5) }
        assertEngineError("select") { _ = try self.m.select(dim: 7, index: 0) }
        assertEngineError("max") { _ = try self.m.max(dim: 2) }
        assertEngineError("cat") { _ = try Tensor.cat([self.m, self.m], dim: 3) }
        assertEngineError("gather") { _ = try self.m.gather(dim: 4, index: Tensor.zeros([2, 3], dtype: .int64)) }
    }

    func testOutOfRangeIndex() {
        assertEngineError("select", "index 2 out of range") { _ = try self.m.select(dim: 0, index: 2) }
        assertEngineError("index", "out of range") { _ = try self.m.value(at: [0, 3]) }
        assertEngineError("index_select") { _ = try self.m.indexSelect(dim: 1, index: Tensor([5], shape: [1], dtype: .int64)) }
        assertEngineError("gather") { _ = try self.m.gather(dim: 1, index: Tensor([0, 9, 0, 0, 0, 0], shape: [2, 3], dtype: .int64)) }
        assertEngineError("topk") { _ = try self.m.topk(4, dim: 1) }
        assertEngineError("narrow") { _ = try self.m.narrow(dim: 1, start: 2, length: 2) }
    }

    func testDtypeMisuse() {
        assertEngineError("matmul", "floating point") { _ = try self.m.to(.int64).matmul(self.m.t().to(.int64)) }
        assertEngineError("requires_grad_") { try Tensor.zeros([2], dtype: .int32).setRequiresGrad() }
        assertEngineError("index_select") { _ = try self.m.indexSelect(dim: 0, index: Tensor([0], shape: [1])) }
        assertEngineError("masked_fill") { _ = try self.m.maskedFill(mask: Tensor.zeros([2, 3]), value: 1) }
    }

    func testEmptyTensors() throws {
        let empty = try Tensor.zeros([0, 3])
        assertEngineError("max") { _ = try empty.max() }
        assertEngineError("argmax") { _ = try empty.argmax(dim: 0) }
        assertEngineError("item") { _ = try empty.item() }
        assertEngineError("cat") { _ = try Tensor.cat([], dim: 0) }
        XCTAssertEqual(try empty.sum(dims: [0]).shape, [3])
        XCTAssertEqual(try empty.matmul(Tensor.zeros([3, 2])).shape, [0, 2])
        XCTAssertTrue(try empty.mean().item().isNaN)
    }

    func testNonContiguousInputsAreHandledNotRejected() throws {
        let t = try m.t()
        XCTAssertFalse(t.isContiguous)
        try assertClose(t.softmax(dim: 1).sum(dims: [1]), [1, 1, 1])
        try assertClose(t.matmul(m), try t.contiguous().matmul(m).toDoubles())
        try assertClose(t.sort(dim: 0, descending: true).values, [2, 5, 1, 4, 0, 3])
        assertEngineError("view", "not contiguous") { _ = try t.view([6]) }
    }

    func testHostileSizes() {
        assertEngineError("zeros") { _ = try Tensor.zeros([1 << 40, 1 << 40]) }
        assertEngineError("full") { _ = try Tensor.full([-1], 0) }
        assertEngineError("arange") { _ = try Tensor.arange(0, 1e300) }
        assertEngineError("randint") { _ = try Tensor.randint(low: 5, high: 5, shape: [2]) }
        assertEngineError("multinomial") { _ = try Tensor.multinomial(Tensor([0, 0], shape: [2]), numSamples: 1) }
    }
}
