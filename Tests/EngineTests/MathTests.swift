import XCTest
@testable import Engine

final class MathTests: XCTestCase {
    let x = try! Tensor([-2, -0.5, 0, 0.5, 3], shape: [5], dtype: .float64)

    func testArithmetic() throws {
        let a = try Tensor([1, 2, 3], shape: [3]), b = try Tensor([4, 5, 6], shape: [3])
        try assertClose(a + b, [5, 7, 9])
        try assertClose(a - b, [-3, -3, -3])
        try assertClose(a * b, [4, 10, 18])
        try assertClose(a / b, [0.25, 0.4, 0.5])
        try assertClose(a.pow(b), [1, 32, 729])
        try assertClose(a.maximum(Tensor([2, 2, 2], shape: [3])), [2, 2, 3])
        try assertClose(a.minimum(Tensor([2, 2, 2], shape: [3])), [1, 2, 2])
        try assertClose(a.neg(), [-1, -2, -3])
    }

    func testScalarArithmetic() throws {
        let a = try Tensor([1, 2, 4], shape: [3])
        try assertClose(a + 1, [2, 3, 5])
        try assertClose(a - 1, [0, 1, 3])
        try assertClose(a.rsub(scalar: 1), [0, -1, -3])
        try assertClose(a * 2, [2, 4, 8])
        try assertClose(a / 2, [0.5, 1, 2])
        try assertClose(a.rdiv(scalar: 2), [2, 1, 0.5])
        try assertClose(a.pow(scalar: 2), [1, 4, 16])
        try assertClose(a.pow(scalar: 0.5), [1, 2.squareRoot(), 2])
        try assertClose(a.rpow(scalar: 2), [2, 4, 16])
        XCTAssertEqual(try Tensor([7, -7], shape: [2], dtype: .int64).add(scalar: 3).toInts(), [10, -4])
        try assertClose(Tensor([7, -7], shape: [2], dtype: .int64).div(scalar: 2), [3.5, -3.5])
    }

    func testUnaryFunctions() throws {
        let v = [-2, -0.5, 0, 0.5, 3.0]
        try assertClose(x.abs(), v.map { Swift.abs($0) })
        try assertClose(x.exp(), v.map { Foundation.exp($0) }, rtol: 1e-12)
        try assertClose(x.sin(), v.map { Foundation.sin($0) }, rtol: 1e-12)
        try assertClose(x.cos(), v.map { Foundation.cos($0) }, rtol: 1e-12)
        try assertClose(x.tanh(), v.map { Foundation.tanh($0) }, rtol: 1e-12)
        try assertClose(x.sigmoid(), v.map { 1 / (1 + Foundation.exp(-$0)) }, rtol: 1e-12)
        try assertClose(x.relu(), [0, 0, 0, 0.5, 3])
        try assertClose(x.gelu(), v.map { $0 * 0.5 * (1 + Foundation.erf($0 / 2.squareRoot())) }, rtol: 1e-12)
        try assertClose(x.silu(), v.map { $0 / (1 + Foundation.exp(-$0)) }, rtol: 1e-12)
        try assertClose(x.softplus(), v.map { Foundation.log(1 + Foundation.exp($0)) }, rtol: 1e-12)
        try assertClose(Tensor([1000], shape: [1]).softplus(), [1000])
        let p = try Tensor([0.25, 1, 4], shape: [3], dtype: .float64)
        try assertClose(p.log(), [Foundation.log(0.25), 0, Foundation.log(4)], rtol: 1e-12)
        try assertClose(p.log1p(), [Foundation.log(1.25), Foundation.log(2), Foundation.log(5)], rtol: 1e-12)
        try assertClose(p.sqrt(), [0.5, 1, 2])
        try assertClose(p.rsqrt(), [2, 1, 0.5])
        try assertClose(x.clamp(min: -1, max: 1), [-1, -0.5, 0, 0.5, 1])
        try assertClose(x.clamp(min: 0), [0, 0, 0, 0.5, 3])
        XCTAssertEqual(try Tensor([1, 2], shape: [2], dtype: .int64).exp().dtype, .float32)
        XCTAssertEqual(try Tensor([-1, 2], shape: [2], dtype: .int64).abs().toInts(), [1, 2])
    }

    func testSigmoidIsStableForLargeInputs() throws {
        try assertClose(Tensor([-1000, 1000], shape: [2]).sigmoid(), [0, 1])
    }

