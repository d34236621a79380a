import CSupport

/// Integer-only forward passes of quantized layers (int8 activations in and out, int8 weights,
/// int32 bias and accumulators, fixed-point requantization; no float anywhere in the inner loops).
///   acc[o] = bias_q[o] + Σ (x - zx) · w_q[o]        (zero point folded out via row sums)
///   y[o]   = clamp(zy + FixedPoint.multiply(acc[o], M0[o], shift[o]), relu ? max(zy, -128) : -128, 127)
public enum QuantizedLayers {
    /// Parameters shared by QLinear and QConv2d.
    public struct Params: Sendable {
        public var inputZeroPoint: Int
        public var requantizer: Requantizer

        public init(inputZeroPoint: Int, requantizer: Requantizer) {
            self.inputZeroPoint = inputZeroPoint
            self.requantizer = requantizer
        }
    }

    static func checkWeights(_ op: String, _ w: Tensor, _ bias: Tensor?, _ params: Params) throws {
        guard w.dtype == .int8 else { throw EngineError(op, "weight must be int8; got \(w.dtype)") }
        let out = w.shape[0]
        if let b = bias {
            guard b.dtype == .int32, b.rank == 1, b.shape[0] == out else {
                throw EngineError(op, "bias must be an int32 tensor of shape (\(out)); got \(b.dtype) \(shapeString(b.shape))")
            }
        }
        let m = params.requantizer.multipliers.count
        guard m == 1 || m == out else { throw EngineError(op, "expected 1 or \(out) weight scales; got \(m)") }
        guard (-128...127).contains(params.inputZeroPoint) else {
            throw EngineError(op, "input zero point must be in [-128, 127]; got \(params.inputZeroPoint)")
        }
    }

    /// Bias minus the folded input zero point: bias[o] - zx * Σ w[o, :].
    static func effectiveBias(_ w: UnsafePointer<Int8>, _ bias: Tensor?, n: Int, k: Int, zx: Int) throws -> [Int32] {
        let sums = Int8Gemm.rowSums(w, n: n, k: k)
        var out = sums.map { 0 &- Int32(zx) &* $0 }
        if let b = bias {
            let bc = try b.contiguous()
            let p = bc.pointer(Int32.self)
            for o in 0..<n { out[o] = out[o] &+ p[o] }
        }
        return out
    }

    /// x (*, in) int8, w (out, in) int8, bias (out) int32 → (*, out) int8 (builds a
    /// `QuantizedKernel` and runs it once; layers keep their kernel instead).
    public static func linear(_ x: Tensor, weight w: Tensor, bias: Tensor?, _ params: Params) throws -> Tensor {
        try QuantizedKernel(weight: w, bias: bias, params: params, shape: .linear).linear(x)
    }

    public struct ConvGeometry: Sendable {
        public var stride: (Int, Int)
        public var padding: (Int, Int)
        public var dilation: (Int, Int)
        public var groups: Int

