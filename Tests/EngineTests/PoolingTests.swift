import XCTest
@testable import Engine

/// A float64 leaf whose values are all distinct (a shuffled range, spaced 0.01), so max
/// pooling has no ties for gradcheck to trip on.
func distinctLeaf(_ shape: [Int], seed: UInt64) throws -> Tensor {
    let n = shape.reduce(1, *)
    let perm = try Tensor.randperm(n, generator: Generator(seed: seed)).toDoubles()
    let t = try Tensor(perm.map { ($0 - Double(n) / 2) * 0.01 }, shape: shape, dtype: .float64)
    try t.setRequiresGrad()
    return t
}

/// Max pooling from loops: values and flat plane indices (first maximum wins).
func naiveMaxPool(_ x: Tensor, kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int),
                  oh: Int, ow: Int) throws -> ([Double], [Double]) {
    let v = try x.toDoubles()
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    var values: [Double] = [], indices: [Double] = []
    for p in 0..<(n * c) {
        for oy in 0..<oh {
            for ox in 0..<ow {
                var best = -Double.infinity, at = -1
                for i in 0..<kernel.0 {
                    for j in 0..<kernel.1 {
                        let y = oy * stride.0 - padding.0 + i * dilation.0, xx = ox * stride.1 - padding.1 + j * dilation.1
                        if y < 0 || y >= h || xx < 0 || xx >= w { continue }
                        let value = v[p * h * w + y * w + xx]
                        if value > best || at < 0 { best = value; at = y * w + xx }
                    }
                }
                values.append(best)
                indices.append(Double(at))
            }
        }
    }
    return (values, indices)
}

final class PoolingTests: XCTestCase {
    func testMaxPoolBasics() throws {
        let x = try Tensor((0..<16).map(Double.init), shape: [1, 1, 4, 4])
        let (v, i) = try Functional.maxPool2d(x, kernel: (2, 2))
        try assertClose(v, [5, 7, 13, 15], shape: [1, 1, 2, 2])
        XCTAssertEqual(i.dtype, .int64)
        XCTAssertEqual(try i.toInts(), [5, 7, 13, 15])
        let (v2, i2) = try Functional.maxPool2d(x, kernel: (3, 3), stride: (2, 2), padding: (1, 1))
        try assertClose(v2, [5, 7, 13, 15], shape: [1, 1, 2, 2])
        XCTAssertEqual(try i2.toInts(), [5, 7, 13, 15])
        // Padding never wins, even against negative values.
        let (v3, _) = try Functional.maxPool2d(x.neg(), kernel: (2, 2), padding: (1, 1))
        try assertClose(v3, [0, -1, -3, -4, -5, -7, -12, -13, -15], shape: [1, 1, 3, 3])
        // Unbatched input.
        let (u, ui) = try Functional.maxPool2d(x.squeeze(0), kernel: (2, 2))
        XCTAssertEqual(u.shape, [1, 2, 2])
        XCTAssertEqual(ui.shape, [1, 2, 2])
    }

    func testMaxPoolCeilModeAndNaN() throws {
        let x = try Tensor((0..<25).map(Double.init), shape: [1, 1, 5, 5])
        XCTAssertEqual(try Functional.maxPool2d(x, kernel: (2, 2)).values.shape, [1, 1, 2, 2])
        let (v, i) = try Functional.maxPool2d(x, kernel: (2, 2), ceilMode: true)
        try assertClose(v, [6, 8, 9, 16, 18, 19, 21, 23, 24], shape: [1, 1, 3, 3])
        XCTAssertEqual(try i.toInts(), [6, 8, 9, 16, 18, 19, 21, 23, 24])
        // PyTorch's rule: with ceil mode a window starting in the right padding is dropped.
        XCTAssertEqual(try Functional.maxPool2d(Tensor.zeros([1, 1, 5, 5]), kernel: (2, 2), stride: (2, 2), padding: (1, 1),
                                                ceilMode: true).values.shape, [1, 1, 3, 3])
        XCTAssertEqual(Functional.pooledSize(6, kernel: 3, pad: 1, stride: 2, dilation: 1, ceilMode: true), 4)
        XCTAssertEqual(Functional.pooledSize(5, kernel: 2, pad: 0, stride: 2, dilation: 1, ceilMode: true), 3)
        let nan = try Tensor([1, .nan, 3, 2], shape: [1, 1, 2, 2])
        let (nv, ni) = try Functional.maxPool2d(nan, kernel: (2, 2))
        XCTAssertTrue(try nv.item().isNaN)
        XCTAssertEqual(try ni.toInts(), [1])
    }

