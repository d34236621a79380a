import XCTest
@testable import Engine

/// One recurrent layer written step by step with primitive ops (matmul, sigmoid, tanh, where),
/// as the reference for the fused kernel. Lengths freeze each sequence's state after its end
/// and zero its outputs there.
func referenceRecurrentLayer(_ mode: RecurrentMode, x: Tensor, h0: Tensor, c0: Tensor?, w: RecurrentWeights,
                             lengths: [Int]? = nil, reverse: Bool = false) throws -> (output: Tensor, h: Tensor, c: Tensor?) {
    let steps = x.shape[0], batch = x.shape[1], hidden = h0.shape[1]
    var h = h0, c = c0
    var outputs = [Tensor?](repeating: nil, count: steps)
    for s in 0..<steps {
        let t = reverse ? steps - 1 - s : s
        let xt = try x.select(dim: 0, index: t)
        var gi = try xt.matmul(w.inputWeight.t())
        if let b = w.inputBias { gi = try gi.add(b) }
        var gh = try h.matmul(w.hiddenWeight.t())
        if let b = w.hiddenBias { gh = try gh.add(b) }
        var hNew: Tensor, cNew: Tensor? = nil
        switch mode {
        case .lstm:
            let a = try gi.add(gh).chunk(4, dim: 1)
            let i = try a[0].sigmoid(), f = try a[1].sigmoid(), g = try a[2].tanh(), o = try a[3].sigmoid()
            cNew = try f.mul(c!).add(i.mul(g))
            hNew = try o.mul(cNew!.tanh())
        case .gru:
            let a = try gi.chunk(3, dim: 1), u = try gh.chunk(3, dim: 1)
            let r = try a[0].add(u[0]).sigmoid(), z = try a[1].add(u[1]).sigmoid()
            let n = try a[2].add(r.mul(u[2])).tanh()
            hNew = try z.rsub(scalar: 1).mul(n).add(z.mul(h))
        case .rnnTanh: hNew = try gi.add(gh).tanh()
        case .rnnRelu: hNew = try gi.add(gh).relu()
        }
        if let lengths {
            let active = try Tensor(lengths.map { t < $0 ? 1.0 : 0.0 }, shape: [batch, 1], dtype: .bool)
            let activeF = try active.to(x.dtype)
            outputs[t] = try hNew.mul(activeF)
            h = try Tensor.where(active, hNew, h)
            if let cn = cNew { c = try Tensor.where(active, cn, c!) }
        } else {
            outputs[t] = hNew
            h = hNew
            if let cn = cNew { c = cn }
        }
    }
    let out = steps == 0 ? try Tensor.zeros([0, batch, hidden], dtype: x.dtype) : try Tensor.stack(outputs.map { $0! }, dim: 0)
    return (out, h, c)
}

/// Float64 leaves for one layer: x (T,B,I), h0, c0 (B,H) and weights.
func recurrentLeaves(_ mode: RecurrentMode, steps: Int, batch: Int, input: Int, hidden: Int, seed: UInt64 = 1,
                     bias: Bool = true) throws -> (x: Tensor, h0: Tensor, c0: Tensor?, w: RecurrentWeights) {
    let g = mode.gates * hidden
    let x = try leaf([steps, batch, input], seed: seed)
    let h0 = try leaf([batch, hidden], seed: seed + 1)
    let c0 = mode == .lstm ? try leaf([batch, hidden], seed: seed + 2) : nil
    let w = RecurrentWeights(inputWeight: try leaf([g, input], seed: seed + 3), hiddenWeight: try leaf([g, hidden], seed: seed + 4),
                             inputBias: bias ? try leaf([g], seed: seed + 5) : nil,
                             hiddenBias: bias ? try leaf([g], seed: seed + 6) : nil)
    return (x, h0, c0, w)
}

