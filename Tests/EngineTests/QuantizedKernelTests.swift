import CSupport
import XCTest
@testable import Engine

/// The packed int8 kernels behind deploy's quantized layers (Engine/Deploy/QuantizedKernel.swift,
/// CSupport/int8_packed.c): packed GEMM, requantization, patch packing, pooling and activation
/// quantization, each against plain integer loops, on the AVX2 path and the portable one.
final class QuantizedKernelTests: XCTestCase {
    private var rng = SystemRandomNumberGenerator()

    private func randomInt8(_ count: Int, full: Bool = true) -> [Int8] {
        (0..<count).map { _ in Int8.random(in: full ? Int8.min...Int8.max : -127...127, using: &rng) }
    }

    // MARK: GEMM

    func testPackedGemmMatchesInt32Loops() {
        let sizes = [(1, 1, 1), (1, 16, 2), (1, 37, 33), (3, 17, 9), (4, 16, 10), (5, 31, 7), (9, 48, 144), (13, 5, 1),
                     (64, 70, 301)]
        for (m, n, k) in sizes {
            let a = randomInt8(m * k), b = randomInt8(n * k)
            var ref = [Int32](repeating: 0, count: m * n)
            for i in 0..<m { for j in 0..<n { for p in 0..<k { ref[i * n + j] += Int32(a[i * k + p]) * Int32(b[j * k + p]) } } }
            let k2 = (k + 1) / 2 * 2
            var a16 = [Int16](repeating: 99, count: m * k2)
            var packed = [Int16](repeating: 99, count: lumen_s16_packed_size(n, k))
            a.withUnsafeBufferPointer { lumen_s8_to_s16_rows($0.baseAddress!, k, m, k, &a16, k2) }
            b.withUnsafeBufferPointer { lumen_s16_pack_b_rows($0.baseAddress!, k, n, k, &packed) }
            var c = [Int32](repeating: 7, count: m * n), cs = c
            lumen_s16_gemm_packed(a16, k2, packed, n, k, &c, n, m)
            lumen_s16_gemm_packed_scalar(a16, k2, packed, n, k, &cs, n, m)
            XCTAssertEqual(c, ref, "packed GEMM (\(Int8Gemm.usesAVX2 ? "AVX2" : "scalar")) differs at m=\(m) n=\(n) k=\(k)")
            XCTAssertEqual(cs, ref, "scalar packed GEMM differs at m=\(m) n=\(n) k=\(k)")
        }
    }

    func testPackedGemmExtremesAreExact() {
        // Every product -128 * -128: pair sums of 2^15 must not saturate anywhere.
        let (m, n, k) = (5, 18, 1001)
        let a = [Int8](repeating: -128, count: m * k), b = [Int8](repeating: -128, count: n * k)
        let k2 = (k + 1) / 2 * 2
        var a16 = [Int16](repeating: 0, count: m * k2), packed = [Int16](repeating: 0, count: lumen_s16_packed_size(n, k))
        a.withUnsafeBufferPointer { lumen_s8_to_s16_rows($0.baseAddress!, k, m, k, &a16, k2) }
        b.withUnsafeBufferPointer { lumen_s16_pack_b_rows($0.baseAddress!, k, n, k, &packed) }
        var c = [Int32](repeating: 0, count: m * n)
        lumen_s16_gemm_packed(a16, k2, packed, n, k, &c, n, m)
        XCTAssertEqual(Set(c), [16384 * 1001])
    }

    // MARK: requantization

    func testVectorRequantizationMatchesFixedPointReference() throws {
        let count = 1000
        var acc = (0..<count).map { i in i % 3 == 0 ? Int32.random(in: -20000...20000, using: &rng) : Int32.random(in: .min ... .max, using: &rng) }
        acc[0] = .max; acc[1] = .min; acc[2] = 0
        let bias = (0..<count).map { _ in Int32.random(in: -5000...5000, using: &rng) }
        let reals = (0..<count).map { i in i % 7 == 0 ? 1e-12 : Double.random(in: 1e-6..<0.99, using: &rng) }
        for relu in [false, true] {
            let rq = try Requantizer(realMultipliers: reals, outputZeroPoint: -9, relu: relu)
            let mult = rq.multipliers, right = rq.shifts.map { Int32(-$0) }
            XCTAssertTrue(rq.shifts.allSatisfy { $0 <= 0 })
            var fast = [Int8](repeating: 0, count: count), slow = fast
            lumen_requant_s32_s8(acc, count, &fast, bias, mult, right, 1, rq.outputZeroPoint, rq.low, rq.high)
            lumen_requant_s32_s8_scalar(acc, count, &slow, bias, mult, right, 1, rq.outputZeroPoint, rq.low, rq.high)
            let expected = (0..<count).map { rq.apply(acc[$0] &+ bias[$0], channel: $0) }
            XCTAssertEqual(fast, expected, "vector requantization (relu \(relu))")
            XCTAssertEqual(slow, expected, "scalar requantization (relu \(relu))")
            // One channel for the whole row (a conv output plane).
            let ch = 5
            lumen_requant_s32_s8(acc, count, &fast, [bias[ch]], [mult[ch]], [right[ch]], 0, rq.outputZeroPoint, rq.low, rq.high)
            XCTAssertEqual(fast, (0..<count).map { rq.apply(acc[$0] &+ bias[ch], channel: ch) })
        }
    }

