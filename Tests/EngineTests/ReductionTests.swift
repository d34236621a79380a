import XCTest
@testable import Engine

/// var/std, max/min/argmax/amax, prod, norm, logsumexp, cumsum/cumprod.
final class ReductionTests: XCTestCase {
    /// [[1, 5, 2], [4, 3, 6]]
    private func sample(_ dtype: DType = .float32) throws -> Tensor {
        try Tensor([1, 5, 2, 4, 3, 6], shape: [2, 3], dtype: dtype)
    }

    /// Sums over one run of adjacent dims (the fast (A, R, C) path, both cores when large)
    /// against float64 sums of the same values, for several layouts and size-1 dims.
    func testSumOverDimRunsMatchesFloat64() throws {
        let cases: [([Int], [Int])] = [([1024, 512], [0]), ([1024, 128], [0]), ([7, 9, 5], [1]), ([7, 9, 5], [2]),
                                       ([7, 9, 5], [0, 1]), ([16, 64, 128], [0]), ([3, 1, 4, 5], [0, 1]),
                                       ([3, 1, 4, 5], [1]), ([2, 600, 3000], [1]), ([40, 3000], [1]), ([0, 4], [0])]
        for (shape, dims) in cases {
            let x64 = try Tensor.randn(shape, dtype: .float64, generator: Generator(seed: UInt64(shape.reduce(1, *))))
            for type in [DType.float32, .float64] {
                let x = try x64.to(type)
                let s = try x.sum(dims: dims)
                XCTAssertEqual(s.dtype, type)
                // Reference: the generic fold on the float64 copy of the same values.
                let ref = try Reduction.fold(x.to(.float64), dims: dims, initial: 0, +)
                XCTAssertEqual(s.shape, Reduction.outputShape(shape, dims: dims, keepdim: false))
                try assertClose(s, try ref.toDoubles(), rtol: type == .float32 ? 1e-5 : 1e-12, atol: 1e-5)
                let k = try x.sum(dims: dims, keepdim: true)
                XCTAssertEqual(k.shape, Reduction.outputShape(shape, dims: dims, keepdim: true))
            }
        }
        // Not one run (dims 0 and 2 of a 3-d tensor): the generic fold, same values.
        let x = try Tensor.randn([4, 5, 6], generator: Generator(seed: 1))
        try assertClose(x.sum(dims: [0, 2]), try Reduction.fold(x.to(.float64), dims: [0, 2], initial: 0, +).toDoubles(), rtol: 1e-5)
        // Gradient through the fast path.
        let leaf = try Tensor.randn([3, 4, 5], dtype: .float64, generator: Generator(seed: 2)); try leaf.setRequiresGrad()
        try assertGradcheck([leaf]) { t in try t[0].sum(dims: [0, 1]) }
    }

    // MARK: variance / std

    func testVarianceValues() throws {
        let x = try sample()
        try assertClose(x.variance(), [3.5], shape: [])
        try assertClose(x.variance(correction: 0), [17.5 / 6], shape: [])
        try assertClose(x.variance(dims: [1]), [13.0 / 3, 7.0 / 3], shape: [2])
        try assertClose(x.variance(dims: [-2], keepdim: true), [4.5, 2, 8], shape: [1, 3])
        try assertClose(x.std(dims: [1]), [2.0816659994661326, 1.5275252316519468], shape: [2])
        try assertClose(x.variance(dims: [0, 1], keepdim: true), [3.5], shape: [1, 1])
        // Transposed input, integer input (float32 result).
        try assertClose(x.t().variance(dims: [0]), [13.0 / 3, 7.0 / 3], shape: [2])
        let i = try sample(.int64).variance(dims: [1])
        XCTAssertEqual(i.dtype, .float32)
        try assertClose(i, [13.0 / 3, 7.0 / 3])
        // One element with correction 1 divides by zero: NaN (inf for nonzero sums), as PyTorch.
        try assertClose(Tensor([2], shape: [1]).variance(), [.nan])
        assertEngineError("var", "out of range") { _ = try x.variance(dims: [2]) }
        assertEngineError("var", "more than once") { _ = try x.variance(dims: [1, -1]) }
        assertEngineError("std", "out of range") { _ = try x.std(dims: [-3]) }
        assertEngineError("std", "finite") { _ = try x.std(correction: .infinity) }
    }