final class RecurrentTests: XCTestCase {
    /// Values and every gradient of the fused layer equal the step-by-step composition.
    func testFusedLayersMatchStepByStepComposition() throws {
        for mode in RecurrentMode.allCases {
            for (lengths, reverse) in [(nil, false), (nil, true), ([3, 1, 0] as [Int]?, false), ([3, 1, 2] as [Int]?, true)] {
                let l = try recurrentLeaves(mode, steps: 3, batch: 3, input: 2, hidden: 4)
                let all = [l.x, l.h0] + (l.c0.map { [$0] } ?? []) + l.w.tensors
                let fused = try Functional.recurrentLayer(mode, input: l.x, h0: l.h0, c0: l.c0, weights: l.w, lengths: lengths, reverse: reverse)
                let ref = try referenceRecurrentLayer(mode, x: l.x, h0: l.h0, c0: l.c0, w: l.w, lengths: lengths, reverse: reverse)
                try assertClose(fused.output, ref.output.toDoubles(), shape: [3, 3, 4], rtol: 1e-12, atol: 1e-12)
                try assertClose(fused.h, ref.h.toDoubles(), rtol: 1e-12, atol: 1e-12)
                if mode == .lstm { try assertClose(XCTUnwrap(fused.c), XCTUnwrap(ref.c).toDoubles(), rtol: 1e-12, atol: 1e-12) }
                // Gradients of a weighted sum of all outputs.
                func loss(_ r: (output: Tensor, h: Tensor, c: Tensor?)) throws -> Tensor {
                    var s = try r.output.mul(r.output).sum().add(r.h.mul(scalar: 3).sum())
                    if let c = r.c { s = try s.add(c.mul(c).mul(scalar: 0.5).sum()) }
                    return s
                }
                try loss(fused).backward()
                let fusedGrads = try all.map { try XCTUnwrap($0.grad, "\(mode)").toDoubles() }
                for t in all { t.grad = nil }
                try loss(ref).backward()
                for (k, t) in all.enumerated() {
                    try assertClose(XCTUnwrap(t.grad), fusedGrads[k], rtol: 1e-10, atol: 1e-12)
                }
            }
        }
    }

    func testGradcheckLayers() throws {
        for mode in RecurrentMode.allCases {
            let l = try recurrentLeaves(mode, steps: 4, batch: 2, input: 3, hidden: 2, seed: 11)
            let inputs = [l.x, l.h0] + (l.c0.map { [$0] } ?? []) + l.w.tensors
            for (lengths, reverse) in [(nil, false), ([4, 2] as [Int]?, true), ([1, 3] as [Int]?, false)] {
                try assertGradcheck(inputs) { t in
                    let c0: Tensor? = mode == .lstm ? t[2] : nil
                    let o = mode == .lstm ? 3 : 2
                    let w = RecurrentWeights(inputWeight: t[o], hiddenWeight: t[o + 1], inputBias: t[o + 2], hiddenBias: t[o + 3])
                    let r = try Functional.recurrentLayer(mode, input: t[0], h0: t[1], c0: c0, weights: w, lengths: lengths, reverse: reverse)
                    var parts = [try r.output.reshape([-1]), try r.h.reshape([-1])]
                    if let c = r.c { parts.append(try c.reshape([-1])) }
                    return try Tensor.cat(parts, dim: 0)
                }
            }
        }
    }