    /// (input, kernel, stride, padding, dilation, ceilMode)
    let maxConfigs: [([Int], (Int, Int), (Int, Int), (Int, Int), (Int, Int), Bool)] = [
        ([2, 3, 6, 6], (2, 2), (2, 2), (0, 0), (1, 1), false),
        ([1, 2, 7, 5], (3, 2), (2, 1), (1, 1), (1, 1), false),
        ([2, 1, 7, 8], (3, 3), (2, 3), (1, 0), (2, 2), true),
        ([1, 2, 5, 6], (2, 3), (1, 2), (0, 1), (1, 1), true),
        ([1, 1, 9, 9], (3, 3), (1, 1), (1, 1), (3, 1), false),
    ]

    func testMaxPoolMatchesLoopsAndGradcheck() throws {
        for (k, (shape, kernel, stride, padding, dilation, ceil)) in maxConfigs.enumerated() {
            let x = try distinctLeaf(shape, seed: UInt64(k + 1))
            let (v, i) = try Functional.maxPool2d(x, kernel: kernel, stride: stride, padding: padding, dilation: dilation, ceilMode: ceil)
            let ref = try naiveMaxPool(x, kernel: kernel, stride: stride, padding: padding, dilation: dilation,
                                       oh: v.shape[2], ow: v.shape[3])
            try assertClose(v, ref.0)
            try assertClose(i, ref.1)
            let (vf, _) = try Functional.maxPool2d(x.to(.float32), kernel: kernel, stride: stride, padding: padding,
                                                   dilation: dilation, ceilMode: ceil)
            try assertClose(vf, ref.0, rtol: 1e-6)
            try assertGradcheck([x]) { t in
                try Functional.maxPool2d(t[0], kernel: kernel, stride: stride, padding: padding, dilation: dilation, ceilMode: ceil).values
            }
        }
    }

    func testMaxPoolWideRowsFloat32() throws {
        // Rows of 8+ outputs take the SIMD path for float32; float64 the scalar one.
        for (k, (shape, kernel, stride, padding, dilation, ceil)) in [
            ([2, 2, 9, 40], (2, 2), (2, 2), (0, 0), (1, 1), false),
            ([1, 2, 7, 37], (3, 3), (1, 1), (1, 1), (1, 1), false),
            ([1, 1, 8, 45], (3, 2), (2, 3), (1, 1), (2, 2), true),
            ([1, 1, 5, 50], (2, 5), (1, 2), (0, 2), (1, 3), true),
        ].enumerated() {
            let x = try distinctLeaf(shape, seed: UInt64(k + 20)).detach()
            let (v, i) = try Functional.maxPool2d(x.to(.float32), kernel: kernel, stride: stride, padding: padding,
                                                  dilation: dilation, ceilMode: ceil)
            let ref = try naiveMaxPool(x, kernel: kernel, stride: stride, padding: padding, dilation: dilation,
                                       oh: v.shape[2], ow: v.shape[3])
            try assertClose(v, ref.0, rtol: 1e-6)
            try assertClose(i, ref.1)
            let (v64, i64) = try Functional.maxPool2d(x, kernel: kernel, stride: stride, padding: padding, dilation: dilation, ceilMode: ceil)
            try assertClose(v64, ref.0)
            try assertClose(i64, ref.1)
        }
        // -inf everywhere: the index is the window's first in-bounds element. NaN: the last NaN.
        for dtype in [DType.float32, .float64] {
            let inf = try Tensor.full([1, 1, 2, 20], -.infinity, dtype: dtype)
            let (v, i) = try Functional.maxPool2d(inf, kernel: (2, 2), padding: (1, 1))
            XCTAssertEqual(try v.toDoubles(), [Double](repeating: -.infinity, count: 22))
            XCTAssertEqual(try i.toInts(), [0, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 20, 21, 23, 25, 27, 29, 31, 33, 35, 37, 39])
            var values = (0..<40).map(Double.init)
            values[2] = .nan; values[23] = .nan; values[22] = .nan
            let (nv, ni) = try Functional.maxPool2d(Tensor(values, shape: [1, 1, 2, 20], dtype: dtype), kernel: (2, 2))
            let nvs = try nv.toDoubles(), nis = try ni.toInts()
            XCTAssertTrue(nvs[1].isNaN)
            XCTAssertEqual(nis[1], 23)   // window columns 2-3 over both rows: NaNs at 2, 22, 23; last wins
            XCTAssertEqual(nis[0], 21)
            XCTAssertEqual(nvs[0], 21)
        }
    }