    func testComparisonsAndLogic() throws {
        let a = try Tensor([1, 2, 3], shape: [3]), b = try Tensor([3, 2, 1], shape: [3])
        XCTAssertEqual(try a.lt(b).toInts(), [1, 0, 0])
        XCTAssertEqual(try a.le(b).toInts(), [1, 1, 0])
        XCTAssertEqual(try a.gt(b).toInts(), [0, 0, 1])
        XCTAssertEqual(try a.ge(b).toInts(), [0, 1, 1])
        XCTAssertEqual(try a.eq(b).toInts(), [0, 1, 0])
        XCTAssertEqual(try a.ne(b).toInts(), [1, 0, 1])
        XCTAssertEqual(try a.gt(scalar: 1.5).dtype, .bool)
        XCTAssertEqual(try a.gt(scalar: 1.5).toInts(), [0, 1, 1])
        let p = try a.gt(scalar: 1), q = try a.lt(scalar: 3)
        XCTAssertEqual(try p.logicalAnd(q).toInts(), [0, 1, 0])
        XCTAssertEqual(try p.logicalOr(q).toInts(), [1, 1, 1])
        XCTAssertEqual(try p.logicalXor(q).toInts(), [1, 0, 1])
        XCTAssertEqual(try p.logicalNot().toInts(), [1, 0, 0])
        let nan = try Tensor([Double.nan], shape: [1])
        XCTAssertEqual(try nan.eq(nan).toInts(), [0])
        XCTAssertEqual(try nan.ne(nan).toInts(), [1])
    }

    func testReductionsSumMean() throws {
        let t = try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        try assertClose(t.sum(), [21], shape: [])
        try assertClose(t.sum(dims: [0]), [5, 7, 9], shape: [3])
        try assertClose(t.sum(dims: [1], keepdim: true), [6, 15], shape: [2, 1])
        try assertClose(t.sum(dims: [-1]), [6, 15])
        try assertClose(t.mean(), [3.5])
        try assertClose(t.mean(dims: [0]), [2.5, 3.5, 4.5])
        try assertClose(t.t().sum(dims: [1]), [5, 7, 9])
        XCTAssertEqual(try Tensor([1, 2], shape: [2], dtype: .int32).sum().dtype, .int64)
        XCTAssertEqual(try t.gt(scalar: 2).sum().item(), 4)
        assertEngineError("sum", "out of range") { _ = try t.sum(dims: [2]) }
        assertEngineError("sum", "more than once") { _ = try t.sum(dims: [0, -2]) }
    }

    func testLargeSumIsAccurateAndDeterministic() throws {
        let n = 4_000_003
        let t = try Tensor.full([n], 0.1)
        let s1 = try t.sum().item(), s2 = try t.sum().item()
        XCTAssertEqual(s1, s2)
        XCTAssertEqual(s1, Double(Float(0.1)) * Double(n), accuracy: 1)
        let big = try Tensor.ones([1 << 20]).add(Tensor.ones([1 << 20]))
        XCTAssertEqual(try big.sum().item(), Double(2 << 20))
    }

    func testElementwiseGradients() throws {
        let a = try leaf([2, 3]), b = try leaf([2, 3], seed: 7)
        let positive = try leaf([2, 3], seed: 3, offset: 2)
        try assertGradcheck([a, b]) { try $0[0].add($0[1]) }
        try assertGradcheck([a, b]) { try $0[0].sub($0[1]) }
        try assertGradcheck([a, b]) { try $0[0].mul($0[1]) }
        try assertGradcheck([a, positive]) { try $0[0].div($0[1]) }
        try assertGradcheck([positive, b]) { try $0[0].pow($0[1]) }
        try assertGradcheck([a, b]) { try $0[0].maximum($0[1]) }
        try assertGradcheck([a, b]) { try $0[0].minimum($0[1]) }
        for op in [UnaryMath.neg, .abs, .exp, .sin, .cos, .tanh, .sigmoid, .relu, .gelu, .silu, .softplus] {
            try assertGradcheck([a]) { try $0[0].unary(op) }
        }
        for op in [UnaryMath.log, .log1p, .sqrt, .rsqrt] {
            try assertGradcheck([positive]) { try $0[0].unary(op) }
        }
        try assertGradcheck([a]) { try $0[0].clamp(min: -0.3, max: 0.4) }
        try assertGradcheck([a]) { try $0[0].add(scalar: 2).mul(scalar: 3).sub(scalar: 1).div(scalar: 4) }
        try assertGradcheck([a]) { try $0[0].rsub(scalar: 2) }
        try assertGradcheck([positive]) { try $0[0].rdiv(scalar: 2) }
        try assertGradcheck([positive]) { try $0[0].pow(scalar: 1.5) }
        try assertGradcheck([a]) { try $0[0].pow(scalar: 3) }
        try assertGradcheck([a]) { try $0[0].rpow(scalar: 1.7) }
        try assertGradcheck([a]) { try $0[0].sum(dims: [1]) }
        try assertGradcheck([a]) { try $0[0].sum(dims: [0], keepdim: true) }
        try assertGradcheck([a]) { try $0[0].mean() }
        try assertGradcheck([a]) { try $0[0].mean(dims: [-1]) }
        // Through a float32 round trip: coarse differences, since float32 rounding is ~1e-7.
        XCTAssertNil(try Gradcheck.check([a, b], eps: 1e-2, atol: 1e-3, rtol: 1e-3) { try $0[0].to(.float32).mul($0[1]) })
    }
}

import Foundation
