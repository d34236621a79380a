import XCTest
@testable import Engine

final class JoinTests: XCTestCase {
    private func grid(_ rows: Int, _ cols: Int, from start: Double = 1) throws -> Tensor {
        try Tensor.arange(start, start + Double(rows * cols), dtype: .float32).reshape([rows, cols])
    }

    // MARK: cat

    func testCatAlongRowsAndColumns() throws {
        let a = try grid(2, 3)                          // [[1,2,3],[4,5,6]]
        let b = try Tensor([7, 8, 9], shape: [1, 3])
        try assertClose(Tensor.cat([a, b], dim: 0), [1, 2, 3, 4, 5, 6, 7, 8, 9], shape: [3, 3])
        let c = try Tensor([10, 20], shape: [2, 1])
        try assertClose(Tensor.cat([a, c], dim: 1), [1, 2, 3, 10, 4, 5, 6, 20], shape: [2, 4])
        try assertClose(Tensor.cat([c, a, c], dim: -1), [10, 1, 2, 3, 10, 20, 4, 5, 6, 20], shape: [2, 5])
        try assertClose(Tensor.cat([a], dim: 0), [1, 2, 3, 4, 5, 6], shape: [2, 3])
    }

    func testCatOfTransposedAndBroadcastViews() throws {
        let a = try grid(3, 2).t()                      // [[1,3,5],[2,4,6]]
        let e = try Tensor.scalar(9).expand([1, 3])
        try assertClose(Tensor.cat([a, e], dim: 0), [1, 3, 5, 2, 4, 6, 9, 9, 9], shape: [3, 3])
    }

    func testCatPromotesDtypes() throws {
        let i = try Tensor([1, 2], shape: [2], dtype: .int64)
        let f = try Tensor([0.5], shape: [1], dtype: .float32)
        let out = try Tensor.cat([i, f], dim: 0)
        XCTAssertEqual(out.dtype, .float32)
        try assertClose(out, [1, 2, 0.5], shape: [3])
        let b = try Tensor([1, 0], shape: [2], dtype: .bool)
        XCTAssertEqual(try Tensor.cat([b, i], dim: 0).dtype, .int64)
        XCTAssertEqual(try Tensor.cat([b, b], dim: 0).dtype, .bool)
        XCTAssertEqual(try Tensor.cat([f, Tensor.zeros([1], dtype: .float64)], dim: 0).dtype, .float64)
    }

    func testCatEmptyPieces() throws {
        let a = try grid(2, 3)
        // Legacy 1-d empty tensors are skipped, as in PyTorch.
        try assertClose(Tensor.cat([Tensor.zeros([0]), a, Tensor.zeros([0])], dim: 0), [1, 2, 3, 4, 5, 6], shape: [2, 3])
        try assertClose(Tensor.cat([Tensor.zeros([0, 3]), a], dim: 0), [1, 2, 3, 4, 5, 6], shape: [2, 3])
        XCTAssertEqual(try Tensor.cat([Tensor.zeros([0]), Tensor.zeros([0])], dim: 0).shape, [0])
        XCTAssertEqual(try Tensor.cat([Tensor.zeros([2, 0]), Tensor.zeros([2, 0])], dim: 1).shape, [2, 0])
    }

    func testCatErrors() throws {
        let a = try grid(2, 3)
        assertEngineError("cat", "non-empty list") { _ = try Tensor.cat([], dim: 0) }
        assertEngineError("cat", "tensor 0 has shape (2,3) but tensor 2 has shape (4,2)") {
            _ = try Tensor.cat([a, a, Tensor.zeros([4, 2])], dim: 0)
        }
        assertEngineError("cat", "tensor 1 has shape (3)") { _ = try Tensor.cat([a, Tensor.zeros([3])], dim: 0) }
        assertEngineError("cat", "zero-dimensional tensor (at position 1)") {
            _ = try Tensor.cat([Tensor.zeros([1]), Tensor.scalar(1)], dim: 0)
        }
        assertEngineError("cat", "dim 2 out of range") { _ = try Tensor.cat([a, a], dim: 2) }
    }

    func testCatGradients() throws {
        let a = try leaf([2, 3]), b = try leaf([1, 3], seed: 2), c = try leaf([2, 1], seed: 3)
        try assertGradcheck([a, b]) { try Tensor.cat([$0[0], $0[1]], dim: 0) }
        try assertGradcheck([a, c]) { try Tensor.cat([$0[1], $0[0], $0[1]], dim: 1) }
        // A non-differentiable (integer) input among differentiable ones.
        let i = try Tensor([1, 2, 3], shape: [1, 3], dtype: .int64)
        try assertGradcheck([a]) { try Tensor.cat([i, $0[0]], dim: 0) }
        // Hand check: d/da sum(cat([a, a]) * w) routes both halves of w to a.
        let x = try leaf([2])
        let w = try Tensor([1, 2, 3, 4], shape: [4], dtype: .float64)
        try Tensor.cat([x, x], dim: 0).mul(w).sum().backward()
        try assertClose(XCTUnwrap(x.grad), [4, 6])
    }

