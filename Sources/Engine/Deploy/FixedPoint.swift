/// Integer-only requantization as in gemmlowp / TensorFlow Lite: a real multiplier M > 0 (e.g.
/// input_scale * weight_scale / output_scale) becomes a Q31 integer `multiplier` in [2^30, 2^31)
/// and a power-of-two `shift` with M ≈ multiplier / 2^31 * 2^shift. An int32 accumulator is then
/// scaled by SaturatingRoundingDoublingHighMul (round(a*b / 2^31), nearest with ties upward: the
/// nudge-then-truncate of gemmlowp) followed by RoundingDivideByPOT (nearest, ties away from zero). The exported C code (lumen/deploy/export_c.lua)
/// repeats this arithmetic bit for bit.
public enum FixedPoint {
    /// (multiplier, shift) with M ≈ multiplier * 2^(shift - 31), multiplier in [2^30, 2^31).
    /// M = 0 gives (0, 0); tiny multipliers (shift < -31) flush to (0, 0) as TFLite does.
    public static func quantizeMultiplier(_ real: Double) throws -> (multiplier: Int32, shift: Int) {
        guard real.isFinite, real >= 0 else {
            throw EngineError("requantize", "multiplier must be finite and non-negative; got \(real)")
        }
        if real == 0 { return (0, 0) }
        // real = q * 2^shift with q in [0.5, 1).
        var shift = Int(real.exponent) + 1
        var q = (real * pow2(-shift) * 2147483648.0).rounded(.toNearestOrAwayFromZero)
        if q == 2147483648.0 { q /= 2; shift += 1 }
        if shift < -31 { return (0, 0) }
        guard shift <= 30 else { throw EngineError("requantize", "multiplier \(real) is too large (>= 2^30)") }
        return (Int32(q), shift)
    }

    private static func pow2(_ e: Int) -> Double { Double(sign: .plus, exponent: e, significand: 1) }

    /// round(a * b / 2^31) to nearest, ties toward +infinity (= floor(a*b / 2^31 + 1/2)); the one overflow
    /// case (min * min) saturates.
    @inline(__always) public static func saturatingRoundingDoublingHighMul(_ a: Int32, _ b: Int32) -> Int32 {
        if a == Int32.min && b == Int32.min { return Int32.max }
        let ab = Int64(a) * Int64(b)
        let nudge: Int64 = ab >= 0 ? (1 << 30) : (1 - (1 << 30))
        return Int32(truncatingIfNeeded: (ab + nudge) / (1 << 31))   // `/` truncates toward zero, as C
    }

    /// round(x / 2^exponent), ties away from zero; exponent in 0...31.
    @inline(__always) public static func roundingDivideByPOT(_ x: Int32, _ exponent: Int) -> Int32 {
        let mask = (Int64(1) << Int64(exponent)) - 1
        let x64 = Int64(x)
        let remainder = x64 & mask
        let threshold = (mask >> 1) + (x64 < 0 ? 1 : 0)
        return Int32(truncatingIfNeeded: (x64 >> Int64(exponent)) + (remainder > threshold ? 1 : 0))
    }

    /// x * M in fixed point: left shifts (shift > 0) saturate, right shifts round.
    @inline(__always) public static func multiply(_ x: Int32, _ multiplier: Int32, _ shift: Int) -> Int32 {
        let left = shift > 0 ? shift : 0
        let right = shift > 0 ? 0 : -shift
        let shifted = Int64(x) << Int64(left)
        let clamped = Int32(clamping: shifted)
        return roundingDivideByPOT(saturatingRoundingDoublingHighMul(clamped, multiplier), right)
    }
}

/// Per-output-channel requantization of int32 accumulators to int8:
///   out = clamp(outputZeroPoint + FixedPoint.multiply(acc, multiplier[c], shift[c]), low, high)
/// with low = max(-128, outputZeroPoint) when ReLU is fused (clamping at real 0), else -128.
public struct Requantizer: Sendable {
    public let multipliers: [Int32]
    public let shifts: [Int]
    public let outputZeroPoint: Int32
    public let low: Int32
    public let high: Int32

    /// `realMultipliers[c] = input_scale * weight_scale[c] / output_scale` (1 entry = per-tensor).
    public init(realMultipliers: [Double], outputZeroPoint: Int, relu: Bool) throws {
        guard (-128...127).contains(outputZeroPoint) else {
            throw EngineError("requantize", "output zero point must be in [-128, 127]; got \(outputZeroPoint)")
        }
        var m: [Int32] = [], s: [Int] = []
        for r in realMultipliers {
            let q = try FixedPoint.quantizeMultiplier(r)
            m.append(q.multiplier)
            s.append(q.shift)
        }
        multipliers = m
        shifts = s
        self.outputZeroPoint = Int32(outputZeroPoint)
        low = relu ? max(-128, Int32(outputZeroPoint)) : -128
        high = 127
    }

    /// The real multipliers for a layer: (input_scale * weight_scale[c]) / output_scale, in Double,
    /// in this order of operations (the C exporter gets its integers from here too).
    public static func realMultipliers(inputScale: Double, weightScales: [Double], outputScale: Double) throws -> [Double] {
        guard inputScale > 0, outputScale > 0, inputScale.isFinite, outputScale.isFinite else {
            throw EngineError("requantize", "scales must be positive and finite; got input \(inputScale), output \(outputScale)")
        }
        return weightScales.map { (inputScale * $0) / outputScale }
    }

    /// Requantizes `count` accumulators of one output channel (src[i * stride], plus `bias`) into `dst`:
    /// the hot loop of the quantized layers, with the channel's constants hoisted.
    public func applyRow(_ src: UnsafePointer<Int32>, count: Int, stride: Int = 1, bias: Int32, channel c: Int,
                         to dst: UnsafeMutablePointer<Int8>) {
        let mi = multipliers.count == 1 ? 0 : c
        let m = Int64(multipliers[mi]), shift = shifts[mi]
        let left = Int64(shift > 0 ? shift : 0), right = Int64(shift > 0 ? 0 : -shift)
        let mask = (Int64(1) &<< right) - 1, half = mask >> 1
        let zo = outputZeroPoint, lo = low, hi = high
        // FixedPoint.multiply written out branch-free with masking shifts. The multiplier is never
        // Int32.min (it lies in [2^30, 2^31) or is 0), so SRDHM's one saturating case cannot occur.
        for i in 0..<count {
            let x = Int64(Int32(clamping: Int64(src[i * stride] &+ bias) &<< left))
            let ab = x &* m
            let nudge: Int64 = ab >= 0 ? (1 << 30) : (1 - (1 << 30))
            let hm = Int64(Int32(truncatingIfNeeded: (ab &+ nudge) / (1 << 31)))
            let threshold = half &+ ((hm &>> 63) & 1)
            let rounded = (hm &>> right) &+ ((hm & mask) > threshold ? 1 : 0)
            let v = zo &+ Int32(truncatingIfNeeded: rounded)
            dst[i] = Int8(truncatingIfNeeded: Swift.min(Swift.max(v, lo), hi))
        }
    }

    @inline(__always) public func apply(_ acc: Int32, channel c: Int) -> Int8 {
        let mi = multipliers.count == 1 ? 0 : c
        let v = outputZeroPoint &+ FixedPoint.multiply(acc, multipliers[mi], shifts[mi])
        return Int8(truncatingIfNeeded: min(max(v, low), high))
    }
}