    func testVarianceStdGradcheck() throws {
        let a = try leaf([3, 4])
        try assertGradcheck([a]) { try $0[0].variance() }
        try assertGradcheck([a]) { try $0[0].variance(dims: [1]) }
        try assertGradcheck([a]) { try $0[0].variance(dims: [-1], correction: 0, keepdim: true) }
        try assertGradcheck([a]) { try $0[0].std(dims: [0]) }
        try assertGradcheck([a]) { try $0[0].std(dims: [0, 1], keepdim: true) }
        let b = try leaf([2, 3, 4], seed: 3)
        try assertGradcheck([b]) { try $0[0].transpose(0, 2).std(dims: [0, -1]) }
    }

    // MARK: max / min

    func testMaxMinAll() throws {
        let x = try sample()
        try assertClose(x.max(), [6], shape: [])
        try assertClose(x.min(), [1], shape: [])
        try assertClose(x.t().max(), [6], shape: [])
        let i = try sample(.int64).max()
        XCTAssertEqual(i.dtype, .int64)
        XCTAssertEqual(try i.item(), 6)
        try assertClose(Tensor([1, .nan, 3], shape: [3]).max(), [.nan])
        try assertClose(Tensor([1, .nan, 3], shape: [3]).min(), [.nan])
        try assertClose(Tensor.scalar(4).max(), [4], shape: [])
        assertEngineError("max", "non-empty") { _ = try Tensor.zeros([2, 0]).max() }
        assertEngineError("min", "non-empty") { _ = try Tensor.zeros([0]).min() }
        // Large contiguous input (parallel path), with the max placed late.
        let big = try Tensor.arange(0, 200_000, dtype: .float32)
        try assertClose(big.max(), [199_999])
        try assertClose(big.min(), [0])
    }

    func testMaxAllGradientSplitsTies() throws {
        let x = try Tensor([1, 3, 3, 2], shape: [4], dtype: .float64)
        try x.setRequiresGrad()
        try x.max().backward()
        try assertClose(XCTUnwrap(x.grad), [0, 0.5, 0.5, 0])
        x.grad = nil
        try x.min().mul(scalar: 3).backward()
        try assertClose(XCTUnwrap(x.grad), [3, 0, 0, 0])
        let a = try leaf([3, 4])
        try assertGradcheck([a]) { try $0[0].max() }
        try assertGradcheck([a]) { try $0[0].t().min() }
    }

    func testMaxMinAlongDim() throws {
        let x = try sample()
        let (v, i) = try x.max(dim: 1)
        try assertClose(v, [5, 6], shape: [2])
        XCTAssertEqual(i.dtype, .int64)
        XCTAssertEqual(try i.toInts(), [1, 2])
        let (v0, i0) = try x.min(dim: 0, keepdim: true)
        try assertClose(v0, [1, 3, 2], shape: [1, 3])
        XCTAssertEqual(try i0.toInts(), [0, 1, 0])
        XCTAssertEqual(i0.shape, [1, 3])
        let (v1, i1) = try x.max(dim: -2)
        try assertClose(v1, [4, 5, 6])
        XCTAssertEqual(try i1.toInts(), [1, 0, 1])
        // Transposed input: max over dim 0 of x.t() is max over rows of x.
        let (vt, it) = try x.t().max(dim: 0)
        try assertClose(vt, [5, 6])
        XCTAssertEqual(try it.toInts(), [1, 2])
        // Ties give the first occurrence; NaN wins at its first position.
        let t = try Tensor([2, 7, 7, 1, .nan, 9, .nan, 0], shape: [2, 4])
        let (tv, ti) = try t.max(dim: 1)
        try assertClose(tv, [7, .nan])
        XCTAssertEqual(try ti.toInts(), [1, 0])
        let (mv, mi) = try t.min(dim: 1)
        try assertClose(mv, [1, .nan])
        XCTAssertEqual(try mi.toInts(), [3, 0])
        // Integer dtype is kept; a 0-d input reduces over its only "dim".
        let (iv, _) = try sample(.int32).max(dim: 0)
        XCTAssertEqual(iv.dtype, .int32)
        let (sv, si) = try Tensor.scalar(3).max(dim: 0)
        XCTAssertEqual(sv.shape, [])
        XCTAssertEqual(try si.toInts(), [0])
        // Other dims may be empty; the reduced one may not.
        XCTAssertEqual(try Tensor.zeros([0, 3]).max(dim: 1).values.shape, [0])
        assertEngineError("max", "size 0") { _ = try Tensor.zeros([0, 3]).max(dim: 0) }
        assertEngineError("min", "out of range") { _ = try x.min(dim: 2) }
    }