        public init(stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int), groups: Int) {
            self.stride = stride; self.padding = padding; self.dilation = dilation; self.groups = groups
        }
    }

    /// The kernel shape of a convolution with weight (O, C/groups, kh, kw), geometry checked.
    public static func convShape(weight w: Tensor, _ g: ConvGeometry) throws -> QuantizedKernel.Shape {
        let op = "qconv2d"
        guard w.rank == 4 else { throw EngineError(op, "weight must be (out, in/groups, kh, kw); got \(shapeString(w.shape))") }
        guard g.groups >= 1, w.shape[0] % g.groups == 0 else {
            throw EngineError(op, "weight \(shapeString(w.shape)): \(w.shape[0]) output channels cannot be split into \(g.groups) groups")
        }
        guard g.stride.0 >= 1, g.stride.1 >= 1, g.dilation.0 >= 1, g.dilation.1 >= 1, g.padding.0 >= 0, g.padding.1 >= 0 else {
            throw EngineError(op, "stride and dilation must be >= 1 and padding >= 0")
        }
        return .conv(kh: w.shape[2], kw: w.shape[3], stride: [g.stride.0, g.stride.1], padding: [g.padding.0, g.padding.1],
                     dilation: [g.dilation.0, g.dilation.1], groups: g.groups)
    }

    /// x (N, C, H, W) or (C, H, W) int8, w (O, C/groups, kh, kw) int8, bias (O) int32 → (N, O, OH, OW) int8.
    /// Padding is filled with the input zero point (real 0); see `QuantizedKernel.conv2d`.
    public static func conv2d(_ input: Tensor, weight w: Tensor, bias: Tensor?, _ g: ConvGeometry, _ params: Params) throws -> Tensor {
        try QuantizedKernel(weight: w, bias: bias, params: params, shape: convShape(weight: w, g)).conv2d(input)
    }

    /// Max pooling of int8 (N, C, H, W) or (C, H, W); padded positions never win. Same scale and zero
    /// point in and out (max commutes with the monotone dequantization).
    public static func maxPool2d(_ input: Tensor, kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int)) throws -> Tensor {
        let op = "qmax_pool2d"
        guard input.dtype == .int8 else { throw EngineError(op, "input must be an int8 tensor; got \(input.dtype)") }
        guard input.rank == 4 || input.rank == 3 else { throw EngineError(op, "expected (N, C, H, W) or (C, H, W) input; got \(shapeString(input.shape))") }
        guard kernel.0 >= 1, kernel.1 >= 1, stride.0 >= 1, stride.1 >= 1, padding.0 >= 0, padding.1 >= 0,
              padding.0 * 2 <= kernel.0, padding.1 * 2 <= kernel.1 else {
            throw EngineError(op, "invalid kernel \(kernel), stride \(stride) or padding \(padding) (padding at most half the kernel)")
        }
        let x = try (input.rank == 3 ? input.reshape([1] + input.shape) : input).contiguous()
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let oh = (h + 2 * padding.0 - kernel.0) / stride.0 + 1, ow = (w + 2 * padding.1 - kernel.1) / stride.1 + 1
        guard oh >= 1, ow >= 1 else { throw EngineError(op, "input \(h)x\(w) is smaller than the kernel \(kernel.0)x\(kernel.1)") }
        let out = try Tensor(shape: [n, c, oh, ow], dtype: .int8, zeroed: false, op: op)
        let s = x.pointer(Int8.self), d = out.pointer(Int8.self)
        if padding == (0, 0) {   // the C loop (2x2/2 unrolled), planes split over the cores when large
            let planes = n * c
            Parallel.forRanges(count: planes * h * w >= 1 << 16 ? planes : 1) { r in
                let range = planes * h * w >= 1 << 16 ? r : 0..<planes
                lumen_s8_max_pool(s + range.lowerBound * h * w, range.count, h, w, kernel.0, kernel.1, stride.0, stride.1,
                                  oh, ow, d + range.lowerBound * oh * ow)
            }
            withExtendedLifetime(x) {}
            return input.rank == 3 ? try out.reshape([c, oh, ow]) : out
        }
        for plane in 0..<n * c {
            let src = s + plane * h * w, dst = d + plane * oh * ow
            for oy in 0..<oh {
                let y0 = Swift.max(oy * stride.0 - padding.0, 0), y1 = Swift.min(oy * stride.0 - padding.0 + kernel.0, h)
                for ox in 0..<ow {
                    let x0 = Swift.max(ox * stride.1 - padding.1, 0), x1 = Swift.min(ox * stride.1 - padding.1 + kernel.1, w)
                    var m = Int8.min
                    for y in y0..<y1 { for xx in x0..<x1 { m = Swift.max(m, src[y * w + xx]) } }
                    dst[oy * ow + ox] = m
                }
            }
        }
        withExtendedLifetime(x) {}
        return input.rank == 3 ? try out.reshape([c, oh, ow]) : out
    }
}