    /// Two layers, bidirectional, batch first, with lengths: gradcheck through the whole stack.
    func testGradcheckBidirectionalStackWithLengths() throws {
        for mode in [RecurrentMode.lstm, .gru] {
            let hidden = 2, g = mode.gates * hidden
            var weights: [RecurrentWeights] = []
            var params: [Tensor] = []
            for layer in 0..<2 {
                for d in 0..<2 {
                    let inSize = layer == 0 ? 3 : 2 * hidden
                    let seed = UInt64(100 + 10 * layer + d)
                    let w = RecurrentWeights(inputWeight: try leaf([g, inSize], seed: seed), hiddenWeight: try leaf([g, hidden], seed: seed + 1),
                                             inputBias: try leaf([g], seed: seed + 2), hiddenBias: try leaf([g], seed: seed + 3))
                    weights.append(w)
                    params += w.tensors
                }
            }
            let x = try leaf([2, 4, 3], seed: 7)                       // (B, T, I)
            let h0 = try leaf([4, 2, hidden], seed: 8)
            let c0 = mode == .lstm ? try leaf([4, 2, hidden], seed: 9) : nil
            let inputs = [x, h0] + (c0.map { [$0] } ?? []) + params
            try assertGradcheck(inputs) { t in
                let off = mode == .lstm ? 3 : 2
                let ws = (0..<4).map { k in
                    RecurrentWeights(inputWeight: t[off + 4 * k], hiddenWeight: t[off + 4 * k + 1],
                                     inputBias: t[off + 4 * k + 2], hiddenBias: t[off + 4 * k + 3])
                }
                let r = try Functional.recurrent(mode, input: t[0], h0: t[1], c0: mode == .lstm ? t[2] : nil, weights: ws,
                                                 hiddenSize: hidden, numLayers: 2, bidirectional: true, batchFirst: true,
                                                 lengths: [4, 2])
                var parts = [try r.output.reshape([-1]), try r.h.reshape([-1])]
                if let c = r.c { parts.append(try c.reshape([-1])) }
                return try Tensor.cat(parts, dim: 0)
            }
        }
    }

    /// A sequence of length n in a padded batch gives the same outputs and final state as the
    /// same sequence run alone, truncated to n (both directions).
    func testLengthsMatchTruncatedSequences() throws {
        let l = try recurrentLeaves(.lstm, steps: 5, batch: 3, input: 2, hidden: 3, seed: 21)
        let lengths = [5, 2, 3]
        for reverse in [false, true] {
            let r = try Functional.recurrentLayer(.lstm, input: l.x, h0: l.h0, c0: l.c0, weights: l.w, lengths: lengths, reverse: reverse)
            for b in 0..<3 {
                let n = lengths[b]
                let xb = try l.x.narrow(dim: 0, start: 0, length: n).narrow(dim: 1, start: b, length: 1)
                let alone = try Functional.recurrentLayer(.lstm, input: xb, h0: l.h0.narrow(dim: 0, start: b, length: 1),
                                                          c0: l.c0!.narrow(dim: 0, start: b, length: 1), weights: l.w,
                                                          lengths: nil, reverse: reverse)
                try assertClose(r.h.select(dim: 0, index: b), alone.h.reshape([-1]).toDoubles(), rtol: 1e-12, atol: 1e-12)
                try assertClose(r.output.narrow(dim: 0, start: 0, length: n).select(dim: 1, index: b),
                                alone.output.reshape([n, 3]).toDoubles(), rtol: 1e-12, atol: 1e-12)
                let padded = try r.output.narrow(dim: 0, start: n, length: 5 - n).select(dim: 1, index: b).toDoubles()
                XCTAssertTrue(padded.allSatisfy { $0 == 0 }, "padded outputs are zero")
            }
        }
    }

    func testStackShapesAndCells() throws {
        let x = try Tensor.randn([4, 7, 3])                         // (B, T, I), batch first
        let h = 5, g = 4 * h
        var ws: [RecurrentWeights] = []
        for layer in 0..<2 {
            for _ in 0..<2 {
                ws.append(RecurrentWeights(inputWeight: try Tensor.randn([g, layer == 0 ? 3 : 2 * h]), hiddenWeight: try Tensor.randn([g, h]),
                                           inputBias: try Tensor.randn([g]), hiddenBias: try Tensor.randn([g])))
            }
        }
        let r = try Functional.recurrent(.lstm, input: x, weights: ws, hiddenSize: h, numLayers: 2, bidirectional: true,
                                         dropout: 0.5, training: true, batchFirst: true)
        XCTAssertEqual(r.output.shape, [4, 7, 10])
        XCTAssertEqual(r.h.shape, [4, 4, 5])
        XCTAssertEqual(r.c?.shape, [4, 4, 5])
        // The last output step of the forward direction is h_n of the last layer's forward direction.
        try assertClose(r.output.select(dim: 1, index: 6).narrow(dim: 1, start: 0, length: 5), r.h.select(dim: 0, index: 2).toDoubles())
        // ... and the reverse direction's first output step is its h_n.
        try assertClose(r.output.select(dim: 1, index: 0).narrow(dim: 1, start: 5, length: 5), r.h.select(dim: 0, index: 3).toDoubles())

        let l = try recurrentLeaves(.gru, steps: 1, batch: 2, input: 3, hidden: 4, seed: 31)
        let cell = try Functional.recurrentCell(.gru, input: l.x.select(dim: 0, index: 0), h: l.h0, weights: l.w)
        let ref = try referenceRecurrentLayer(.gru, x: l.x, h0: l.h0, c0: nil, w: l.w)
        try assertClose(cell.h, ref.h.toDoubles(), rtol: 1e-12)
        let lc = try recurrentLeaves(.lstm, steps: 1, batch: 2, input: 3, hidden: 4, seed: 41)
        try assertGradcheck([lc.x, lc.h0, lc.c0!] + lc.w.tensors) { t in
            let w = RecurrentWeights(inputWeight: t[3], hiddenWeight: t[4], inputBias: t[5], hiddenBias: t[6])
            let r = try Functional.recurrentCell(.lstm, input: t[0].select(dim: 0, index: 0), h: t[1], c: t[2], weights: w)
            return try Tensor.cat([r.h, r.c!], dim: 1)
        }
    }