    func testMaxMinAlongDimGradient() throws {
        let x = try Tensor([1, 5, 2, 4, 3, 6], shape: [2, 3], dtype: .float64)
        try x.setRequiresGrad()
        try x.max(dim: 1).values.sum().backward()
        try assertClose(XCTUnwrap(x.grad), [0, 1, 0, 0, 0, 1])
        let a = try leaf([3, 4])
        try assertGradcheck([a]) { try $0[0].max(dim: 1).values }
        try assertGradcheck([a]) { try $0[0].min(dim: 0, keepdim: true).values }
        try assertGradcheck([a]) { try $0[0].t().max(dim: -1).values }
        let s = try leaf([], seed: 5)
        try assertGradcheck([s]) { try $0[0].min(dim: 0).values }
    }

    func testArgmaxArgmin() throws {
        let x = try sample()
        XCTAssertEqual(try x.argmax().toInts(), [5])
        XCTAssertEqual(try x.argmax().shape, [])
        XCTAssertEqual(try x.argmin().toInts(), [0])
        XCTAssertEqual(try x.argmax(keepdim: true).shape, [1, 1])
        XCTAssertEqual(try x.t().argmax().toInts(), [5])  // x.t() flattened: 1,4,5,3,2,6
        XCTAssertEqual(try x.argmax(dim: 1).toInts(), [1, 2])
        XCTAssertEqual(try x.argmin(dim: 0, keepdim: true).shape, [1, 3])
        XCTAssertEqual(try x.argmin(dim: -2).toInts(), [0, 1, 0])
        let a = try leaf([2, 2])
        XCTAssertFalse(try a.argmax().requiresGrad)
        assertEngineError("argmax", "non-empty") { _ = try Tensor.zeros([0]).argmax() }
        assertEngineError("argmin", "out of range") { _ = try x.argmin(dim: 3) }
    }

    func testAmaxAmin() throws {
        let x = try sample()
        try assertClose(x.amax(), [6], shape: [])
        try assertClose(x.amax(dims: [0], keepdim: true), [4, 5, 6], shape: [1, 3])
        try assertClose(x.amin(dims: [-1]), [1, 3], shape: [2])
        let c = try Tensor.arange(0, 24).reshape([2, 3, 4])
        try assertClose(c.amax(dims: [0, 2]), [15, 19, 23], shape: [3])
        try assertClose(c.permute([2, 0, 1]).amin(dims: [1]), [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11], shape: [4, 3])
        XCTAssertEqual(try Tensor.zeros([0, 2]).amax(dims: [1]).shape, [0])
        assertEngineError("amax", "size 0") { _ = try Tensor.zeros([0, 2]).amax(dims: [0]) }
        // Ties split the gradient within each reduced group.
        let t = try Tensor([2, 2, 1, 0, 5, 5], shape: [3, 2], dtype: .float64)
        try t.setRequiresGrad()
        try t.amax(dims: [1]).sum().backward()
        try assertClose(XCTUnwrap(t.grad), [0.5, 0.5, 1, 0, 0.5, 0.5])
        let a = try leaf([2, 3, 4])
        try assertGradcheck([a]) { try $0[0].amax(dims: [0, 2]) }
        try assertGradcheck([a]) { try $0[0].amin(dims: [-1], keepdim: true) }
    }

    // MARK: prod

    func testProdValues() throws {
        let x = try sample()
        try assertClose(x.prod(dim: 1), [10, 72], shape: [2])
        try assertClose(x.prod(dim: 0, keepdim: true), [4, 15, 12], shape: [1, 3])
        try assertClose(x.prod(), [720], shape: [])
        try assertClose(x.t().prod(dim: 0), [10, 72])
        let i = try sample(.int32).prod(dim: 1)
        XCTAssertEqual(i.dtype, .int64)
        XCTAssertEqual(try i.toInts(), [10, 72])
        try assertClose(Tensor.zeros([2, 0]).prod(dim: 1), [1, 1], shape: [2])
        try assertClose(Tensor.zeros([0]).prod(), [1], shape: [])
        try assertClose(Tensor.scalar(7).prod(dim: 0), [7], shape: [])
        assertEngineError("prod", "out of range") { _ = try x.prod(dim: -3) }
    }

