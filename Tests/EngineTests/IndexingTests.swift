import XCTest
@testable import Engine

final class IndexingTests: XCTestCase {
    /// [[0,1,2,3],[4,5,6,7],[8,9,10,11]] as float32.
    private func grid() throws -> Tensor {
        try Tensor.arange(0, 12, dtype: .float32).reshape([3, 4])
    }

    private func ints(_ values: [Double], _ shape: [Int], _ dtype: DType = .int64) throws -> Tensor {
        try Tensor(values, shape: shape, dtype: dtype)
    }

    // MARK: index_select

    func testIndexSelect() throws {
        let x = try grid()
        try assertClose(x.indexSelect(dim: 0, index: ints([2, 0, 2], [3])),
                        [8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11], shape: [3, 4])
        try assertClose(x.indexSelect(dim: 1, index: ints([-1, 1], [2], .int32)), [3, 1, 7, 5, 11, 9], shape: [3, 2])
        try assertClose(x.indexSelect(dim: -1, index: ints([0], [])), [0, 4, 8], shape: [3, 1])
        // Non-contiguous self, empty index, integer and bool dtypes.
        try assertClose(x.t().indexSelect(dim: 0, index: ints([1], [1])), [1, 5, 9], shape: [1, 3])
        XCTAssertEqual(try x.indexSelect(dim: 0, index: ints([], [0])).shape, [0, 4])
        let i = try ints([10, 20, 30], [3])
        XCTAssertEqual(try i.indexSelect(dim: 0, index: ints([2, 2], [2])).toInts(), [30, 30])
        let b = try Tensor([1, 0, 1], shape: [3], dtype: .bool)
        let picked = try b.indexSelect(dim: 0, index: ints([1, 0], [2]))
        XCTAssertEqual(picked.dtype, .bool)
        try assertClose(picked, [0, 1])
    }

    func testIndexSelectLargeParallelPaths() throws {
        // Many rows (parallel over rows) and one row with many picks (parallel over picks).
        let x = try Tensor.arange(0, 300 * 250, dtype: .float32).reshape([300, 250])
        let rev = try Tensor.arange(299, -1, step: -1)
        let out = try x.indexSelect(dim: 0, index: rev)
        try assertClose(out.select(dim: 0, index: 0), (0..<250).map { Double(299 * 250 + $0) })
        try assertClose(out.select(dim: 0, index: 299), (0..<250).map(Double.init))
        let cols = try x.indexSelect(dim: 1, index: Tensor.arange(249, -1, step: -1))
        try assertClose(cols.select(dim: 0, index: 7).slice(dim: 0, start: 0, end: 3), [7 * 250 + 249, 7 * 250 + 248, 7 * 250 + 247])
        let x3 = try x.reshape([30, 10, 250])
        let mid = try x3.indexSelect(dim: 1, index: Tensor.arange(9, -1, step: -1))
        try assertClose(mid.select(dim: 0, index: 29).select(dim: 0, index: 0).slice(dim: 0, end: 2), [299 * 250, 299 * 250 + 1])
        try assertClose(mid.select(dim: 0, index: 3).select(dim: 0, index: 9).slice(dim: 0, end: 2), [30 * 250, 30 * 250 + 1])
        let v = try Tensor.arange(0, 100, dtype: .int64)
        let many = try Tensor((0..<70_000).map { Double($0 % 100) }, shape: [70_000], dtype: .int64)
        let got = try v.indexSelect(dim: 0, index: many).toInts()
        XCTAssertEqual(got.count, 70_000)
        XCTAssertEqual(got[69_999], 99)
        XCTAssertEqual(got[12_345], 45)
    }

    func testIndexSelectErrors() throws {
        let x = try grid()
        assertEngineError("index_select", "index 3 out of range for dim 0 of size 3") {
            _ = try x.indexSelect(dim: 0, index: self.ints([0, 3], [2]))
        }
        assertEngineError("index_select", "index -5 out of range for dim 1 of size 4") {
            _ = try x.indexSelect(dim: 1, index: self.ints([-5], [1]))
        }
        assertEngineError("index_select", "int64 or int32") {
            _ = try x.indexSelect(dim: 0, index: Tensor([0], shape: [1]))
        }
        assertEngineError("index_select", "1-d") { _ = try x.indexSelect(dim: 0, index: self.ints([0, 1], [1, 2])) }
        assertEngineError("index_select", "0-d") { _ = try Tensor.scalar(1).indexSelect(dim: 0, index: self.ints([0], [1])) }
        assertEngineError("index_select", "dim 2 out of range") { _ = try x.indexSelect(dim: 2, index: self.ints([0], [1])) }
        assertEngineError("index_select", "out of range for dim 0 of size 0") {
            _ = try Tensor.zeros([0, 2]).indexSelect(dim: 0, index: self.ints([0], [1]))
        }
    }

