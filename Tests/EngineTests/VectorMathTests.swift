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
