import XCTest
@testable import Engine

final class SoftmaxTests: XCTestCase {
    private let row0 = [0.01714782554552039, 0.9362395518765058, 0.04661262257797389]
    private let row1 = [0.11419519938459448, 0.042010066134066056, 0.8437947344813395]

    /// [[1, 5, 2], [4, 3, 6]]
    private func sample(_ dtype: DType = .float32) throws -> Tensor {
        try Tensor([1, 5, 2, 4, 3, 6], shape: [2, 3], dtype: dtype)
    }

    func testSoftmaxValues() throws {
        let x = try sample()
        try assertClose(x.softmax(dim: 1), row0 + row1, shape: [2, 3])
        try assertClose(x.softmax(dim: -1), row0 + row1)
        try assertClose(x.softmax(dim: 0),
                        [0.04742587317756678, 0.8807970779778824, 0.01798620996209156,
                         0.9525741268224331, 0.11920292202211756, 0.9820137900379085])
        // Transposed input (strided lanes) and float64.
        try assertClose(x.t().softmax(dim: 0), [row0[0], row1[0], row0[1], row1[1], row0[2], row1[2]], shape: [3, 2])
        let d = try sample(.float64).softmax(dim: 1)
        XCTAssertEqual(d.dtype, .float64)
        try assertClose(d, row0 + row1, rtol: 1e-12, atol: 1e-14)
        let i = try sample(.int64).softmax(dim: 1)
        XCTAssertEqual(i.dtype, .float32)
        try assertClose(i, row0 + row1)
    }

    func testLogSoftmaxValues() throws {
        let x = try sample()
        try assertClose(x.logSoftmax(dim: 1), (row0 + row1).map { log($0) }, shape: [2, 3])
        try assertClose(x.t().logSoftmax(dim: 0), [row0[0], row1[0], row0[1], row1[1], row0[2], row1[2]].map { log($0) })
        try assertClose(x.logSoftmax(dim: 1).exp().sum(dims: [1]), [1, 1])
    }

    func testStability() throws {
        // Shifting by a huge constant changes nothing (no overflow).
        let big = try Tensor([1001, 1005, 1002, -996, -997, -994], shape: [2, 3])
        try assertClose(big.softmax(dim: 1), row0 + row1)
        try assertClose(big.logSoftmax(dim: 1).select(dim: 0, index: 0),
                        [-4.065883903757429, -0.06588390375742913, -3.0658839037574293], atol: 1e-4)
        let inf = Double.infinity
        // Masked (-inf) entries get probability 0; an all -inf row is NaN (as PyTorch).
        let masked = try Tensor([0, -inf, 0, -inf, -inf, -inf], shape: [2, 3])
        try assertClose(masked.softmax(dim: 1), [0.5, 0, 0.5, .nan, .nan, .nan])
        let logMasked = try masked.logSoftmax(dim: 1).toDoubles()
        XCTAssertEqual(logMasked[1], -inf)
        XCTAssertEqual(logMasked[0], -0.6931471805599453, accuracy: 1e-6)
        XCTAssertEqual(logMasked[2], -0.6931471805599453, accuracy: 1e-6)
        // A NaN poisons only its own lane.
        try assertClose(Tensor([1, .nan, 0, 0], shape: [2, 2]).softmax(dim: 1), [.nan, .nan, 0.5, 0.5])
    }

    func testEdgeShapesAndErrors() throws {
        try assertClose(Tensor.scalar(3).softmax(dim: 0), [1], shape: [])
        try assertClose(Tensor.scalar(3).logSoftmax(dim: -1), [0], shape: [])
        XCTAssertEqual(try Tensor.zeros([2, 0]).softmax(dim: 1).shape, [2, 0])
        XCTAssertEqual(try Tensor.zeros([0, 3]).logSoftmax(dim: 1).shape, [0, 3])
        assertEngineError("softmax", "out of range") { _ = try Tensor.zeros([2, 3]).softmax(dim: 2) }
        assertEngineError("log_softmax", "out of range") { _ = try Tensor.zeros([2, 3]).logSoftmax(dim: -3) }
    }

    func testLargeInputsMatchComposite() throws {
        // Many lanes (parallel path), last dim and a middle dim.
        let values = (0..<(300 * 7 * 40)).map { i in 4 * sin(Double(i) * 12.9898) }
        let x = try Tensor(values, shape: [300, 7, 40])
        for dim in [2, 1, 0] {
            let expected = try x.sub(x.amax(dims: [dim], keepdim: true)).exp()
            let reference = try expected.div(expected.sum(dims: [dim], keepdim: true))
            try assertClose(x.softmax(dim: dim), reference.toDoubles(), rtol: 1e-4, atol: 1e-6)
            try assertClose(x.logSoftmax(dim: dim), reference.log().toDoubles(), rtol: 1e-4, atol: 1e-5)
        }
    }

    func testBackwardValues() throws {
        // d/dx sum(w * softmax(x)) = y * (w - sum(w * y)).
        let x = try Tensor([1, 5, 2], shape: [3], dtype: .float64)
        try x.setRequiresGrad()
        let w = try Tensor([1, 2, 3], shape: [3], dtype: .float64)
        try x.softmax(dim: 0).mul(w).sum().backward()
        let s = zip(row0, [1.0, 2, 3]).reduce(0) { $0 + $1.0 * $1.1 }
        try assertClose(XCTUnwrap(x.grad), zip(row0, [1.0, 2, 3]).map { $0 * ($1 - s) }, rtol: 1e-9)
        x.grad = nil
        // d/dx sum(w * log_softmax(x)) = w - softmax(x) * sum(w).
        try x.logSoftmax(dim: 0).mul(w).sum().backward()
        try assertClose(XCTUnwrap(x.grad), zip(row0, [1.0, 2, 3]).map { $1 - $0 * 6 }, rtol: 1e-9)
    }

    func testGradcheck() throws {
        let a = try leaf([2, 3, 4])
        for dim in [0, 1, 2, -1] {
            try assertGradcheck([a]) { try $0[0].softmax(dim: dim) }
            try assertGradcheck([a]) { try $0[0].logSoftmax(dim: dim) }
        }
        try assertGradcheck([a]) { try $0[0].transpose(0, 2).softmax(dim: 0) }
        try assertGradcheck([a]) { try $0[0].permute([1, 2, 0]).logSoftmax(dim: -1) }
        let s = try leaf([], seed: 3)
        try assertGradcheck([s]) { try $0[0].softmax(dim: 0).add(scalar: 1) }
        // Broadcast gradient (stride 0) reaching the backward kernel.
        let b = try leaf([3, 5], seed: 7)
        try assertGradcheck([b]) { try $0[0].logSoftmax(dim: 1).sum(dims: [0]) }
    }
}