    func testMaxPoolOverlappingWindowsAccumulate() throws {
        // Stride 1: the global max wins four windows, so its gradient is 4.
        let x = try Tensor([0, 1, 2, 3, 9, 4, 5, 6, 7], shape: [1, 1, 3, 3]); try x.setRequiresGrad()
        try Functional.maxPool2d(x, kernel: (2, 2), stride: (1, 1)).values.sum().backward()
        try assertClose(try XCTUnwrap(x.grad), [0, 0, 0, 0, 4, 0, 0, 0, 0])
    }

    func testMaxPoolLargeParallel() throws {
        let x = try distinctLeaf([8, 16, 32, 32], seed: 9)
        let (v, i) = try Functional.maxPool2d(x, kernel: (2, 2))
        let ref = try naiveMaxPool(x, kernel: (2, 2), stride: (2, 2), padding: (0, 0), dilation: (1, 1), oh: 16, ow: 16)
        try assertClose(v, ref.0)
        try assertClose(i, ref.1)
        try v.sum().backward()
        XCTAssertEqual(try XCTUnwrap(x.grad).sum().item(), Double(8 * 16 * 16 * 16))
    }

    func testAvgPool() throws {
        let x = try Tensor((0..<16).map(Double.init), shape: [1, 1, 4, 4])
        try assertClose(Functional.avgPool2d(x, kernel: (2, 2)), [2.5, 4.5, 10.5, 12.5], shape: [1, 1, 2, 2])
        // Padding counted (default) or not.
        try assertClose(Functional.avgPool2d(x, kernel: (2, 2), padding: (1, 1)),
                        [0, 0.75, 0.75, 3, 7.5, 4.5, 3, 6.75, 3.75],
                        shape: [1, 1, 3, 3])
        try assertClose(Functional.avgPool2d(x, kernel: (2, 2), padding: (1, 1), countIncludePad: false),
                        [0, 1.5, 3, 6, 7.5, 9, 12, 13.5, 15], shape: [1, 1, 3, 3])
        try assertClose(Functional.avgPool2d(x, kernel: (2, 2), divisorOverride: 2), [5, 9, 21, 25])
        // Ceil mode: the last window is clipped to the input (and to the padded input for the divisor).
        let y = try Tensor((0..<25).map(Double.init), shape: [1, 1, 5, 5])
        let c = try Functional.avgPool2d(y, kernel: (2, 2), ceilMode: true)
        XCTAssertEqual(c.shape, [1, 1, 3, 3])
        try assertClose(c.select(dim: 2, index: 2), [(20.0 + 21) / 2, (22.0 + 23) / 2, 24], shape: [1, 1, 3])
    }

    func testAvgPoolGradcheck() throws {
        let configs: [([Int], (Int, Int), (Int, Int)?, (Int, Int), Bool, Bool)] = [
            ([2, 2, 6, 6], (2, 2), nil, (0, 0), false, true),
            ([1, 3, 7, 5], (3, 2), (2, 1), (1, 1), false, true),
            ([1, 3, 7, 5], (3, 2), (2, 1), (1, 1), false, false),
            ([2, 1, 5, 7], (2, 3), (2, 2), (1, 1), true, true),
            ([2, 1, 5, 7], (2, 3), (2, 2), (1, 0), true, false),
        ]
        for (k, (shape, kernel, stride, padding, ceil, include)) in configs.enumerated() {
            let x = try leaf(shape, seed: UInt64(k + 3))
            try assertGradcheck([x]) { t in
                try Functional.avgPool2d(t[0], kernel: kernel, stride: stride, padding: padding, ceilMode: ceil, countIncludePad: include)
            }
        }
    }

