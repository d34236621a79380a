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

    /// x (*, in) int8, w (out, in) int8, bias (out) int32 → (*, out) int8.
    public static func linear(_ x: Tensor, weight w: Tensor, bias: Tensor?, _ params: Params) throws -> Tensor {
        let op = "qlinear"
        guard x.dtype == .int8 else { throw EngineError(op, "input must be an int8 tensor; got \(x.dtype)") }
        guard w.rank == 2, x.rank >= 1, x.shape[x.rank - 1] == w.shape[1] else {
            throw EngineError(op, "input \(shapeString(x.shape)) does not match weight \(shapeString(w.shape)) (expected last dim \(w.rank == 2 ? w.shape[1] : -1))")
        }
        try checkWeights(op, w, bias, params)
        let k = w.shape[1], n = w.shape[0], m = k == 0 ? 0 : x.numel / k
        let xc = try x.contiguous(), wc = try w.contiguous()
        let outShape = Array(x.shape.dropLast()) + [n]
        let out = try Tensor(shape: outShape, dtype: .int8, zeroed: false, op: op)
        if m == 0 || n == 0 { return out }
        let bEff = try effectiveBias(wc.pointer(Int8.self), bias, n: n, k: k, zx: params.inputZeroPoint)
        // accT (n, m) = W · Xᵀ: each output channel's accumulators are contiguous for the requantizer.
        var accT = [Int32](repeating: 0, count: m * n)
        var row = [Int8](repeating: 0, count: m)
        let rq = params.requantizer, d = out.pointer(Int8.self)
        accT.withUnsafeMutableBufferPointer { c in
            let wp = wc.pointer(Int8.self), xp = xc.pointer(Int8.self), cp = c.baseAddress!
            if m * n * k >= 1 << 20 {   // large batches: output channels split over the cores
                Parallel.forRanges(count: n) { r in
                    Int8Gemm.gemm(wp + r.lowerBound * k, xp, cp + r.lowerBound * m, m: r.count, n: m, k: k)
                }
            } else {
                Int8Gemm.gemm(wp, xp, cp, m: n, n: m, k: k)
            }
            row.withUnsafeMutableBufferPointer { r in
                for o in 0..<n {
                    rq.applyRow(c.baseAddress! + o * m, count: m, bias: bEff[o], channel: o, to: r.baseAddress!)
                    for i in 0..<m { d[i * n + o] = r[i] }
                }
            }
        }
        withExtendedLifetime((xc, wc)) {}
        return out
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

    /// x (N, C, H, W) or (C, H, W) int8, w (O, C/groups, kh, kw) int8, bias (O) int32 → (N, O, OH, OW) int8.
    /// im2col per (sample, group) with padding filled by the input zero point (real 0), then the
    /// int8 GEMM of patches (OH*OW, C/g*kh*kw) with the group's weights (O/g, C/g*kh*kw).
    public static func conv2d(_ input: Tensor, weight w: Tensor, bias: Tensor?, _ g: ConvGeometry, _ params: Params) throws -> Tensor {
        let op = "qconv2d"
        guard input.dtype == .int8 else { throw EngineError(op, "input must be an int8 tensor; got \(input.dtype)") }
        guard input.rank == 4 || input.rank == 3 else { throw EngineError(op, "expected (N, C, H, W) or (C, H, W) input; got \(shapeString(input.shape))") }
        let x = input.rank == 3 ? try input.reshape([1] + input.shape) : input
        guard w.rank == 4 else { throw EngineError(op, "weight must be (out, in/groups, kh, kw); got \(shapeString(w.shape))") }
        try checkWeights(op, w, bias, params)
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (o, cg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        guard g.groups >= 1, c == cg * g.groups, o % g.groups == 0 else {
            throw EngineError(op, "input \(shapeString(x.shape)) has \(c) channels; weight \(shapeString(w.shape)) with groups \(g.groups) expects \(cg * g.groups)")
        }
        guard g.stride.0 >= 1, g.stride.1 >= 1, g.dilation.0 >= 1, g.dilation.1 >= 1, g.padding.0 >= 0, g.padding.1 >= 0 else {
            throw EngineError(op, "stride and dilation must be >= 1 and padding >= 0")
        }
        let oh = (h + 2 * g.padding.0 - g.dilation.0 * (kh - 1) - 1) / g.stride.0 + 1
        let ow = (wd + 2 * g.padding.1 - g.dilation.1 * (kw - 1) - 1) / g.stride.1 + 1
        guard oh >= 1, ow >= 1 else {
            throw EngineError(op, "input \(h)x\(wd) (padding \(g.padding.0),\(g.padding.1)) is smaller than the kernel \(kh)x\(kw)")
        }
        let xc = try x.contiguous(), wc = try w.contiguous()
        let og = o / g.groups, kc = cg * kh * kw, p = oh * ow
        let out = try Tensor(shape: [n, o, oh, ow], dtype: .int8, zeroed: false, op: op)
        let wp = wc.pointer(Int8.self), xp = xc.pointer(Int8.self), d = out.pointer(Int8.self)
        let bEff = try effectiveBias(wp, bias, n: o, k: kc, zx: params.inputZeroPoint)
        let zx = Int8(params.inputZeroPoint)
        let rq = params.requantizer
        let pointwise = kh == 1 && kw == 1 && g.stride == (1, 1) && g.padding == (0, 0)
        // One sample at a time (samples split over the cores): patches (P, kc) by im2col, then
        // acc (P, O/g) = patches · W_gᵀ (the group's weights stay in L1 while the patches stream),
        // requantized channel by channel into the contiguous output planes.
        Parallel.forRanges(count: n) { range in
            let cols = UnsafeMutablePointer<Int8>.allocate(capacity: max(p * kc, 1))
            let acc = UnsafeMutablePointer<Int32>.allocate(capacity: max(p * og, 1))
            defer { cols.deallocate(); acc.deallocate() }
            for b in range {
                for gi in 0..<g.groups {
                    let plane = xp + (b * c + gi * cg) * h * wd
                    if pointwise {
                        for ci in 0..<cg { for q in 0..<p { cols[q * cg + ci] = plane[ci * p + q] } }
                    } else {
                        im2col(plane, cols, cg: cg, h: h, w: wd, kh: kh, kw: kw, oh: oh, ow: ow, g, pad: zx)
                    }
                    Int8Gemm.gemm(cols, wp + gi * og * kc, acc, m: p, n: og, k: kc)
                    for oi in 0..<og {
                        let ch = gi * og + oi
                        rq.applyRow(acc + oi, count: p, stride: og, bias: bEff[ch], channel: ch, to: d + (b * o + ch) * p)
                    }
                }
            }
        }
        withExtendedLifetime((xc, wc)) {}
        return input.rank == 3 ? try out.reshape([o, oh, ow]) : out
    }

    /// Patch rows: cols[(oy*ow + ox) * kc + (ci*kh + i)*kw + j] = x[ci, oy*s + i*d - p, ox*s + j*d - p] (pad outside).
    static func im2col(_ x: UnsafePointer<Int8>, _ cols: UnsafeMutablePointer<Int8>, cg: Int, h: Int, w: Int, kh: Int, kw: Int,
                       oh: Int, ow: Int, _ g: ConvGeometry, pad: Int8) {
        let kc = cg * kh * kw
        for oy in 0..<oh {
            for ox in 0..<ow {
                var dst = cols + (oy * ow + ox) * kc
                for ci in 0..<cg {
                    let src = x + ci * h * w
                    for i in 0..<kh {
                        let y = oy * g.stride.0 + i * g.dilation.0 - g.padding.0
                        if y < 0 || y >= h {
                            dst.update(repeating: pad, count: kw)
                            dst += kw
                            continue
                        }
                        let x0 = ox * g.stride.1 - g.padding.1
                        if g.dilation.1 == 1 && x0 >= 0 && x0 + kw <= w {
                            let row = src + y * w + x0
                            for j in 0..<kw { dst[j] = row[j] }
                            dst += kw
                            continue
                        }
                        for j in 0..<kw {
                            let xx = x0 + j * g.dilation.1
                            dst.pointee = (xx < 0 || xx >= w) ? pad : src[y * w + xx]
                            dst += 1
                        }
                    }
                }
            }
        }
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