    func testProdGradientWithZeros() throws {
        let one = try Tensor([2, 0, 3], shape: [3], dtype: .float64)
        try one.setRequiresGrad()
        try one.prod().backward()
        try assertClose(XCTUnwrap(one.grad), [0, 6, 0])
        let two = try Tensor([2, 0, 3, 0], shape: [4], dtype: .float64)
        try two.setRequiresGrad()
        try two.prod().backward()
        try assertClose(XCTUnwrap(two.grad), [0, 0, 0, 0])
        let m = try Tensor([1, 0, 2, 3, 4, 5], shape: [2, 3], dtype: .float64)
        try m.setRequiresGrad()
        try m.prod(dim: 1).sum().backward()
        try assertClose(XCTUnwrap(m.grad), [0, 2, 0, 20, 15, 12])
        try assertGradcheck([m]) { try $0[0].prod(dim: 1) }
    }

    func testProdGradcheck() throws {
        let a = try leaf([3, 4])
        try assertGradcheck([a]) { try $0[0].prod(dim: 1) }
        try assertGradcheck([a]) { try $0[0].prod(dim: -2, keepdim: true) }
        try assertGradcheck([a]) { try $0[0].t().prod(dim: 0) }
        try assertGradcheck([a]) { try $0[0].prod() }
    }

    // MARK: norm

    func testNormValues() throws {
        let x = try sample()
        try assertClose(x.norm(), [9.539392014169456], shape: [])
        try assertClose(x.neg().norm(p: 1), [21])
        try assertClose(x.neg().norm(p: .infinity), [6])
        try assertClose(x.neg().norm(p: -.infinity), [1])
        try assertClose(x.norm(p: 3, dims: [1]), [5.117229946912048, 6.745996711705424], shape: [2])
        try assertClose(x.norm(p: 0.5), [117.32836979428498])
        try assertClose(Tensor([0, 2, 0, -1], shape: [4]).norm(p: 0), [2])
        try assertClose(x.norm(dims: [0], keepdim: true), [(17.0).squareRoot(), (34.0).squareRoot(), (40.0).squareRoot()], shape: [1, 3])
        try assertClose(x.t().norm(dims: [-2]), [(30.0).squareRoot(), (61.0).squareRoot()])
        XCTAssertEqual(try sample(.int64).norm().dtype, .float32)
        try assertClose(Tensor.zeros([0, 3]).norm(dims: [0]), [0, 0, 0])
        assertEngineError("norm", "p must be") { _ = try x.norm(p: -1) }
        assertEngineError("norm", "p must be") { _ = try x.norm(p: .nan) }
        assertEngineError("norm", "non-empty") { _ = try Tensor.zeros([0]).norm(p: .infinity) }
    }

    func testNormGradientAtZeroIsZero() throws {
        let z = try Tensor.zeros([3], dtype: .float64)
        try z.setRequiresGrad()
        try z.norm().backward()
        try assertClose(XCTUnwrap(z.grad), [0, 0, 0])
        z.grad = nil
        try z.norm(p: 3).backward()
        try assertClose(XCTUnwrap(z.grad), [0, 0, 0])
        // A row of zeros next to a non-zero row.
        let m = try Tensor([0, 0, 3, 4], shape: [2, 2], dtype: .float64)
        try m.setRequiresGrad()
        try m.norm(dims: [1]).sum().backward()
        try assertClose(XCTUnwrap(m.grad), [0, 0, 0.6, 0.8])
    }

    func testNormGradcheck() throws {
        let a = try leaf([3, 4])
        try assertGradcheck([a]) { try $0[0].norm() }
        try assertGradcheck([a]) { try $0[0].norm(dims: [1]) }
        try assertGradcheck([a]) { try $0[0].norm(p: 1, dims: [0], keepdim: true) }
        try assertGradcheck([a]) { try $0[0].norm(p: 3, dims: [-1]) }
        try assertGradcheck([a]) { try $0[0].norm(p: 1.5) }
        try assertGradcheck([a]) { try $0[0].norm(p: .infinity, dims: [1]) }
        try assertGradcheck([a]) { try $0[0].t().norm(p: 4, dims: [0, 1], keepdim: true) }
        let b = try leaf([2, 3], seed: 4, offset: 2)
        try assertGradcheck([b]) { try $0[0].norm(p: 0.5, dims: [1]) }
    }

