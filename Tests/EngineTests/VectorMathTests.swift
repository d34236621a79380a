import XCTest
@testable import Engine
import Foundation

final class VectorMathTests: XCTestCase {
    /// The vectorizable float32 exp/sigmoid/tanh stay within a few ulp of the float64 values.
    func testAccuracyAgainstDoublePrecision() {
        var worstExp = 0.0, worstSigmoid = 0.0, worstTanh = 0.0
        var x: Float = -30
        while x <= 30 {
            let e = Double(VectorMath.exp(x)), ref = Foundation.exp(Double(x))
            worstExp = max(worstExp, abs(e - ref) / ref)
            worstSigmoid = max(worstSigmoid, abs(Double(VectorMath.sigmoid(x)) - 1 / (1 + Foundation.exp(-Double(x)))))
            let t = Foundation.tanh(Double(x))
            worstTanh = max(worstTanh, abs(Double(VectorMath.tanh(x)) - t) / max(abs(t), 1e-3))
            x += 0.001_37
        }
        XCTAssertLessThan(worstExp, 3e-7)
        XCTAssertLessThan(worstSigmoid, 2e-7)
        XCTAssertLessThan(worstTanh, 3e-5)
        XCTAssertEqual(VectorMath.exp(-200), VectorMath.exp(-87.3))  // clamped, never zero or NaN
        XCTAssertEqual(VectorMath.sigmoid(200), 1)
        XCTAssertEqual(VectorMath.tanh(-50), -1)
        XCTAssertEqual(VectorMath.tanh(1e-6), 1e-6)
    }

    /// The 8-lane exp/sigmoid/tanh give the same bits as the scalar functions (NaN stays NaN).
    func testLanesMatchScalarBitwise() {
        var x: Float = -100
        while x <= 100 {
            var v = VectorMath.Lanes8()
            for k in 0..<8 { v[k] = x + Float(k) * 0.000_731 }
            let e = VectorMath.exp(v), s = VectorMath.sigmoid(v), t = VectorMath.tanh(v)
            for k in 0..<8 {
                XCTAssertEqual(e[k].bitPattern, VectorMath.exp(v[k]).bitPattern, "exp(\(v[k]))")
                XCTAssertEqual(s[k].bitPattern, VectorMath.sigmoid(v[k]).bitPattern, "sigmoid(\(v[k]))")
                XCTAssertEqual(t[k].bitPattern, VectorMath.tanh(v[k]).bitPattern, "tanh(\(v[k]))")
            }
            x += x.magnitude < 1 ? 0.001_9 : 0.093
        }
        XCTAssertTrue(VectorMath.exp(VectorMath.Lanes8(repeating: .nan))[3].isNaN)
        XCTAssertEqual(VectorMath.tanh(VectorMath.Lanes8(repeating: 1e-6))[0], 1e-6)
    }

    /// The fused float32 LSTM cell (8 lanes plus a tail: hidden 13) and the direct dh gemm (no
    /// lengths) agree with the float64 kernel, forward and all gradients.
    func testFloat32LSTMLanesMatchFloat64() throws {
        let l = try recurrentLeaves(.lstm, steps: 7, batch: 4, input: 3, hidden: 13, seed: 71)
        let r64 = try Functional.recurrentLayer(.lstm, input: l.x, h0: l.h0, c0: l.c0, weights: l.w, lengths: nil, reverse: false)
        let w32 = RecurrentWeights(inputWeight: try l.w.inputWeight.detach().to(.float32), hiddenWeight: try l.w.hiddenWeight.detach().to(.float32),
                                   inputBias: try l.w.inputBias!.detach().to(.float32), hiddenBias: try l.w.hiddenBias!.detach().to(.float32))
        for p in w32.tensors { try p.setRequiresGrad() }
        let x32 = try l.x.detach().to(.float32), h32 = try l.h0.detach().to(.float32), c32 = try l.c0!.detach().to(.float32)
        for p in [x32, h32, c32] { try p.setRequiresGrad() }
        let r32 = try Functional.recurrentLayer(.lstm, input: x32, h0: h32, c0: c32, weights: w32, lengths: nil, reverse: false)
        try assertClose(r32.output, r64.output.toDoubles(), rtol: 1e-5, atol: 1e-6)
        try assertClose(r32.h, r64.h.toDoubles(), rtol: 1e-5, atol: 1e-6)
        // A loss on every output (weighted so each position matters) and on the final c.
        let wts64 = try Tensor.randn(r64.output.shape, dtype: .float64, generator: Generator(seed: 5))
        try r64.output.mul(wts64).sum().add(XCTUnwrap(r64.c).sum()).backward()
        try r32.output.mul(wts64.to(.float32)).sum().add(XCTUnwrap(r32.c).sum()).backward()
        let pairs: [(Tensor, Tensor)] = [(x32, l.x), (h32, l.h0), (c32, l.c0!)] + Array(zip(w32.tensors, l.w.tensors))
        for (a, b) in pairs {
            try assertClose(XCTUnwrap(a.grad), XCTUnwrap(b.grad).toDoubles(), rtol: 1e-4, atol: 1e-5)
        }
    }

    /// A float32 LSTM layer (fast activations) agrees with the float64 kernel.
    func testFloat32LSTMMatchesFloat64() throws {
        let l = try recurrentLeaves(.lstm, steps: 6, batch: 3, input: 4, hidden: 5, seed: 61)
        let r64 = try Functional.recurrentLayer(.lstm, input: l.x, h0: l.h0, c0: l.c0, weights: l.w, lengths: [6, 3, 5], reverse: false)
        let w32 = RecurrentWeights(inputWeight: try l.w.inputWeight.detach().to(.float32), hiddenWeight: try l.w.hiddenWeight.detach().to(.float32),
                                   inputBias: try l.w.inputBias!.detach().to(.float32), hiddenBias: try l.w.hiddenBias!.detach().to(.float32))
        let x32 = try l.x.detach().to(.float32)
        try x32.setRequiresGrad()
        let r32 = try Functional.recurrentLayer(.lstm, input: x32, h0: l.h0.detach().to(.float32), c0: l.c0!.detach().to(.float32),
                                                weights: w32, lengths: [6, 3, 5], reverse: false)
        try assertClose(r32.output, r64.output.toDoubles(), rtol: 1e-5, atol: 1e-6)
        try assertClose(XCTUnwrap(r32.c), XCTUnwrap(r64.c).toDoubles(), rtol: 1e-5, atol: 1e-6)
        try r64.output.sum().backward()
        try r32.output.sum().backward()
        try assertClose(XCTUnwrap(x32.grad), XCTUnwrap(l.x.grad).toDoubles(), rtol: 1e-4, atol: 1e-5)
    }
}