    // MARK: layers

    /// A quantized conv through the layer API vs int64 loops over the padded input.
    private func checkConv(n: Int, c: Int, h: Int, w: Int, o: Int, kh: Int, kw: Int, stride: (Int, Int), padding: (Int, Int),
                           dilation: (Int, Int), groups: Int, real: Double, relu: Bool, file: StaticString = #filePath, line: UInt = #line) throws {
        let g = QuantizedLayers.ConvGeometry(stride: stride, padding: padding, dilation: dilation, groups: groups)
        let cg = c / groups, og = o / groups
        let x = randomInt8(n * c * h * w), wt = randomInt8(o * cg * kh * kw, full: false)
        let bias = (0..<o).map { _ in Int32.random(in: -3000...3000, using: &rng) }
        let scales = (0..<o).map { _ in real * Double.random(in: 0.5..<1.5, using: &rng) }
        let (zx, zy) = (-7, 3)
        let rq = try Requantizer(realMultipliers: scales, outputZeroPoint: zy, relu: relu)
        let out = try QuantizedLayers.conv2d(Tensor(x.map { Double($0) }, shape: [n, c, h, w], dtype: .int8),
                                             weight: Tensor(wt.map { Double($0) }, shape: [o, cg, kh, kw], dtype: .int8),
                                             bias: Tensor(bias.map { Double($0) }, shape: [o], dtype: .int32), g,
                                             .init(inputZeroPoint: zx, requantizer: rq))
        let oh = (h + 2 * padding.0 - dilation.0 * (kh - 1) - 1) / stride.0 + 1
        let ow = (w + 2 * padding.1 - dilation.1 * (kw - 1) - 1) / stride.1 + 1
        XCTAssertEqual(out.shape, [n, o, oh, ow], file: file, line: line)
        let got = try out.toDoubles()
        var wrong = 0
        for b in 0..<n { for oc in 0..<o { for oy in 0..<oh { for ox in 0..<ow {
            var acc = Int64(bias[oc])
            for ci in 0..<cg { for i in 0..<kh { for j in 0..<kw {
                let y = oy * stride.0 + i * dilation.0 - padding.0, xx = ox * stride.1 + j * dilation.1 - padding.1
                guard y >= 0, y < h, xx >= 0, xx < w else { continue }
                let xv = Int64(x[((b * c + (oc / og) * cg + ci) * h + y) * w + xx]) - Int64(zx)
                acc += xv * Int64(wt[((oc * cg + ci) * kh + i) * kw + j])
            } } }
            if got[((b * o + oc) * oh + oy) * ow + ox] != Double(rq.apply(Int32(acc), channel: oc)) { wrong += 1 }
        } } } }
        XCTAssertEqual(wrong, 0, "conv \(c)->\(o) \(kh)x\(kw) stride \(stride) padding \(padding): \(wrong) outputs differ", file: file, line: line)
    }

    func testConvFastPathsMatchIntegerLoops() throws {
        // One input channel, 3x3 (odd reduction of 9), rows of 32 positions: the vector patch packing.
        try checkConv(n: 3, c: 1, h: 32, w: 32, o: 6, kh: 3, kw: 3, stride: (1, 1), padding: (1, 1), dilation: (1, 1), groups: 1, real: 0.002, relu: true)
        // 16 wide output rows, 16 channels, no padding.
        try checkConv(n: 2, c: 16, h: 18, w: 18, o: 8, kh: 3, kw: 3, stride: (1, 1), padding: (0, 0), dilation: (1, 1), groups: 1, real: 0.0005, relu: false)
        // Pointwise, grouped, and dilated convolutions.
        try checkConv(n: 2, c: 8, h: 4, w: 16, o: 12, kh: 1, kw: 1, stride: (1, 1), padding: (0, 0), dilation: (1, 1), groups: 2, real: 0.003, relu: false)
        try checkConv(n: 1, c: 4, h: 20, w: 36, o: 4, kh: 3, kw: 3, stride: (1, 1), padding: (2, 2), dilation: (2, 2), groups: 4, real: 0.004, relu: true)
        // Strided with rows that do not fill a panel (the scalar packing), a 5x2 kernel.
        try checkConv(n: 2, c: 3, h: 11, w: 9, o: 5, kh: 5, kw: 2, stride: (2, 3), padding: (2, 1), dilation: (1, 1), groups: 1, real: 0.001, relu: false)
    }

