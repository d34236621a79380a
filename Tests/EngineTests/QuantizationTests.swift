import XCTest
@testable import Engine

/// Int8 kernels, fixed-point requantization and calibration observers (Engine/Deploy).
final class QuantizationTests: XCTestCase {
    private var rng = SystemRandomNumberGenerator()

    private func randomInt8(_ count: Int, full: Bool = true) -> [Int8] {
        (0..<count).map { _ in Int8.random(in: full ? Int8.min...Int8.max : -127...127, using: &rng) }
    }

    /// Plain int32 loops: c[i, j] = Σ a[i, p] b[j, p].
    private func referenceGemm(_ a: [Int8], _ b: [Int8], m: Int, n: Int, k: Int) -> [Int32] {
        var c = [Int32](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n {
            var s: Int32 = 0
            for p in 0..<k { s += Int32(a[i * k + p]) * Int32(b[j * k + p]) }
            c[i * n + j] = s
        } }
        return c
    }

    func testInt8GemmMatchesInt32LoopsIncludingOddSizes() {
        let sizes = [(1, 1, 1), (1, 4, 17), (2, 4, 16), (3, 5, 7), (5, 9, 15), (7, 3, 31), (17, 13, 33), (64, 31, 100),
                     (2, 2, 0), (33, 65, 257)]
        for (m, n, k) in sizes {
            let a = randomInt8(m * k), b = randomInt8(n * k)
            var c = [Int32](repeating: 7, count: m * n), cs = c
            a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { Int8Gemm.gemm(ap.baseAddress!, bp.baseAddress!, $0.baseAddress!, m: m, n: n, k: k) }
                cs.withUnsafeMutableBufferPointer { Int8Gemm.gemmScalar(ap.baseAddress!, bp.baseAddress!, $0.baseAddress!, m: m, n: n, k: k) }
            } }
            let ref = referenceGemm(a, b, m: m, n: n, k: k)
            XCTAssertEqual(c, ref, "int8 GEMM (\(Int8Gemm.usesAVX2 ? "AVX2" : "scalar")) differs at m=\(m) n=\(n) k=\(k)")
            if k > 0 { XCTAssertEqual(cs, ref, "scalar GEMM differs at m=\(m) n=\(n) k=\(k)") }
        }
    }

    func testInt8GemmExtremesDoNotSaturate() throws {
        // -128 * -128 * 1000 = 16,384,000: exact in int32, would saturate any int16 pair sum.
        let k = 1000
        let a = try Tensor([Double](repeating: -128, count: 2 * k), shape: [2, k], dtype: .int8)
        let b = try Tensor([Double](repeating: -128, count: 3 * k), shape: [3, k], dtype: .int8)
        let c = try Int8Gemm.matmul(a, b)
        XCTAssertEqual(c.dtype, .int32)
        XCTAssertEqual(try c.toDoubles(), [Double](repeating: 16_384_000, count: 6))
        XCTAssertThrowsError(try Int8Gemm.matmul(a, try Tensor.zeros([3, 5], dtype: .int8)))
    }

    // MARK: requantization

    /// floor((a*b + 2^30) / 2^31): round to nearest, ties up — written with an arithmetic shift,
    /// independently of the nudge-and-truncate implementation.
    private func srdhmReference(_ a: Int32, _ b: Int32) -> Int64 {
        (Int64(a) * Int64(b) + (1 << 30)) >> 31
    }

    /// round(x / 2^e), ties away from zero, on magnitudes.
    private func roundAway(_ x: Int64, _ e: Int) -> Int64 {
        if e == 0 { return x }
        let mag = (abs(x) + (Int64(1) << Int64(e - 1))) >> Int64(e)
        return x < 0 ? -mag : mag
    }

    func testQuantizeMultiplierIsAccurate() throws {
        for real in [1e-7, 0.000123, 0.0123, 0.25, 0.5, 0.7071, 0.99999999, 1.0, 3.7, 1000.0] {
            let (m, s) = try FixedPoint.quantizeMultiplier(real)
            XCTAssertGreaterThanOrEqual(m, 1 << 30)
            let back = Double(m) * pow(2.0, Double(s - 31))
            XCTAssertLessThanOrEqual(abs(back - real) / real, pow(2.0, -30.0), "multiplier \(real)")
        }
        XCTAssertEqual(try FixedPoint.quantizeMultiplier(0).multiplier, 0)
        XCTAssertThrowsError(try FixedPoint.quantizeMultiplier(-1))
    }

    func testRequantizationMatchesExactRationalReference() throws {
        var exactMatches = 0, total = 0
        for _ in 0..<200 {
            let real = pow(10, Double.random(in: -5..<0.2, using: &rng))
            let (m, shift) = try FixedPoint.quantizeMultiplier(real)
            for _ in 0..<200 {
                let acc = Int32.random(in: -(1 << 24)...(1 << 24), using: &rng)
                let got = Int64(FixedPoint.multiply(acc, m, shift))
                // Bit-exact against the two-step integer definition (left shift, then round twice).
                let left = max(shift, 0), right = max(-shift, 0)
                let shifted = Int32(clamping: Int64(acc) << Int64(left))
                XCTAssertEqual(got, roundAway(srdhmReference(shifted, m), right), "acc \(acc) M \(real)")
                // Within 1 of the exact rational acc * M0 * 2^(shift - 31), rounded once.
                let exact: Int64
                if 31 - shift >= 0 { exact = roundAway(Int64(acc) * Int64(m), 31 - shift) }
                else { exact = Int64(acc) * Int64(m) << Int64(shift - 31) }
                XCTAssertLessThanOrEqual(abs(got - exact), 1, "acc \(acc) M \(real)")
                // Double rounding (SRDHM then RDBPOT) differs from single rounding with probability
                // about 2^-(right shift); layer multipliers are typically <= 1e-3 (right shift >= 9).
                if real <= 1e-3 {
                    if got == exact { exactMatches += 1 }
                    total += 1
                }
            }
        }
        XCTAssertGreaterThan(total, 1000)
        XCTAssertGreaterThan(Double(exactMatches) / Double(total), 0.99)
    }

    func testRoundingPrimitivesOnTies() {
        // 0.5 and -0.5 in Q31 with multiplier 2^30 (= 0.5): SRDHM rounds ties up.
        XCTAssertEqual(FixedPoint.saturatingRoundingDoublingHighMul(1, 1 << 30), 1)       // 0.5 → 1
        XCTAssertEqual(FixedPoint.saturatingRoundingDoublingHighMul(-1, 1 << 30), 0)      // -0.5 → 0
        XCTAssertEqual(FixedPoint.saturatingRoundingDoublingHighMul(Int32.min, Int32.min), Int32.max)
        // RoundingDivideByPOT: ties away from zero.
        XCTAssertEqual(FixedPoint.roundingDivideByPOT(5, 1), 3)
        XCTAssertEqual(FixedPoint.roundingDivideByPOT(-5, 1), -3)
        XCTAssertEqual(FixedPoint.roundingDivideByPOT(-6, 2), -2)
        XCTAssertEqual(FixedPoint.roundingDivideByPOT(Int32.min, 31), -1)
    }

    // MARK: layers against direct integer loops

    func testQuantizedConvMatchesDirectIntegerLoops() throws {
        let (n, c, h, w, o, kh, kw, groups) = (2, 4, 7, 6, 6, 3, 2, 2)
        let g = QuantizedLayers.ConvGeometry(stride: (2, 1), padding: (1, 1), dilation: (1, 2), groups: groups)
        let x = randomInt8(n * c * h * w), wt = randomInt8(o * (c / groups) * kh * kw, full: false)
        let bias = (0..<o).map { _ in Int32.random(in: -5000...5000, using: &rng) }
        let scales = (0..<o).map { _ in Double.random(in: 0.001..<0.02, using: &rng) }
        let (zx, zy) = (-7, 11)
        let rq = try Requantizer(realMultipliers: Requantizer.realMultipliers(inputScale: 0.05, weightScales: scales, outputScale: 0.3),
                                 outputZeroPoint: zy, relu: true)
        let out = try QuantizedLayers.conv2d(Tensor(x.map { Double($0) }, shape: [n, c, h, w], dtype: .int8),
                                             weight: Tensor(wt.map { Double($0) }, shape: [o, c / groups, kh, kw], dtype: .int8),
                                             bias: Tensor(bias.map { Double($0) }, shape: [o], dtype: .int32), g,
                                             .init(inputZeroPoint: zx, requantizer: rq))
        let oh = (h + 2 - (kh - 1) - 1) / 2 + 1, ow = (w + 2 - 2 * (kw - 1) - 1) + 1
        XCTAssertEqual(out.shape, [n, o, oh, ow])
        let got = try out.toDoubles()
        let cg = c / groups, og = o / groups
        for b in 0..<n { for oc in 0..<o { for oy in 0..<oh { for ox in 0..<ow {
            var acc = Int64(bias[oc])
            for ci in 0..<cg { for i in 0..<kh { for j in 0..<kw {
                let y = oy * 2 + i - 1, xx = ox + 2 * j - 1
                guard y >= 0, y < h, xx >= 0, xx < w else { continue }
                let xv = Int64(x[((b * c + (oc / og) * cg + ci) * h + y) * w + xx]) - Int64(zx)
                acc += xv * Int64(wt[((oc * cg + ci) * kh + i) * kw + j])
            } } }
            let expected = rq.apply(Int32(acc), channel: oc)
            XCTAssertEqual(got[((b * o + oc) * oh + oy) * ow + ox], Double(expected))
            XCTAssertGreaterThanOrEqual(Int(expected), zy)   // fused ReLU clamps at the zero point
        } } } }
    }

    func testQuantizedLinearMatchesIntegerReference() throws {
        let (m, k, n) = (5, 37, 9)
        let x = randomInt8(m * k), wt = randomInt8(n * k, full: false)
        let rq = try Requantizer(realMultipliers: [0.0021], outputZeroPoint: -3, relu: false)
        let out = try QuantizedLayers.linear(Tensor(x.map { Double($0) }, shape: [m, k], dtype: .int8),
                                             weight: Tensor(wt.map { Double($0) }, shape: [n, k], dtype: .int8), bias: nil,
                                             .init(inputZeroPoint: 5, requantizer: rq))
        let got = try out.toDoubles()
        for i in 0..<m { for o in 0..<n {
            var acc: Int32 = 0
            for p in 0..<k { acc += (Int32(x[i * k + p]) - 5) * Int32(wt[o * k + p]) }
            XCTAssertEqual(got[i * n + o], Double(rq.apply(acc, channel: o)))
        } }
    }

    func testMaxPoolIgnoresPadding() throws {
        let x = try Tensor([-100, -90, -80, -70], shape: [1, 1, 2, 2], dtype: .int8)
        let y = try QuantizedLayers.maxPool2d(x, kernel: (2, 2), stride: (2, 2), padding: (1, 1))
        XCTAssertEqual(try y.toDoubles(), [-100, -90, -80, -70])
    }

    // MARK: quantization parameters and observers

    func testAffineParamsRepresentZeroExactly() throws {
        for (lo, hi) in [(-1.0, 3.0), (0.0, 6.0), (-5.0, -1.0), (2.0, 2.5)] {
            let q = try QParams.affine(min: lo, max: hi)
            XCTAssert((-128...127).contains(q.zeroPoint))
            let zero = try Quantization.quantize(Tensor.zeros([1]), scale: q.scale, zeroPoint: q.zeroPoint)
            XCTAssertEqual(try zero.item(), Double(q.zeroPoint))
            // The range ends map inside [-128, 127] within half a step.
            XCTAssertLessThanOrEqual(min(lo, 0) / q.scale + Double(q.zeroPoint), -127.5)
            XCTAssertGreaterThanOrEqual(max(hi, 0) / q.scale + Double(q.zeroPoint), 126.5)
        }
        // An all-zero tensor still gets a usable (tiny) scale and represents 0.
        let z = try QParams.affine(min: 0, max: 0)
        XCTAssertGreaterThan(z.scale, 0)
        XCTAssertEqual(try Quantization.quantize(Tensor.zeros([2]), scale: z.scale, zeroPoint: z.zeroPoint).toDoubles(),
                       [Double(z.zeroPoint), Double(z.zeroPoint)])
    }

    func testQuantizeRoundsHalfToEven() throws {
        let x = try Tensor([0.5, 1.5, 2.5, -0.5, -1.5, 1000, -1000], shape: [7])
        XCTAssertEqual(try Quantization.quantize(x, scale: 1, zeroPoint: 0).toDoubles(), [0, 2, 2, 0, -2, 127, -128])
    }

    func testMinMaxAndMovingAverageObservers() throws {
        let minmax = try QuantObserver(kind: .minMax), moving = try QuantObserver(kind: .movingAverage(0.5))
        for batch in [[-1.0, 2.0], [-3.0, 1.0]] {
            let t = try Tensor(batch, shape: [2])
            try minmax.update(t); try moving.update(t)
        }
        XCTAssertEqual(try minmax.range()[0].min, -3); XCTAssertEqual(try minmax.range()[0].max, 2)
        XCTAssertEqual(try moving.range()[0].min, -2); XCTAssertEqual(try moving.range()[0].max, 1.5)
        let perChannel = try QuantObserver(kind: .minMax, channelDim: 1)
        try perChannel.update(Tensor([1, -2, 3, 4], shape: [2, 2]))
        XCTAssertEqual(try perChannel.range().map { $0.max }, [3, 4])
        XCTAssertEqual(try perChannel.symmetricParams().map(\.scale), [3.0 / 127, 4.0 / 127])
        XCTAssertThrowsError(try QuantObserver(kind: .minMax).range())   // nothing observed
    }

    func testPercentileObserverClipsOutliers() throws {
        var values = (0..<20000).map { _ in Double.random(in: -1...1, using: &rng) }
        values[123] = 1000
        let obs = try QuantObserver(kind: .percentile(99.9)), minmax = try QuantObserver(kind: .minMax)
        for chunk in stride(from: 0, to: values.count, by: 5000) {
            let t = try Tensor(Array(values[chunk..<chunk + 5000]), shape: [5000])
            try obs.update(t); try minmax.update(t)
        }
        XCTAssertEqual(try minmax.range()[0].max, 1000)
        let r = try obs.range()[0]
        XCTAssertLessThan(r.max, 1.6)       // the single outlier is ignored
        XCTAssertGreaterThan(r.max, 0.9)
        XCTAssertLessThan(r.min, -0.9)
    }

    func testInt4PackRoundTrip() throws {
        let w = try Tensor.randn([5, 70])
        let (packed, scales) = try Int4Weights.pack(w, groupSize: 32)
        XCTAssertEqual(packed.shape, [5, 35]); XCTAssertEqual(scales.shape, [5, 3])
        let back = try Int4Weights.unpack(packed, scales: scales, inFeatures: 70, groupSize: 32).toDoubles()
        let orig = try w.toDoubles(), s = try scales.toDoubles()
        for o in 0..<5 { for p in 0..<70 {
            XCTAssertLessThanOrEqual(abs(back[o * 70 + p] - orig[o * 70 + p]), s[o * 3 + p / 32] / 2 + 1e-6)
        } }
    }
}