    func testNoBiasAndFloat32() throws {
        let l = try recurrentLeaves(.rnnTanh, steps: 3, batch: 2, input: 2, hidden: 3, seed: 51, bias: false)
        let fused = try Functional.recurrentLayer(.rnnTanh, input: l.x, h0: l.h0, c0: nil, weights: l.w, lengths: nil, reverse: false)
        let ref = try referenceRecurrentLayer(.rnnTanh, x: l.x, h0: l.h0, c0: nil, w: l.w)
        try assertClose(fused.output, ref.output.toDoubles(), rtol: 1e-12)
        let f = RecurrentWeights(inputWeight: try l.w.inputWeight.detach().to(.float32), hiddenWeight: try l.w.hiddenWeight.detach().to(.float32))
        let r32 = try Functional.recurrentLayer(.rnnTanh, input: l.x.detach().to(.float32), h0: l.h0.detach().to(.float32), c0: nil,
                                                weights: f, lengths: nil, reverse: false)
        XCTAssertEqual(r32.output.dtype, .float32)
        try assertClose(r32.output, ref.output.toDoubles(), rtol: 1e-5, atol: 1e-6)
    }

    func testErrors() throws {
        let l = try recurrentLeaves(.lstm, steps: 3, batch: 2, input: 2, hidden: 3)
        assertEngineError("lstm", "lengths must lie in 0...3") {
            _ = try Functional.recurrentLayer(.lstm, input: l.x, h0: l.h0, c0: l.c0, weights: l.w, lengths: [4, 1], reverse: false)
        }
        assertEngineError("lstm", "expected 2 lengths") {
            _ = try Functional.recurrentLayer(.lstm, input: l.x, h0: l.h0, c0: l.c0, weights: l.w, lengths: [1], reverse: false)
        }
        assertEngineError("lstm", "weight_hh") {
            var w = l.w
            w.hiddenWeight = try Tensor.zeros([12, 2], dtype: .float64)
            _ = try Functional.recurrentLayer(.lstm, input: l.x, h0: l.h0, c0: l.c0, weights: w, lengths: nil, reverse: false)
        }
        assertEngineError("lstm", "c0") {
            _ = try Functional.recurrentLayer(.lstm, input: l.x, h0: l.h0, c0: nil, weights: l.w, lengths: nil, reverse: false)
        }
        assertEngineError("gru", "expected a 3-d input") {
            _ = try Functional.recurrent(.gru, input: Tensor.zeros([2, 3]), weights: [l.w], hiddenSize: 3)
        }
        assertEngineError("lstm", "expected h0 of shape (1,2,3)") {
            _ = try Functional.recurrent(.lstm, input: l.x, h0: Tensor.zeros([2, 3], dtype: .float64), weights: [l.w], hiddenSize: 3)
        }
    }
}