    func testIndexSelectGradientAccumulatesRepeats() throws {
        let x = try leaf([3, 4])
        let rows = try ints([2, 0, 2, 2], [4]), cols = try ints([3, -1, 0], [3], .int32)
        try assertGradcheck([x]) { try $0[0].indexSelect(dim: 0, index: rows) }
        try assertGradcheck([x]) { try $0[0].indexSelect(dim: 1, index: cols) }
        try assertGradcheck([x]) { try $0[0].t().indexSelect(dim: 1, index: rows) }
        x.grad = nil
        try x.indexSelect(dim: 0, index: rows).sum().backward()
        try assertClose(XCTUnwrap(x.grad), [1, 1, 1, 1, 0, 0, 0, 0, 3, 3, 3, 3])
    }

    // MARK: index_add

    func testIndexAdd() throws {
        let x = try Tensor.ones([5, 3])
        let t = try Tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], shape: [3, 3])
        try assertClose(x.indexAdd(dim: 0, index: ints([0, 4, 2], [3]), source: t),
                        [2, 3, 4, 1, 1, 1, 8, 9, 10, 1, 1, 1, 5, 6, 7], shape: [5, 3])
        // Repeats accumulate; along dim 1; source converted to self's dtype.
        try assertClose(x.indexAdd(dim: 0, index: ints([0, 0, 1], [3]), source: t),
                        [6, 8, 10, 8, 9, 10, 1, 1, 1, 1, 1, 1, 1, 1, 1])
        let y = try Tensor.zeros([2, 3], dtype: .int64)
        let s = try Tensor([1, 2, 3, 4], shape: [2, 2], dtype: .float64)
        let added = try y.indexAdd(dim: 1, index: ints([2, 2], [2]), source: s)
        XCTAssertEqual(added.dtype, .int64)
        XCTAssertEqual(try added.toInts(), [0, 0, 3, 0, 0, 7])
        XCTAssertEqual(try x.toDoubles(), [Double](repeating: 1, count: 15), "out of place")
    }

    func testIndexAddErrorsAndGradients() throws {
        let x = try Tensor.zeros([5, 3])
        assertEngineError("index_add", "source must have shape (2,3)") {
            _ = try x.indexAdd(dim: 0, index: self.ints([0, 1], [2]), source: Tensor.zeros([3, 3]))
        }
        assertEngineError("index_add", "index 5 out of range for dim 0 of size 5") {
            _ = try x.indexAdd(dim: 0, index: self.ints([5], [1]), source: Tensor.zeros([1, 3]))
        }
        assertEngineError("index_add", "bool") {
            _ = try Tensor.zeros([2], dtype: .bool).indexAdd(dim: 0, index: self.ints([0], [1]), source: Tensor.zeros([1], dtype: .bool))
        }
        let a = try leaf([4, 3]), src = try leaf([5, 4], seed: 2)
        let index = try ints([1, 1, -1, 0, 1], [5])
        try assertGradcheck([a, src]) { try $0[0].indexAdd(dim: 1, index: index, source: $0[1].t()) }
    }

    // MARK: gather

    func testGather() throws {
        let x = try Tensor([1, 2, 3, 4], shape: [2, 2])
        try assertClose(x.gather(dim: 1, index: ints([0, 0, 1, 0], [2, 2])), [1, 1, 4, 3], shape: [2, 2])
        try assertClose(x.gather(dim: 0, index: ints([1, 0], [1, 2], .int32)), [3, 2], shape: [1, 2])
        try assertClose(x.gather(dim: -1, index: ints([-1, 0, 0], [1, 3])), [2, 1, 1], shape: [1, 3])
        try assertClose(x.t().gather(dim: 0, index: ints([1, 1], [1, 2])), [2, 4])
        try assertClose(Tensor.scalar(7).gather(dim: 0, index: ints([0], [])), [7], shape: [])
        XCTAssertEqual(try x.gather(dim: 1, index: ints([], [2, 0])).shape, [2, 0])
        let g = try grid()
        try assertClose(g.gather(dim: 1, index: ints([3, 0, 1, 1, 2, 2], [3, 2])), [3, 0, 5, 5, 10, 10])
    }

    func testGatherErrors() throws {
        let x = try grid()
        assertEngineError("gather", "as many dims") { _ = try x.gather(dim: 0, index: self.ints([0], [1])) }
        assertEngineError("gather", "exceeds self shape (3,4) in dim 1") {
            _ = try x.gather(dim: 0, index: Tensor.zeros([1, 5], dtype: .int64))
        }
        assertEngineError("gather", "index 4 out of range for dim 1 of size 4") {
            _ = try x.gather(dim: 1, index: self.ints([0, 4], [1, 2]))
        }
        assertEngineError("gather", "int64 or int32") { _ = try x.gather(dim: 1, index: Tensor.zeros([1, 1])) }
        assertEngineError("gather", "dim -3 out of range") { _ = try x.gather(dim: -3, index: self.ints([0], [1, 1])) }
    }

    func testGatherGradientAccumulatesRepeats() throws {
        let x = try leaf([3, 4])
        let wide = try ints([0, 3, 3, 3, 1, 0, 2, 2, 2, 2, 0, 1], [2, 6])
        try assertGradcheck([x]) { try $0[0].gather(dim: 1, index: wide) }
        let tall = try ints([2, 2, 1, 0, 2, 2], [3, 2])
        try assertGradcheck([x]) { try $0[0].gather(dim: 0, index: tall) }
        x.grad = nil
        try x.gather(dim: 1, index: wide).sum().backward()
        try assertClose(XCTUnwrap(x.grad), [2, 1, 0, 3, 1, 1, 4, 0, 0, 0, 0, 0])
    }

    // MARK: scatter / scatter_add

    func testScatter() throws {
        let src = try Tensor.arange(1, 11, dtype: .float32).reshape([2, 5])
        try assertClose(Tensor.zeros([3, 5]).scatter(dim: 0, index: ints([0, 1, 2, 0], [1, 4]), src: src),
                        [1, 0, 0, 4, 0, 0, 2, 0, 0, 0, 0, 0, 3, 0, 0])
        try assertClose(Tensor.zeros([3, 5]).scatter(dim: 1, index: ints([0, 1, 2, 0, 1, 4], [2, 3]), src: src),
                        [1, 2, 3, 0, 0, 6, 7, 0, 0, 8, 0, 0, 0, 0, 0])
        try assertClose(Tensor.zeros([2, 4]).scatter(dim: 1, index: ints([2, 3], [2, 1]), value: 1.25),
                        [0, 0, 1.25, 0, 0, 0, 0, 1.25])
        // Repeated targets: the last write (row-major) wins; negative indices; transposed self.
        try assertClose(Tensor.zeros([3]).scatter(dim: 0, index: ints([1, -2, 0], [3]), src: Tensor([5, 6, 7], shape: [3])),
                        [7, 6, 0])
        let t = try Tensor.zeros([2, 3]).t()
        try assertClose(t.scatter(dim: 0, index: ints([2, 0], [1, 2]), src: Tensor.ones([1, 2])), [0, 1, 0, 0, 1, 0], shape: [3, 2])
        let b = try Tensor.zeros([3], dtype: .bool).scatter(dim: 0, index: ints([1], [1]), value: 1)
        XCTAssertEqual(b.dtype, .bool)
        try assertClose(b, [0, 1, 0])
    }

    func testScatterAdd() throws {
        let src = try Tensor.ones([2, 5])
        let index = try ints([0, 1, 2, 0, 0, 0, 1, 2, 2, 2], [2, 5])
        try assertClose(Tensor.zeros([3, 5]).scatterAdd(dim: 0, index: index.narrow(dim: 0, start: 0, length: 1), src: src),
                        [1, 0, 0, 1, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0])
        try assertClose(Tensor.zeros([3, 5]).scatterAdd(dim: 0, index: index, src: src),
                        [2, 0, 0, 1, 1, 0, 2, 0, 0, 0, 0, 0, 2, 1, 1])
        let counts = try Tensor.zeros([4], dtype: .int64)
            .scatterAdd(dim: 0, index: ints([3, 3, 0, 3], [4]), src: Tensor.ones([4], dtype: .int64))
        XCTAssertEqual(try counts.toInts(), [1, 0, 0, 3])
    }

    func testScatterErrors() throws {
        let x = try Tensor.zeros([3, 5])
        assertEngineError("scatter", "same number of dims") {
            _ = try x.scatter(dim: 0, index: self.ints([0], [1]), src: Tensor.zeros([1, 1]))
        }
        assertEngineError("scatter", "exceeds src shape (1,1) in dim 1") {
            _ = try x.scatter(dim: 0, index: Tensor.zeros([1, 2], dtype: .int64), src: Tensor.zeros([1, 1]))
        }
        assertEngineError("scatter", "exceeds self shape (3,5) in dim 1") {
            _ = try x.scatter(dim: 0, index: Tensor.zeros([1, 6], dtype: .int64), src: Tensor.zeros([1, 6]))
        }
        assertEngineError("scatter", "as many dims as self") { _ = try x.scatter(dim: 0, index: self.ints([0], [1]), value: 1) }
        assertEngineError("scatter", "index 3 out of range for dim 0 of size 3") {
            _ = try x.scatter(dim: 0, index: self.ints([3], [1, 1]), value: 1)
        }
        assertEngineError("scatter_add", "index -6 out of range for dim 1 of size 5") {
            _ = try x.scatterAdd(dim: 1, index: self.ints([-6], [1, 1]), src: Tensor.zeros([1, 1]))
        }
        assertEngineError("scatter_add", "int64 or int32") {
            _ = try x.scatterAdd(dim: 1, index: Tensor.zeros([1, 1]), src: Tensor.zeros([1, 1]))
        }
    }

    func testScatterGradients() throws {
        let x = try leaf([3, 5]), src = try leaf([2, 5], seed: 2)
        let unique = try ints([0, 1, 2, 0, 1, 2, 0, 1, 2, 0], [2, 5])   // distinct targets per column
        try assertGradcheck([x, src]) { try $0[0].scatter(dim: 0, index: unique, src: $0[1]) }
        let small = try ints([4, 0, 2], [1, 3])                          // index smaller than src
        try assertGradcheck([x, src]) { try $0[0].scatter(dim: 1, index: small, src: $0[1]) }
        try assertGradcheck([x]) { try $0[0].scatter(dim: 1, index: small, value: -2) }
        let repeats = try ints([0, 0, 2, 2, 2, 1, 1, 1, 1, 1], [2, 5])
        try assertGradcheck([x, src]) { try $0[0].scatterAdd(dim: 0, index: repeats, src: $0[1]) }
        try assertGradcheck([x, src]) { try $0[0].scatterAdd(dim: 1, index: small, src: $0[1]) }
        // Hand check: written positions get no gradient in self; only the used src entries do.
        x.grad = nil; src.grad = nil
        try x.scatter(dim: 0, index: ints([0, 1, 2, 0], [1, 4]), src: src).sum().backward()
        try assertClose(XCTUnwrap(x.grad), [0, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1])
        try assertClose(XCTUnwrap(src.grad), [1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    }

    // MARK: masked_fill / masked_select

    func testMaskedFill() throws {
        let x = try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let mask = try Tensor([1, 0, 1, 0, 0, 1], shape: [2, 3], dtype: .bool)
        try assertClose(x.maskedFill(mask: mask, value: -1), [-1, 2, -1, 4, 5, -1], shape: [2, 3])
        let column = try Tensor([0, 1, 0], shape: [3], dtype: .bool)
        try assertClose(x.maskedFill(mask: column, value: 0), [1, 0, 3, 4, 0, 6])
        try assertClose(x.t().maskedFill(mask: Tensor([1, 0], shape: [2], dtype: .bool), value: 9), [9, 4, 9, 5, 9, 6])
        // Self broadcasts to the mask's shape, as PyTorch's out-of-place masked_fill.
        try assertClose(Tensor([1, 2, 3], shape: [3]).maskedFill(mask: mask, value: 0), [0, 2, 0, 1, 2, 0], shape: [2, 3])
        let i = try Tensor([1, 2, 3], shape: [3], dtype: .int32).maskedFill(mask: column, value: 7.9)
        XCTAssertEqual(i.dtype, .int32)
        XCTAssertEqual(try i.toInts(), [1, 7, 3])
        assertEngineError("masked_fill", "mask must be a bool tensor; got float32") {
            _ = try x.maskedFill(mask: Tensor.ones([2, 3]), value: 0)
        }
        assertEngineError("masked_fill", "cannot be broadcast") {
            _ = try x.maskedFill(mask: Tensor.zeros([2], dtype: .bool), value: 0)
        }
    }

    func testMaskedFillGradient() throws {
        let x = try leaf([2, 3]), row = try leaf([3], seed: 2)
        let mask = try Tensor([1, 0, 1, 0, 0, 1], shape: [2, 3], dtype: .bool)
        try assertGradcheck([x]) { try $0[0].maskedFill(mask: mask, value: 3) }
        try assertGradcheck([row]) { try $0[0].maskedFill(mask: mask, value: 3) }
        x.grad = nil; row.grad = nil
        try x.maskedFill(mask: mask, value: 3).sum().backward()
        try assertClose(XCTUnwrap(x.grad), [0, 1, 0, 1, 1, 0])
        try row.maskedFill(mask: mask, value: 3).sum().backward()
        try assertClose(XCTUnwrap(row.grad), [1, 2, 0])
    }

    func testMaskedSelect() throws {
        let x = try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        try assertClose(x.maskedSelect(mask: x.gt(scalar: 2)), [3, 4, 5, 6], shape: [4])
        try assertClose(x.maskedSelect(mask: Tensor([1, 0, 1], shape: [3], dtype: .bool)), [1, 3, 4, 6])
        try assertClose(x.t().maskedSelect(mask: x.t().gt(scalar: 3)), [4, 5, 6])
        XCTAssertEqual(try x.maskedSelect(mask: Tensor.zeros([2, 3], dtype: .bool)).shape, [0])
        try assertClose(Tensor([7, 8], shape: [2]).maskedSelect(mask: Tensor([1, 1, 0, 1], shape: [2, 2], dtype: .bool)),
                        [7, 8, 8])
        assertEngineError("masked_select", "mask must be a bool tensor") { _ = try x.maskedSelect(mask: x) }
        assertEngineError("masked_select", "cannot be broadcast") {
            _ = try x.maskedSelect(mask: Tensor.zeros([4], dtype: .bool))
        }
    }

    func testMaskedSelectGradient() throws {
        let x = try leaf([2, 3]), row = try leaf([3], seed: 2)
        let mask = try Tensor([1, 0, 1, 1, 0, 1], shape: [2, 3], dtype: .bool)
        try assertGradcheck([x]) { try $0[0].maskedSelect(mask: mask) }
        try assertGradcheck([row]) { try $0[0].maskedSelect(mask: mask) }
        try assertGradcheck([x]) { try $0[0].t().maskedSelect(mask: Tensor([0, 1], shape: [2], dtype: .bool)) }
        let w = try Tensor([1, 2, 3, 4], shape: [4], dtype: .float64)
        row.grad = nil
        try row.maskedSelect(mask: mask).mul(w).sum().backward()
        try assertClose(XCTUnwrap(row.grad), [4, 0, 6])
    }

    // MARK: where

    func testWhere() throws {
        let c = try Tensor([1, 0, 0, 1], shape: [2, 2], dtype: .bool)
        let a = try Tensor([1, 2, 3, 4], shape: [2, 2])
        try assertClose(Tensor.where(c, a, Tensor.scalar(0)), [1, 0, 0, 4], shape: [2, 2])
        let mixed = try Tensor.where(c, Tensor([1, 2, 3, 4], shape: [2, 2], dtype: .int64), Tensor([0.5], shape: [1]))
        XCTAssertEqual(mixed.dtype, .float32)
        try assertClose(mixed, [1, 0.5, 0.5, 4])
        // All three broadcast: (2,1) condition, (1,3) a, (3) b.
        let col = try Tensor([1, 0], shape: [2, 1], dtype: .bool)
        try assertClose(Tensor.where(col, Tensor([1, 2, 3], shape: [1, 3]), Tensor([-1, -2, -3], shape: [3])),
                        [1, 2, 3, -1, -2, -3], shape: [2, 3])
        try assertClose(Tensor.where(c.t(), a.t(), a), [1, 2, 3, 4])
        assertEngineError("where", "condition must be a bool tensor") { _ = try Tensor.where(a, a, a) }
        assertEngineError("where", "cannot be broadcast") { _ = try Tensor.where(c, a, Tensor.zeros([3])) }
    }

    func testWhereGradients() throws {
        let col = try Tensor([1, 0], shape: [2, 1], dtype: .bool)
        let a = try leaf([1, 3]), b = try leaf([2, 3], seed: 2), s = try leaf([], seed: 3)
        try assertGradcheck([a, b]) { try Tensor.where(col, $0[0], $0[1]) }
        try assertGradcheck([a, s]) { try Tensor.where(col, $0[0], $0[1]) }
        a.grad = nil; b.grad = nil
        try Tensor.where(col, a, b).sum().backward()
        try assertClose(XCTUnwrap(a.grad), [1, 1, 1])
        try assertClose(XCTUnwrap(b.grad), [0, 0, 0, 1, 1, 1])
    }

    // MARK: nonzero

    func testNonzero() throws {
        let x = try Tensor([0, 1, 2, 0], shape: [2, 2])
        let nz = try x.nonzero()
        XCTAssertEqual(nz.dtype, .int64)
        try assertClose(nz, [0, 1, 1, 0], shape: [2, 2])
        try assertClose(x.t().nonzero(), [0, 1, 1, 0], shape: [2, 2])
        try assertClose(Tensor([0, .nan, -0.0, 3], shape: [4]).nonzero(), [1, 3], shape: [2, 1])
        XCTAssertEqual(try Tensor.scalar(5).nonzero().shape, [1, 0])
        XCTAssertEqual(try Tensor.scalar(0).nonzero().shape, [0, 0])
        XCTAssertEqual(try Tensor.zeros([2, 0, 3]).nonzero().shape, [0, 3])
        let cube = try Tensor.zeros([2, 3, 4]).scatter(dim: 2, index: ints([3, 1], [1, 2, 1]), value: 1)
        try assertClose(cube.nonzero(), [0, 0, 3, 0, 1, 1], shape: [2, 3])
        let b = try Tensor([1, 0, 1], shape: [3], dtype: .bool)
        try assertClose(b.nonzero(), [0, 2], shape: [2, 1])
        let r = try leaf([3])
        XCTAssertFalse(try r.nonzero().requiresGrad)
    }

    // MARK: assignment through views (what `x[i] = v` lowers to)

    func testAssignThroughViewsOfTransposedTensor() throws {
        let a = try Tensor.zeros([2, 3])
        let t = try a.t()                                                // (3,2) view of a
        try t.select(dim: 0, index: 1).assign(from: Tensor([10, 20], shape: [2]))
        try assertClose(a, [0, 10, 0, 0, 20, 0])
        try t.slice(dim: 0, start: 0, end: 3, step: 2).assign(from: Tensor.scalar(7))
        try assertClose(a, [7, 10, 7, 7, 20, 7])
        try t.select(dim: 1, index: -1).slice(dim: 0, start: 1).assign(from: Tensor([1, 2], shape: [2], dtype: .int64))
        try assertClose(a, [7, 10, 7, 7, 1, 2])
        try t.select(dim: 0, index: 2).select(dim: 0, index: 0).assign(from: Tensor.scalar(-5))
        try assertClose(a, [7, 10, -5, 7, 1, 2])
        assertEngineError("copy_", "cannot broadcast") { try t.select(dim: 0, index: 0).assign(from: Tensor.zeros([3])) }
    }

    func testIndexTensorsGetNoGradient() throws {
        let x = try leaf([3, 2])
        let index = try ints([1, 0], [2])
        let y = try x.indexSelect(dim: 0, index: index)
        XCTAssertTrue(y.requiresGrad)
        XCTAssertEqual(y.gradFn?.name, "index_select")
        try y.sum().backward()
        XCTAssertNil(index.grad)
        XCTAssertFalse(try Tensor.zeros([3]).indexSelect(dim: 0, index: index).requiresGrad)
    }
}