    func testMultipliersAboveOneTakeTheLeftShiftPath() throws {
        // input_scale * weight_scale / output_scale >= 1: shift > 0, requantized by Requantizer.apply.
        try checkConv(n: 1, c: 2, h: 16, w: 16, o: 3, kh: 3, kw: 3, stride: (1, 1), padding: (1, 1), dilation: (1, 1), groups: 1, real: 1.7, relu: false)
    }

    func testLinearMatchesIntegerLoopsForSmallAndLargeBatches() throws {
        for (m, k, n) in [(1, 33, 37), (7, 16, 16), (2, 0, 3), (300, 70, 100)] {   // k = 0: the bias; the last splits rows over the cores
            let x = randomInt8(m * k), wt = randomInt8(n * k, full: false)
            let bias = (0..<n).map { _ in Int32.random(in: -3000...3000, using: &rng) }
            let rq = try Requantizer(realMultipliers: (0..<n).map { _ in Double.random(in: 0.0005..<0.004, using: &rng) },
                                     outputZeroPoint: 4, relu: m == 7)
            let out = try QuantizedLayers.linear(Tensor(x.map { Double($0) }, shape: [m, k], dtype: .int8),
                                                 weight: Tensor(wt.map { Double($0) }, shape: [n, k], dtype: .int8),
                                                 bias: Tensor(bias.map { Double($0) }, shape: [n], dtype: .int32),
                                                 .init(inputZeroPoint: -3, requantizer: rq))
            let got = try out.toDoubles()
            var wrong = 0
            for i in 0..<m { for o in 0..<n {
                var acc = bias[o]
                for p in 0..<k { acc += (Int32(x[i * k + p]) + 3) * Int32(wt[o * k + p]) }
                if got[i * n + o] != Double(rq.apply(acc, channel: o)) { wrong += 1 }
            } }
            XCTAssertEqual(wrong, 0, "linear m=\(m) k=\(k) n=\(n)")
        }
    }

    func testMaxPoolMatchesLoops() throws {
        for (kernel, stride, h, w) in [((2, 2), (2, 2), 8, 10), ((3, 3), (2, 2), 9, 7), ((2, 3), (1, 2), 5, 8)] {
            let (n, c) = (2, 3)
            let x = randomInt8(n * c * h * w)
            let y = try QuantizedLayers.maxPool2d(Tensor(x.map { Double($0) }, shape: [n, c, h, w], dtype: .int8),
                                                  kernel: kernel, stride: stride, padding: (0, 0))
            let oh = (h - kernel.0) / stride.0 + 1, ow = (w - kernel.1) / stride.1 + 1
            XCTAssertEqual(y.shape, [n, c, oh, ow])
            var expected: [Double] = []
            for plane in 0..<n * c { for oy in 0..<oh { for ox in 0..<ow {
                var m = Int8.min
                for i in 0..<kernel.0 { for j in 0..<kernel.1 { m = max(m, x[plane * h * w + (oy * stride.0 + i) * w + ox * stride.1 + j]) } }
                expected.append(Double(m))
            } } }
            XCTAssertEqual(try y.toDoubles(), expected, "max pool \(kernel) stride \(stride)")
        }
    }

    // MARK: activation quantization

    func testQuantizeRoundsHalfToEvenAndClamps() throws {
        let values: [Double] = [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999, 126.5, 127.5, -128.5, -129, 1e30, -1e30,
                                .infinity, -.infinity, .nan, 3.2, -7.7]
        for dtype in [DType.float32, .float64] {
            let q = try Quantization.quantize(Tensor(values, shape: [values.count], dtype: dtype), scale: 1, zeroPoint: 0)
            XCTAssertEqual(try q.toDoubles(), [0, 2, 2, 0, -2, -2, 0, 126, 127, -128, -128, 127, -128, 127, -128, 0, 3, -8], "\(dtype)")
        }
        // A long tensor (vector body + tail) with a zero point and a scale, against the formula.
        let xs = (0..<1003).map { _ in Double.random(in: -3...3, using: &rng) }
        let q = try Quantization.quantize(Tensor(xs, shape: [xs.count], dtype: .float64), scale: 0.02, zeroPoint: 5)
        let expected = xs.map { x -> Double in min(max(((x * (1 / 0.02)).rounded(.toNearestOrEven)) + 5, -128), 127) }
        XCTAssertEqual(try q.toDoubles(), expected)
    }
}