    // MARK: logsumexp

    func testLogsumexpValues() throws {
        let x = try sample()
        try assertClose(x.logsumexp(dims: [1]), [5.065883903757429, 6.169846019556285], shape: [2])
        try assertClose(x.logsumexp(), [6.456193316018123], shape: [])
        try assertClose(x.t().logsumexp(dims: [0], keepdim: true), [5.065883903757429, 6.169846019556285], shape: [1, 2])
        // Stable for large values and for rows of -inf / +inf.
        try assertClose(Tensor([1000, 1000], shape: [2]).logsumexp(), [1000 + 0.6931471805599453])
        let inf = Double.infinity
        XCTAssertEqual(try Tensor([-inf, -inf, inf, 1], shape: [2, 2]).logsumexp(dims: [1]).toDoubles(), [-inf, inf])
        XCTAssertEqual(try Tensor.zeros([2, 0]).logsumexp(dims: [1]).toDoubles(), [-inf, -inf])
        XCTAssertEqual(try sample(.int64).logsumexp().dtype, .float32)
    }

    func testLogsumexpGradcheck() throws {
        let a = try leaf([3, 4])
        try assertGradcheck([a]) { try $0[0].logsumexp() }
        try assertGradcheck([a]) { try $0[0].logsumexp(dims: [1]) }
        try assertGradcheck([a]) { try $0[0].logsumexp(dims: [-2], keepdim: true) }
        let b = try leaf([2, 3, 4], seed: 2)
        try assertGradcheck([b]) { try $0[0].permute([2, 0, 1]).logsumexp(dims: [0, 2]) }
    }

    // MARK: cumsum / cumprod

    func testCumulativeValues() throws {
        let x = try sample()
        try assertClose(x.cumsum(dim: 1), [1, 6, 8, 4, 7, 13], shape: [2, 3])
        try assertClose(x.cumsum(dim: 0), [1, 5, 2, 5, 8, 8])
        try assertClose(x.cumsum(dim: -1), [1, 6, 8, 4, 7, 13])
        try assertClose(x.t().cumsum(dim: 0), [1, 4, 6, 7, 8, 13], shape: [3, 2])
        try assertClose(x.cumprod(dim: 1), [1, 5, 10, 4, 12, 72])
        let i = try sample(.int32).cumsum(dim: 1)
        XCTAssertEqual(i.dtype, .int64)
        XCTAssertEqual(try i.toInts(), [1, 6, 8, 4, 7, 13])
        try assertClose(Tensor.scalar(3).cumsum(dim: 0), [3], shape: [])
        XCTAssertEqual(try Tensor.zeros([2, 0]).cumprod(dim: 1).shape, [2, 0])
        assertEngineError("cumsum", "out of range") { _ = try x.cumsum(dim: 2) }
    }

    func testCumulativeGradients() throws {
        let x = try Tensor([1, 2, 3], shape: [3], dtype: .float64)
        try x.setRequiresGrad()
        try x.cumsum(dim: 0).sum().backward()
        try assertClose(XCTUnwrap(x.grad), [3, 2, 1])
        let a = try leaf([3, 4])
        try assertGradcheck([a]) { try $0[0].cumsum(dim: 1) }
        try assertGradcheck([a]) { try $0[0].cumsum(dim: -2) }
        try assertGradcheck([a]) { try $0[0].t().cumsum(dim: 1) }
        try assertGradcheck([a]) { try $0[0].cumprod(dim: 1) }
        try assertGradcheck([a]) { try $0[0].t().cumprod(dim: 0) }
        // Zeros: one per lane, two in a lane, at the start and at the end.
        let z = try Tensor([2, 0, 3, 4, 0, 5, 0, 6, 0, 2, 3, 0], shape: [3, 4], dtype: .float64)
        try z.setRequiresGrad()
        try assertGradcheck([z]) { try $0[0].cumprod(dim: 1) }
        try assertGradcheck([z]) { try $0[0].cumprod(dim: 0) }
        let s = try leaf([], seed: 9)
        try assertGradcheck([s]) { try $0[0].cumprod(dim: 0) }
    }
}