    // MARK: stack

    func testStack() throws {
        let a = try Tensor([1, 2], shape: [2]), b = try Tensor([3, 4], shape: [2]), c = try Tensor([5, 6], shape: [2])
        try assertClose(Tensor.stack([a, b, c], dim: 0), [1, 2, 3, 4, 5, 6], shape: [3, 2])
        try assertClose(Tensor.stack([a, b, c], dim: 1), [1, 3, 5, 2, 4, 6], shape: [2, 3])
        try assertClose(Tensor.stack([a, b, c], dim: -1), [1, 3, 5, 2, 4, 6], shape: [2, 3])
        try assertClose(Tensor.stack([Tensor.scalar(1), Tensor.scalar(2)], dim: 0), [1, 2], shape: [2])
        XCTAssertEqual(try Tensor.stack([a, Tensor([1, 1], shape: [2], dtype: .float64)], dim: 0).dtype, .float64)
    }

    func testStackErrors() throws {
        assertEngineError("stack", "non-empty list") { _ = try Tensor.stack([], dim: 0) }
        assertEngineError("stack", "tensor 0 has shape (2,3) but tensor 1 has shape (2,4)") {
            _ = try Tensor.stack([Tensor.zeros([2, 3]), Tensor.zeros([2, 4])], dim: 0)
        }
        assertEngineError("stack", "dim 3 out of range") { _ = try Tensor.stack([Tensor.zeros([2])], dim: 3) }
    }

    func testStackGradients() throws {
        let a = try leaf([2, 3]), b = try leaf([2, 3], seed: 2)
        try assertGradcheck([a, b]) { try Tensor.stack([$0[0], $0[1], $0[0]], dim: 1) }
        try assertGradcheck([a, b]) { try Tensor.stack([$0[0], $0[1]], dim: -1) }
    }

    // MARK: split / chunk

    func testSplitReturnsViews() throws {
        let x = try Tensor.arange(0, 10, dtype: .float32)
        let parts = try x.split(size: 3)
        XCTAssertEqual(parts.map(\.shape), [[3], [3], [3], [1]])
        try assertClose(parts[1], [3, 4, 5])
        try assertClose(parts[3], [9])
        XCTAssertTrue(parts.allSatisfy { $0.storage === x.storage })
        let sized = try x.split(sizes: [2, 0, 8])
        XCTAssertEqual(sized.map(\.shape), [[2], [0], [8]])
        try assertClose(sized[2], [2, 3, 4, 5, 6, 7, 8, 9])
        let cols = try grid(2, 5).split(size: 2, dim: -1)
        XCTAssertEqual(cols.map(\.shape), [[2, 2], [2, 2], [2, 1]])
        try assertClose(cols[1], [3, 4, 8, 9])
        XCTAssertEqual(try Tensor.zeros([0, 2]).split(size: 3).map(\.shape), [[0, 2]])
    }

    func testChunk() throws {
        let x = try Tensor.arange(0, 10, dtype: .float32)
        XCTAssertEqual(try x.chunk(3).map(\.shape), [[4], [4], [2]])
        XCTAssertEqual(try x.narrow(dim: 0, start: 0, length: 6).chunk(4).map(\.shape), [[2], [2], [2]])
        XCTAssertEqual(try x.chunk(20).count, 10)
        XCTAssertEqual(try Tensor.zeros([0]).chunk(3).map(\.shape), [[0], [0], [0]])
        let rows = try grid(4, 2).chunk(2, dim: 0)
        try assertClose(rows[1], [5, 6, 7, 8], shape: [2, 2])
    }

    func testSplitErrors() throws {
        let x = try Tensor.zeros([4, 2])
        assertEngineError("split", "must be positive") { _ = try x.split(size: 0) }
        assertEngineError("split", "sum to 4") { _ = try x.split(sizes: [1, 2]) }
        assertEngineError("split", "sum to 4") { _ = try x.split(sizes: [5, -1]) }
        assertEngineError("split", "0-d") { _ = try Tensor.scalar(1).split(size: 1) }
        assertEngineError("split", "dim 2 out of range") { _ = try x.split(size: 1, dim: 2) }
        assertEngineError("chunk", "must be positive") { _ = try x.chunk(0) }
        assertEngineError("chunk", "0-d") { _ = try Tensor.scalar(1).chunk(1) }
    }

    func testSplitAndChunkGradients() throws {
        let x = try leaf([6, 2])
        try assertGradcheck([x]) {
            let p = try $0[0].chunk(3, dim: 0)
            return try Tensor.cat([p[2], p[0].mul(p[1])], dim: 0)
        }
        try assertGradcheck([x]) {
            let p = try $0[0].split(sizes: [1, 4, 1])
            return try p[1].sum(dims: [0]).add(p[2].mul(p[0]).squeeze())
        }
    }
}
