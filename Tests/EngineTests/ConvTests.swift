import XCTest
@testable import Engine

/// Convolution "from loops": the textbook definition, one output element at a time, with
/// padding (top, bottom, left, right). Returns (N, O, oh, ow) values row-major.
func naiveConv2d(_ x: Tensor, _ w: Tensor, _ b: Tensor?, stride: (Int, Int), pads: (Int, Int, Int, Int),
                 dilation: (Int, Int), groups: Int) throws -> (values: [Double], shape: [Int]) {
    let xv = try x.toDoubles(), wv = try w.toDoubles(), bv = try b?.toDoubles()
    let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (o, cg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
    let oh = (h + pads.0 + pads.1 - dilation.0 * (kh - 1) - 1) / stride.0 + 1
    let ow = (wd + pads.2 + pads.3 - dilation.1 * (kw - 1) - 1) / stride.1 + 1
    let og = o / groups
    var out = [Double](repeating: 0, count: n * o * oh * ow)
    for bi in 0..<n {
        for oc in 0..<o {
            let g = oc / og
            for oy in 0..<oh {
                for ox in 0..<ow {
                    var s = bv?[oc] ?? 0
                    for ci in 0..<cg {
                        let ch = g * cg + ci
                        for i in 0..<kh {
                            for j in 0..<kw {
                                let iy = oy * stride.0 - pads.0 + i * dilation.0
                                let ix = ox * stride.1 - pads.2 + j * dilation.1
                                if iy < 0 || iy >= h || ix < 0 || ix >= wd { continue }
                                s += xv[((bi * c + ch) * h + iy) * wd + ix] * wv[((oc * cg + ci) * kh + i) * kw + j]
                            }
                        }
                    }
                    out[((bi * o + oc) * oh + oy) * ow + ox] = s
                }
            }
        }
    }
    _ = c
    return (out, [n, o, oh, ow])
}

/// Transposed convolution from loops: every input element scatters its weighted kernel.
func naiveConvTranspose2d(_ x: Tensor, _ w: Tensor, _ b: Tensor?, stride: (Int, Int), padding: (Int, Int),
                          outputPadding: (Int, Int), dilation: (Int, Int), groups: Int) throws -> (values: [Double], shape: [Int]) {
    let xv = try x.toDoubles(), wv = try w.toDoubles(), bv = try b?.toDoubles()
    let (n, cin, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (cg, kh, kw) = (w.shape[1], w.shape[2], w.shape[3])
    let oh = (h - 1) * stride.0 - 2 * padding.0 + dilation.0 * (kh - 1) + outputPadding.0 + 1
    let ow = (wd - 1) * stride.1 - 2 * padding.1 + dilation.1 * (kw - 1) + outputPadding.1 + 1
    let cout = cg * groups, ig = cin / groups
    var out = [Double](repeating: 0, count: n * cout * oh * ow)
    for bi in 0..<n {
        for c in 0..<cout { for p in 0..<(oh * ow) { out[(bi * cout + c) * oh * ow + p] = bv?[c] ?? 0 } }
        for ci in 0..<cin {
            let g = ci / ig
            for y in 0..<h {
                for xx in 0..<wd {
                    let v = xv[((bi * cin + ci) * h + y) * wd + xx]
                    for co in 0..<cg {
                        for i in 0..<kh {
                            for j in 0..<kw {
                                let oy = y * stride.0 - padding.0 + i * dilation.0
                                let ox = xx * stride.1 - padding.1 + j * dilation.1
                                if oy < 0 || oy >= oh || ox < 0 || ox >= ow { continue }
                                out[((bi * cout + g * cg + co) * oh + oy) * ow + ox] += v * wv[((ci * cg + co) * kh + i) * kw + j]
                            }
                        }
                    }
                }
            }
        }
    }
    return (out, [n, cout, oh, ow])
}

final class ConvTests: XCTestCase {
    /// (input shape, weight shape, stride, padding, dilation, groups)
    let configs: [([Int], [Int], (Int, Int), (Int, Int), (Int, Int), Int)] = [
        ([2, 3, 7, 6], [4, 3, 3, 3], (1, 1), (1, 1), (1, 1), 1),
        ([1, 2, 8, 5], [3, 2, 3, 2], (2, 1), (0, 1), (1, 1), 1),
        ([2, 4, 9, 9], [6, 2, 3, 3], (2, 2), (2, 1), (2, 1), 2),
        ([1, 3, 6, 7], [3, 1, 2, 3], (1, 2), (1, 0), (1, 2), 3),
        ([3, 2, 5, 5], [5, 2, 1, 1], (1, 1), (0, 0), (1, 1), 1),
        ([2, 2, 6, 6], [4, 2, 1, 1], (2, 2), (1, 1), (1, 1), 1),
        ([1, 1, 4, 4], [2, 1, 4, 4], (1, 1), (0, 0), (1, 1), 1),
        // 'Same'-shaped (stride 1, output as wide as the input): im2col's contiguous-run path.
        ([2, 2, 6, 7], [3, 2, 3, 3], (1, 1), (2, 2), (2, 2), 1),
        ([1, 2, 1, 5], [2, 2, 3, 3], (1, 1), (1, 1), (1, 1), 1),
        ([1, 2, 5, 4], [2, 1, 5, 1], (1, 1), (1, 0), (1, 1), 2),
        ([1, 1, 3, 3], [1, 1, 3, 5], (1, 1), (2, 2), (2, 1), 1),
    ]

    func testConvFromLoopsMatchesConv2d() throws {
        for (k, (xs, ws, s, p, d, g)) in configs.enumerated() {
            for dtype in [DType.float32, .float64] {
                let x = try leaf(xs, seed: UInt64(k + 1)).to(dtype).detach()
                let w = try leaf(ws, seed: UInt64(k + 11)).to(dtype).detach()
                let b = try leaf([ws[0]], seed: UInt64(k + 21)).to(dtype).detach()
                let ref = try naiveConv2d(x, w, b, stride: s, pads: (p.0, p.0, p.1, p.1), dilation: d, groups: g)
                let y = try Functional.conv2d(x, w, bias: b, stride: s, padding: p, dilation: d, groups: g)
                XCTAssertEqual(y.dtype, dtype)
                try assertClose(y, ref.values, shape: ref.shape, rtol: 1e-4, atol: 1e-5)
                let ref0 = try naiveConv2d(x, w, nil, stride: s, pads: (p.0, p.0, p.1, p.1), dilation: d, groups: g)
                try assertClose(Functional.conv2d(x, w, stride: s, padding: p, dilation: d, groups: g), ref0.values,
                                shape: ref0.shape, rtol: 1e-4, atol: 1e-5)
            }
        }
    }

    func testConv2dGradcheck() throws {
        for (k, (xs, ws, s, p, d, g)) in configs.enumerated() {
            let x = try leaf(xs, seed: UInt64(k + 1)), w = try leaf(ws, seed: UInt64(k + 11))
            let b = try leaf([ws[0]], seed: UInt64(k + 21))
            try assertGradcheck([x, w, b]) { t in
                try Functional.conv2d(t[0], t[1], bias: t[2], stride: s, padding: p, dilation: d, groups: g)
            }
            try assertGradcheck([x, w]) { t in
                try Functional.conv2d(t[0], t[1], stride: s, padding: p, dilation: d, groups: g)
            }
        }
    }

    func testLargeBatchUsesBothCoresAndMatchesLoops() throws {
        // Big enough for the parallel paths (forward, input and weight gradients).
        let x = try leaf([8, 4, 16, 16], seed: 91), w = try leaf([8, 4, 3, 3], seed: 92), b = try leaf([8], seed: 93)
        let ref = try naiveConv2d(x, w, b, stride: (1, 1), pads: (1, 1, 1, 1), dilation: (1, 1), groups: 1)
        let y = try Functional.conv2d(x, w, bias: b, padding: (1, 1))
        try assertClose(y, ref.values, shape: ref.shape, rtol: 1e-9, atol: 1e-9)
        // Gradients against the same sums written with unfold + matmul (a different code path).
        let g = try leaf(y.shape, seed: 94).detach()
        try y.backward(gradient: g)
        let cols = try Functional.unfold(x.detach(), kernel: (3, 3), padding: (1, 1))         // (8,36,256)
        let gm = try g.reshape([8, 8, 256])
        let gw = try gm.matmul(cols.transpose(1, 2)).sum(dims: [0]).reshape([8, 4, 3, 3])
        try assertClose(try XCTUnwrap(w.grad), try gw.toDoubles(), rtol: 1e-9, atol: 1e-9)
        let gx = try Functional.fold(w.detach().reshape([8, 36]).t().matmul(gm), outputSize: (16, 16), kernel: (3, 3), padding: (1, 1))
        try assertClose(try XCTUnwrap(x.grad), try gx.toDoubles(), rtol: 1e-9, atol: 1e-9)
        try assertClose(try XCTUnwrap(b.grad), try g.sum(dims: [0, 2, 3]).toDoubles(), rtol: 1e-9, atol: 1e-9)
        // Deterministic: the same bits on a second run.
        let w2 = try leaf([8, 4, 3, 3], seed: 92)
        try Functional.conv2d(x.detach(), w2, bias: nil, padding: (1, 1)).backward(gradient: g)
        XCTAssertEqual(try XCTUnwrap(w2.grad).toDoubles(), try XCTUnwrap(w.grad).toDoubles())
    }

    func testPartialGradients() throws {
        // Only the weight (or only the input) requires grad.
        let x = try leaf([2, 2, 5, 4], seed: 3).detach(), w = try leaf([3, 2, 3, 2], seed: 4)
        try assertGradcheck([x, w]) { t in try Functional.conv2d(t[0], t[1], padding: (1, 0)) }
        let x2 = try leaf([2, 2, 5, 4], seed: 3), w2 = try leaf([3, 2, 3, 2], seed: 4).detach()
        try assertGradcheck([x2, w2]) { t in try Functional.conv2d(t[0], t[1], stride: (2, 1)) }
    }

    func testNonContiguousInputs() throws {
        let x = try leaf([2, 3, 6, 5], seed: 7), w = try leaf([4, 3, 2, 2], seed: 8)
        let xt = try x.transpose(2, 3)             // (2,3,5,6), strided
        let ref = try naiveConv2d(xt, w, nil, stride: (1, 1), pads: (0, 0, 0, 0), dilation: (1, 1), groups: 1)
        try assertClose(Functional.conv2d(xt, w), ref.values, shape: ref.shape)
        try assertGradcheck([x, w]) { t in try Functional.conv2d(t[0].transpose(2, 3), t[1].transpose(2, 3)) }
    }

    func testSamePadding() throws {
        XCTAssertEqual(Functional.samePadding(kernel: (3, 4)), [1, 2, 1, 1])
        XCTAssertEqual(Functional.samePadding(kernel: (3, 3), dilation: (2, 1)), [1, 1, 2, 2])
        let x = try leaf([2, 2, 5, 6], seed: 5), w = try leaf([3, 2, 2, 4], seed: 6), b = try leaf([3], seed: 9)
        let y = try Functional.conv2dSame(x, w, bias: b)
        XCTAssertEqual(y.shape, [2, 3, 5, 6])
        // kh=2: pad 0 on top, 1 on the bottom; kw=4: 1 left, 2 right.
        let ref = try naiveConv2d(x, w, b, stride: (1, 1), pads: (0, 1, 1, 2), dilation: (1, 1), groups: 1)
        try assertClose(y, ref.values, shape: ref.shape)
        try assertGradcheck([x, w, b]) { t in try Functional.conv2dSame(t[0], t[1], bias: t[2]) }
        try assertGradcheck([x, w]) { t in try Functional.conv2dSame(t[0], t[1], dilation: (2, 1)) }
        // Same padding through explicit pad + conv gives the same values.
        let padded = try Functional.pad(x, Functional.samePadding(kernel: (2, 4)))
        try assertClose(Functional.conv2d(padded, w, bias: b), ref.values)
    }

    func testConv1d() throws {
        let x = try leaf([2, 4, 9], seed: 1), w = try leaf([6, 2, 3], seed: 2), b = try leaf([6], seed: 3)
        let y = try Functional.conv1d(x, w, bias: b, stride: 2, padding: 1, dilation: 2, groups: 2)
        let ref = try naiveConv2d(x.unsqueeze(2), w.unsqueeze(2), b, stride: (1, 2), pads: (0, 0, 1, 1), dilation: (1, 2), groups: 2)
        try assertClose(y, ref.values, shape: [2, 6, ref.shape[3]])
        try assertGradcheck([x, w, b]) { t in
            try Functional.conv1d(t[0], t[1], bias: t[2], stride: 2, padding: 1, dilation: 2, groups: 2)
        }
        let y1 = try Functional.conv1dSame(x, w, groups: 2)
        XCTAssertEqual(y1.shape, [2, 6, 9])
        try assertGradcheck([x, w, b]) { t in try Functional.conv1dSame(t[0], t[1], bias: t[2], dilation: 2, groups: 2) }
        // Unbatched (C,L).
        let u = try Functional.conv1d(x.select(dim: 0, index: 1), w, groups: 2)
        try assertClose(u, try Functional.conv1d(x, w, groups: 2).select(dim: 0, index: 1).toDoubles(), shape: [6, 7])
    }

    func testUnbatchedAndBatchOne() throws {
        let x = try leaf([1, 3, 5, 4], seed: 12), w = try leaf([2, 3, 3, 3], seed: 13), b = try leaf([2], seed: 14)
        let y = try Functional.conv2d(x.squeeze(0), w, bias: b, padding: (1, 1))
        XCTAssertEqual(y.shape, [2, 5, 4])
        try assertClose(y, try Functional.conv2d(x, w, bias: b, padding: (1, 1)).toDoubles())
        try assertGradcheck([x, w, b]) { t in try Functional.conv2d(t[0].squeeze(0), t[1], bias: t[2], padding: (1, 1)) }
    }

    func testInterruptStopsBetweenItems() throws {
        let x = try Tensor.zeros([16, 4, 32, 32]), w = try Tensor.zeros([8, 4, 3, 3])
        Interrupt.request()
        assertEngineError("conv2d", "interrupted") { _ = try Functional.conv2d(x, w, padding: (1, 1)) }
        XCTAssertFalse(Interrupt.isRequested)
        Interrupt.request()
        assertEngineError("max_pool2d", "interrupted") { _ = try Functional.maxPool2d(x, kernel: (2, 2)) }
        XCTAssertEqual(try Functional.conv2d(x, w, padding: (1, 1)).shape, [16, 8, 32, 32])
    }

    func testEmptyBatch() throws {
        let y = try Functional.conv2d(Tensor.zeros([0, 3, 5, 5]), Tensor.zeros([2, 3, 3, 3]))
        XCTAssertEqual(y.shape, [0, 2, 3, 3])
    }

    func testErrors() {
        let x = { try Tensor.zeros([2, 3, 8, 8]) }
        assertEngineError("conv2d", "expected input (N,C,H,W) with C=4 to match weight (16,4,3,3) with groups=1; got input (2,3,8,8)") {
            _ = try Functional.conv2d(x(), Tensor.zeros([16, 4, 3, 3]))
        }
        assertEngineError("conv2d", "divisible by groups=2") { _ = try Functional.conv2d(x(), Tensor.zeros([5, 3, 3, 3]), groups: 2) }
        assertEngineError("conv2d", "groups must be positive") { _ = try Functional.conv2d(x(), Tensor.zeros([4, 3, 3, 3]), groups: 0) }
        assertEngineError("conv2d", "larger than the padded input") { _ = try Functional.conv2d(x(), Tensor.zeros([4, 3, 9, 3])) }
        assertEngineError("conv2d", "larger than the padded input") {
            _ = try Functional.conv2d(x(), Tensor.zeros([4, 3, 3, 3]), dilation: (4, 1))
        }
        assertEngineError("conv2d", "stride must be positive") { _ = try Functional.conv2d(x(), Tensor.zeros([4, 3, 3, 3]), stride: (0, 1)) }
        assertEngineError("conv2d", "dilation must be positive") { _ = try Functional.conv2d(x(), Tensor.zeros([4, 3, 3, 3]), dilation: (1, -1)) }
        assertEngineError("conv2d", "padding must be non-negative") { _ = try Functional.conv2d(x(), Tensor.zeros([4, 3, 3, 3]), padding: (-1, 0)) }
        assertEngineError("conv2d", "expected bias of shape (4)") {
            _ = try Functional.conv2d(x(), Tensor.zeros([4, 3, 3, 3]), bias: Tensor.zeros([3]))
        }
        assertEngineError("conv2d", "dtype float32 like the input") {
            _ = try Functional.conv2d(x(), Tensor.zeros([4, 3, 3, 3], dtype: .float64))
        }
        assertEngineError("conv2d", "floating point input") {
            _ = try Functional.conv2d(Tensor.zeros([2, 3, 8, 8], dtype: .int64), Tensor.zeros([4, 3, 3, 3]))
        }
        assertEngineError("conv2d", "expected input (N,C,H,W) or (C,H,W); got shape (8,8)") {
            _ = try Functional.conv2d(Tensor.zeros([8, 8]), Tensor.zeros([4, 3, 3, 3]))
        }
        assertEngineError("conv2d", "expected weight (O, C/groups, kh, kw)") { _ = try Functional.conv2d(x(), Tensor.zeros([4, 3, 3])) }
        assertEngineError("conv2d", "non-empty") { _ = try Functional.conv2d(x(), Tensor.zeros([0, 3, 3, 3])) }
        assertEngineError("conv2d", "non-empty") {
            _ = try Functional.conv2d(Tensor.zeros([2, 3, 0, 8]), Tensor.zeros([4, 3, 1, 1]))
        }
        assertEngineError("conv1d", "expected input (N,C,L) with C=2 to match weight (4,2,3)") {
            _ = try Functional.conv1d(Tensor.zeros([2, 3, 8]), Tensor.zeros([4, 2, 3]))
        }
        assertEngineError("conv1d", "larger than the padded input") {
            _ = try Functional.conv1d(Tensor.zeros([2, 2, 2]), Tensor.zeros([4, 2, 3]))
        }
        assertEngineError("conv2d", "sizes must be below") {
            _ = try Functional.conv2d(x(), Tensor.zeros([4, 3, 3, 3]), stride: (Int.max, 1))
        }
    }

    // MARK: transposed convolution

    /// (input, weight, stride, padding, outputPadding, dilation, groups)
    let transposeConfigs: [([Int], [Int], (Int, Int), (Int, Int), (Int, Int), (Int, Int), Int)] = [
        ([2, 3, 4, 5], [3, 2, 3, 3], (1, 1), (0, 0), (0, 0), (1, 1), 1),
        ([1, 2, 3, 4], [2, 3, 3, 2], (2, 2), (1, 0), (1, 1), (1, 1), 1),
        ([2, 4, 3, 3], [4, 2, 2, 3], (2, 1), (0, 1), (0, 0), (2, 2), 2),
        ([1, 2, 4, 3], [2, 1, 3, 3], (3, 2), (1, 1), (2, 0), (1, 2), 2),
        ([2, 3, 3, 3], [3, 2, 1, 1], (1, 1), (0, 0), (0, 0), (1, 1), 1),
    ]

    func testConvTransposeFromLoops() throws {
        for (k, (xs, ws, s, p, op, d, g)) in transposeConfigs.enumerated() {
            let x = try leaf(xs, seed: UInt64(k + 31)), w = try leaf(ws, seed: UInt64(k + 41))
            let b = try leaf([ws[1] * g], seed: UInt64(k + 51))
            let ref = try naiveConvTranspose2d(x, w, b, stride: s, padding: p, outputPadding: op, dilation: d, groups: g)
            let y = try Functional.convTranspose2d(x, w, bias: b, stride: s, padding: p, outputPadding: op, dilation: d, groups: g)
            try assertClose(y, ref.values, shape: ref.shape)
            let yf = try Functional.convTranspose2d(x.to(.float32), w.to(.float32), bias: b.to(.float32), stride: s,
                                                    padding: p, outputPadding: op, dilation: d, groups: g)
            try assertClose(yf, ref.values, rtol: 1e-4, atol: 1e-5)
            try assertGradcheck([x, w, b]) { t in
                try Functional.convTranspose2d(t[0], t[1], bias: t[2], stride: s, padding: p, outputPadding: op, dilation: d, groups: g)
            }
            try assertGradcheck([x, w]) { t in
                try Functional.convTranspose2d(t[0], t[1], stride: s, padding: p, outputPadding: op, dilation: d, groups: g)
            }
        }
    }

    func testConvTransposeIsConvGradient() throws {
        // conv_transpose2d(g, w) equals the input gradient of conv2d(x, w) for gradient g.
        let x = try leaf([2, 3, 7, 7], seed: 61), w = try leaf([4, 3, 3, 3], seed: 62)
        let y = try Functional.conv2d(x, w, stride: (2, 2), padding: (1, 1))
        let g = try leaf(y.shape, seed: 63).detach()
        try y.backward(gradient: g)
        let t = try Functional.convTranspose2d(g, w.detach(), stride: (2, 2), padding: (1, 1))
        try assertClose(t, try XCTUnwrap(x.grad).toDoubles(), shape: x.shape)
    }

    func testConvTransposeErrors() {
        assertEngineError("conv_transpose2d", "output padding must be smaller than either stride or dilation") {
            _ = try Functional.convTranspose2d(Tensor.zeros([1, 2, 3, 3]), Tensor.zeros([2, 2, 3, 3]), outputPadding: (1, 0))
        }
        assertEngineError("conv_transpose2d", "expected input (N,C_in,H,W) with C=2") {
            _ = try Functional.convTranspose2d(Tensor.zeros([1, 3, 3, 3]), Tensor.zeros([2, 2, 3, 3]))
        }
        assertEngineError("conv_transpose2d", "not positive") {
            _ = try Functional.convTranspose2d(Tensor.zeros([1, 2, 1, 1]), Tensor.zeros([2, 2, 1, 1]), padding: (1, 1))
        }
        assertEngineError("conv_transpose2d", "expected bias of shape (4)") {
            _ = try Functional.convTranspose2d(Tensor.zeros([1, 2, 3, 3]), Tensor.zeros([2, 2, 3, 3]), bias: Tensor.zeros([2]), groups: 2)
        }
    }

    // MARK: unfold / fold

    func testUnfoldMatchesLoops() throws {
        let x = try leaf([2, 3, 5, 6], seed: 71)
        let cols = try Functional.unfold(x, kernel: (2, 3), dilation: (2, 1), padding: (1, 1), stride: (1, 2))
        // oh = (5+2-3)/1+1 = 5, ow = (6+2-3)/2+1 = 3
        XCTAssertEqual(cols.shape, [2, 18, 15])
        let xv = try x.toDoubles(), cv = try cols.toDoubles()
        for n in 0..<2 { for c in 0..<3 { for i in 0..<2 { for j in 0..<3 { for oy in 0..<5 { for ox in 0..<3 {
            let iy = oy - 1 + 2 * i, ix = ox * 2 - 1 + j
            let expected = (iy < 0 || iy >= 5 || ix < 0 || ix >= 6) ? 0 : xv[((n * 3 + c) * 5 + iy) * 6 + ix]
            XCTAssertEqual(cv[(n * 18 + (c * 2 + i) * 3 + j) * 15 + oy * 3 + ox], expected)
        } } } } } }
        try assertGradcheck([x]) { t in try Functional.unfold(t[0], kernel: (2, 3), dilation: (2, 1), padding: (1, 1), stride: (1, 2)) }
        // Convolution from scratch: unfold, then a matrix product with the flattened weight.
        let w = try leaf([4, 3, 2, 3], seed: 72)
        let viaUnfold = try w.reshape([4, -1]).matmul(cols).reshape([2, 4, 5, 3])
        try assertClose(viaUnfold, try Functional.conv2d(x, w, stride: (1, 2), padding: (1, 1), dilation: (2, 1)).toDoubles())
    }

    func testFoldIsAdjointOfUnfold() throws {
        let cols = try leaf([2, 12, 9], seed: 81)
        let img = try Functional.fold(cols, outputSize: (4, 4), kernel: (2, 2), padding: (1, 1), stride: (2, 2))
        XCTAssertEqual(img.shape, [2, 3, 4, 4])
        try assertGradcheck([cols]) { t in try Functional.fold(t[0], outputSize: (4, 4), kernel: (2, 2), padding: (1, 1), stride: (2, 2)) }
        try assertGradcheck([cols]) { t in try Functional.fold(t[0], outputSize: (5, 5), kernel: (2, 2), dilation: (2, 2)) }
        // <fold(c), x> == <c, unfold(x)>
        let x = try leaf([2, 3, 4, 4], seed: 82).detach()
        let lhs = try img.mul(x).sum().item()
        let rhs = try cols.mul(Functional.unfold(x, kernel: (2, 2), padding: (1, 1), stride: (2, 2))).sum().item()
        XCTAssertEqual(lhs, rhs, accuracy: 1e-10)
        // Overlaps add up: folding unfolded ones counts windows per pixel.
        let ones = try Tensor.ones([1, 1, 3, 3])
        let counts = try Functional.fold(Functional.unfold(ones, kernel: (2, 2)), outputSize: (3, 3), kernel: (2, 2))
        try assertClose(counts, [1, 2, 1, 2, 4, 2, 1, 2, 1])
    }

    func testFoldUnfoldErrors() {
        assertEngineError("fold", "expected L = 4 blocks") {
            _ = try Functional.fold(Tensor.zeros([1, 4, 5]), outputSize: (3, 3), kernel: (2, 2))
        }
        assertEngineError("fold", "multiple of kh*kw = 4") {
            _ = try Functional.fold(Tensor.zeros([1, 6, 4]), outputSize: (3, 3), kernel: (2, 2))
        }
        assertEngineError("unfold", "expected input (N,C,H,W)") { _ = try Functional.unfold(Tensor.zeros([3, 3]), kernel: (2, 2)) }
        assertEngineError("unfold", "kernel size must be positive") { _ = try Functional.unfold(Tensor.zeros([1, 1, 3, 3]), kernel: (0, 2)) }
    }
}
