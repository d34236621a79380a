import CSupport

/// Scales and zero points of int8 quantization: real = scale * (q - zeroPoint), q in [-128, 127].
///  - activations: affine (asymmetric) per tensor; the range always contains 0 so that real 0 (ReLU
///    outputs, zero padding) is exactly representable, and zeroPoint lies in [-128, 127];
///  - weights: symmetric (zeroPoint 0, q in [-127, 127]) per tensor or per output channel.
/// Rounding of real → int8 is round-half-to-even everywhere (as PyTorch's quantize_per_tensor).
public struct QParams: Equatable, Sendable {
    public var scale: Double
    public var zeroPoint: Int

    public init(scale: Double, zeroPoint: Int) {
        self.scale = scale
        self.zeroPoint = zeroPoint
    }

    /// Smallest usable scale (an all-zero tensor gets this instead of 0).
    public static let minimumScale = 1e-8

    /// Affine int8 parameters covering [min(lo, 0), max(hi, 0)].
    public static func affine(min lo: Double, max hi: Double) throws -> QParams {
        guard lo.isFinite, hi.isFinite, lo <= hi else {
            throw EngineError("quantize", "invalid calibration range [\(lo), \(hi)]")
        }
        let a = Swift.min(lo, 0), b = Swift.max(hi, 0)
        let scale = Swift.max((b - a) / 255, minimumScale)
        let zp = Int((-128 - a / scale).rounded(.toNearestOrEven))
        return QParams(scale: scale, zeroPoint: Swift.min(Swift.max(zp, -128), 127))
    }

    /// Symmetric int8 parameters for values in [-absMax, absMax] (zero point 0, q in [-127, 127]).
    public static func symmetric(absMax: Double) throws -> QParams {
        guard absMax.isFinite, absMax >= 0 else { throw EngineError("quantize", "invalid absolute maximum \(absMax)") }
        return QParams(scale: Swift.max(absMax / 127, minimumScale), zeroPoint: 0)
    }
}

/// Float ↔ int8 conversions.
public enum Quantization {
    /// q = clamp(round_half_even(x / scale) + zeroPoint, qmin, qmax) as an int8 tensor of x's shape.
    public static func quantize(_ x: Tensor, scale: Double, zeroPoint: Int, qmin: Int = -128, qmax: Int = 127) throws -> Tensor {
        let op = "quantize"
        guard x.dtype.isFloatingPoint else { throw EngineError(op, "expected a float tensor; got \(x.dtype)") }
        guard scale > 0, scale.isFinite else { throw EngineError(op, "scale must be positive and finite; got \(scale)") }
        guard (-128...127).contains(zeroPoint) else { throw EngineError(op, "zero point must be in [-128, 127]; got \(zeroPoint)") }
        let src = try x.contiguous()
        let out = try Tensor(shape: x.shape, dtype: .int8, zeroed: false, op: op)
        let d = out.pointer(Int8.self)
        let inv = 1 / scale, lo = Double(qmin), hi = Double(qmax), z = Double(zeroPoint)
        // Round half to even in Double (Sources/CSupport/int8_packed.c; AVX2 when available);
        // large tensors in one chunk per core.
        let count = x.numel, chunks = count >= 1 << 16 ? Parallel.workers : 1
        Parallel.forRanges(count: chunks) { r in
            let lo0 = count * r.lowerBound / chunks, n = count * r.upperBound / chunks - lo0
            if src.dtype == .float32 {
                lumen_quantize_f32_s8(src.pointer(Float.self) + lo0, n, inv, z, lo, hi, d + lo0)
            } else {
                lumen_quantize_f64_s8(src.pointer(Double.self) + lo0, n, inv, z, lo, hi, d + lo0)
            }
        }
        withExtendedLifetime(src) {}
        return out
    }

    /// Per-channel symmetric quantization along dim 0 (output channels): one scale per row.
    /// `scales` has one entry per channel (or one entry for per-tensor).
    public static func quantizeWeight(_ w: Tensor, scales: [Double]) throws -> Tensor {
        let op = "quantize_weight"
        guard w.dtype.isFloatingPoint, w.rank >= 1 else { throw EngineError(op, "expected a float weight; got \(w.dtype) \(shapeString(w.shape))") }
        let channels = w.shape[0], per = channels == 0 ? 0 : w.numel / channels
        guard scales.count == 1 || scales.count == channels else {
            throw EngineError(op, "expected 1 or \(channels) scales; got \(scales.count)")
        }
        let src = try w.contiguous().to(.float64)
        let out = try Tensor(shape: w.shape, dtype: .int8, zeroed: false, op: op)
        let s = src.pointer(Double.self), d = out.pointer(Int8.self)
        for c in 0..<channels {
            let scale = scales.count == 1 ? scales[0] : scales[c]
            for i in c * per..<(c + 1) * per {
                d[i] = Int8(Swift.min(Swift.max((s[i] / scale).rounded(.toNearestOrEven), -127), 127))
            }
        }
        return out
    }

    /// Symmetric weight scales: max|w| / 127 per output channel (dim 0), or one for the tensor.
    public static func weightScales(_ w: Tensor, perChannel: Bool) throws -> [Double] {
        let src = try w.contiguous().to(.float64)
        let s = src.pointer(Double.self)
        let channels = perChannel ? Swift.max(w.shape.first ?? 1, 1) : 1
        let per = w.numel / channels
        return try (0..<channels).map { c in
            var m = 0.0
            for i in c * per..<(c + 1) * per { m = Swift.max(m, Swift.abs(s[i])) }
            return try QParams.symmetric(absMax: m).scale
        }
    }

    /// real = scale * (q - zeroPoint) as float32.
    public static func dequantize(_ q: Tensor, scale: Double, zeroPoint: Int) throws -> Tensor {
        guard q.dtype == .int8 else { throw EngineError("dequantize", "expected an int8 tensor; got \(q.dtype)") }
        let src = try q.contiguous()
        let out = try Tensor(shape: q.shape, dtype: .float32, zeroed: false, op: "dequantize")
        let s = src.pointer(Int8.self), d = out.pointer(Float.self)
        for i in 0..<q.numel { d[i] = Float(scale * Double(Int32(s[i]) - Int32(zeroPoint))) }
        return out
    }
}