    func testAdaptiveAvgPool() throws {
        let x = try Tensor((0..<5).map(Double.init), shape: [1, 1, 1, 5])
        // Output 3 of 5: windows [0,2), [1,4), [3,5).
        try assertClose(Functional.adaptiveAvgPool2d(x, outputSize: (1, 3)), [0.5, 2, 3.5], shape: [1, 1, 1, 3])
        let y = try leaf([2, 3, 5, 7], seed: 4)
        let global = try Functional.adaptiveAvgPool2d(y, outputSize: (1, 1))
        try assertClose(global, try y.mean(dims: [2, 3], keepdim: true).toDoubles(), shape: [2, 3, 1, 1])
        // Divisible sizes reduce to avg pooling.
        let z = try leaf([1, 2, 8, 6], seed: 5)
        try assertClose(Functional.adaptiveAvgPool2d(z, outputSize: (4, 3)),
                        try Functional.avgPool2d(z, kernel: (2, 2)).toDoubles())
        // Upsampling sizes repeat cells.
        XCTAssertEqual(try Functional.adaptiveAvgPool2d(z, outputSize: (10, 7)).shape, [1, 2, 10, 7])
        for size in [(1, 1), (2, 3), (3, 4), (7, 9)] {
            try assertGradcheck([y]) { t in try Functional.adaptiveAvgPool2d(t[0], outputSize: size) }
        }
        try assertGradcheck([y]) { t in try Functional.adaptiveAvgPool2d(t[0].select(dim: 0, index: 1), outputSize: (2, 2)) }
    }

    func testPoolingErrors() {
        let x = { try Tensor.zeros([1, 2, 4, 4]) }
        assertEngineError("max_pool2d", "padding should be at most half of the kernel size") {
            _ = try Functional.maxPool2d(x(), kernel: (2, 2), padding: (2, 0))
        }
        assertEngineError("max_pool2d", "kernel size must be positive") { _ = try Functional.maxPool2d(x(), kernel: (0, 2)) }
        assertEngineError("max_pool2d", "stride must be positive") { _ = try Functional.maxPool2d(x(), kernel: (2, 2), stride: (0, 1)) }
        assertEngineError("max_pool2d", "too small") { _ = try Functional.maxPool2d(x(), kernel: (5, 5)) }
        assertEngineError("max_pool2d", "floating point input") {
            _ = try Functional.maxPool2d(Tensor.zeros([1, 2, 4, 4], dtype: .int64), kernel: (2, 2))
        }
        assertEngineError("max_pool2d", "expected input (N,C,H,W) or (C,H,W)") { _ = try Functional.maxPool2d(Tensor.zeros([4, 4]), kernel: (2, 2)) }
        assertEngineError("avg_pool2d", "divisor must be non-zero") { _ = try Functional.avgPool2d(x(), kernel: (2, 2), divisorOverride: 0) }
        assertEngineError("avg_pool2d", "padding should be at most half") { _ = try Functional.avgPool2d(x(), kernel: (1, 1), padding: (1, 1)) }
        assertEngineError("adaptive_avg_pool2d", "output size must be positive") {
            _ = try Functional.adaptiveAvgPool2d(x(), outputSize: (0, 2))
        }
        assertEngineError("adaptive_avg_pool2d", "non-empty") {
            _ = try Functional.adaptiveAvgPool2d(Tensor.zeros([1, 2, 0, 4]), outputSize: (2, 2))
        }
        assertEngineError("max_pool2d", "non-empty") { _ = try Functional.maxPool2d(Tensor.zeros([0, 2, 4, 1 << 30]), kernel: (2, 2)) }
        assertEngineError("avg_pool2d", "non-empty") { _ = try Functional.avgPool2d(Tensor.zeros([2, 0, 4, 4]), kernel: (2, 2)) }
        assertEngineError("upsample_nearest2d", "non-empty") { _ = try Functional.upsampleNearest2d(Tensor.zeros([0, 1, 2, 2]), size: (1 << 40, 2)) }
    }
}
