import CSupport

/// A tensor's identity and contents version: equal values mean the same storage, view and no
/// in-place write since (writes bump `Storage.version`). Prepared kernels keep their sources
/// alive, so a storage identity cannot be reused while they compare against it.
public struct TensorVersion: Equatable {
    let storage: ObjectIdentifier
    let version: Int
    let offset: Int
    let shape: [Int]
    let strides: [Int]

    public init(_ t: Tensor) {
        storage = ObjectIdentifier(t.storage); version = t.storage.version
        offset = t.offset; shape = t.shape; strides = t.strides
    }
}

/// A quantized Linear or Conv2d made ready to run: the int8 weights sign-extended to int16 in the
/// layout of the packed int16 GEMM (Sources/CSupport/int8_packed.c), the bias with the input zero
/// point folded in, and the per-channel multipliers and shifts — everything that depends only on
/// the layer, computed once instead of on every call. Built by `QuantizedLayers` and cached by the
/// Lua layer (`deploy_internal.qlinear/qconv2d`); `Key` tells whether a cached kernel still
/// describes the layer's tensors and scalars (in-place writes bump a storage's version).
public final class QuantizedKernel: @unchecked Sendable {
    public enum Shape: Sendable, Equatable {
        /// y (*, out) = x (*, in) · wᵀ.
        case linear
        /// y (N, O, OH, OW) = conv(x (N, C, H, W), w (O, C/groups, kh, kw)).
        case conv(kh: Int, kw: Int, stride: [Int], padding: [Int], dilation: [Int], groups: Int)
    }

    /// What a kernel was built from; equal keys mean the same weights, bias, scales and settings.
    public struct Key: Equatable {
        let weight: TensorVersion
        let bias: TensorVersion?
        let weightScales: TensorVersion
        let scalars: [Double]
        let shape: Shape

        public init(weight: Tensor, bias: Tensor?, weightScales: Tensor, inputScale: Double, inputZeroPoint: Int,
                    outputScale: Double, outputZeroPoint: Int, relu: Bool, shape: Shape) {
            self.weight = TensorVersion(weight)
            self.bias = bias.map(TensorVersion.init)
            self.weightScales = TensorVersion(weightScales)
            scalars = [inputScale, Double(inputZeroPoint), outputScale, Double(outputZeroPoint), relu ? 1 : 0]
            self.shape = shape
        }
    }

    public let shape: Shape
    /// Output channels and the reduction length (in, or C/groups * kh * kw).
    public let outChannels: Int
    public let reduction: Int
    let requantizer: Requantizer
    let inputZeroPoint: Int8
    /// Linear: the (out, in) weights panel packed as the GEMM's B operand. Conv: (O, k2) int16 rows
    /// (the A operand), k2 = reduction rounded up to even.
    let weights: UnsafeMutablePointer<Int16>
    let rowStride: Int
    /// Per output channel: bias - zx * Σ w, multiplier, right shift.
    let bias: [Int32]
    let multipliers: [Int32]
    let rightShifts: [Int32]
    /// Some real multiplier is >= 1 (a left shift): the C requantizer does right shifts only, so
    /// those layers requantize through `Requantizer.apply`.
    let needsLeftShift: Bool
    /// The tensors and settings this kernel was built from (kept alive so identities stay unique).
    public let key: Key?
    private let sources: [Tensor]

    /// `weight` (out, in) or (O, C/groups, kh, kw) int8, `bias` (out) int32 or nil.
    public init(weight w: Tensor, bias: Tensor?, params: QuantizedLayers.Params, shape: Shape,
                key: Key? = nil, sources: [Tensor] = []) throws {
        let op = shape == .linear ? "qlinear" : "qconv2d"
        if shape == .linear, w.rank != 2 { throw EngineError(op, "weight must be (out, in); got \(shapeString(w.shape))") }
        try QuantizedLayers.checkWeights(op, w, bias, params)
        self.shape = shape
        self.key = key
        self.sources = sources
        outChannels = w.shape[0]
        reduction = outChannels == 0 ? 0 : w.numel / outChannels
        requantizer = params.requantizer
        inputZeroPoint = Int8(params.inputZeroPoint)
        let wc = try w.contiguous()
        let wp = wc.pointer(Int8.self)
        let n = outChannels, k = reduction
        rowStride = (k + 1) / 2 * 2
        switch shape {
        case .linear:
            let size = lumen_s16_packed_size(n, k)
            weights = .allocate(capacity: max(size, 1))
            lumen_s16_pack_b_rows(wp, k, n, k, weights)
        case .conv:
            weights = .allocate(capacity: max(n * rowStride, 1))
            lumen_s8_to_s16_rows(wp, k, n, k, weights, rowStride)
        }
        self.bias = try QuantizedLayers.effectiveBias(wp, bias, n: n, k: k, zx: params.inputZeroPoint)
        withExtendedLifetime(wc) {}
        let rq = params.requantizer, perChannel = rq.multipliers.count != 1
        multipliers = (0..<n).map { rq.multipliers[perChannel ? $0 : 0] }
        let shifts = (0..<n).map { rq.shifts[perChannel ? $0 : 0] }
        rightShifts = shifts.map { Int32(Swift.max(0, -$0)) }
        needsLeftShift = shifts.contains { $0 > 0 }
    }

    deinit { weights.deallocate() }

    /// Requantizes `count` accumulators into int8: one channel (`channel`, per row of a conv
    /// output) or one channel per column starting at `channel` (a row of a linear output).
    @inline(__always)
    func requantize(_ acc: UnsafeMutablePointer<Int32>, count: Int, channel: Int, perColumn: Bool,
                    into dst: UnsafeMutablePointer<Int8>) {
        if needsLeftShift {
            for i in 0..<count {
                let ch = perColumn ? channel + i : channel
                dst[i] = requantizer.apply(acc[i] &+ bias[ch], channel: ch)
            }
            return
        }
        bias.withUnsafeBufferPointer { b in
            multipliers.withUnsafeBufferPointer { m in
                rightShifts.withUnsafeBufferPointer { r in
                    lumen_requant_s32_s8(acc, count, dst, b.baseAddress! + channel, m.baseAddress! + channel,
                                         r.baseAddress! + channel, perColumn ? 1 : 0, requantizer.outputZeroPoint,
                                         requantizer.low, requantizer.high)
                }
            }
        }
    }

    /// Working buffers of one call (stack when small enough, else heap): `int16` elements of
    /// packed operands, `int32` accumulators, `int8` padded input. Small layers run thousands of
    /// times a second, and heap blocks of a few kB cost more than their arithmetic.
    private func withScratch(_ int16: Int, _ int32: Int, _ int8: Int,
                             _ body: (UnsafeMutablePointer<Int16>, UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Int8>) -> Void) {
        withUnsafeTemporaryAllocation(of: Int16.self, capacity: max(int16, 1)) { a in
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: max(int32, 1)) { c in
                withUnsafeTemporaryAllocation(of: Int8.self, capacity: max(int8, 1)) { x in
                    body(a.baseAddress!, c.baseAddress!, x.baseAddress!)
                }
            }
        }
    }

    // MARK: linear

    /// x (*, in) int8 → (*, out) int8.
    public func linear(_ x: Tensor) throws -> Tensor {
        let op = "qlinear"
        guard shape == .linear else { throw EngineError(op, "kernel was built for a convolution") }
        guard x.dtype == .int8 else { throw EngineError(op, "input must be an int8 tensor; got \(x.dtype)") }
        guard x.rank >= 1, x.shape[x.rank - 1] == reduction else {
            throw EngineError(op, "input \(shapeString(x.shape)) does not match weight \(shapeString([outChannels, reduction])) (expected last dim \(reduction))")
        }
        let k = reduction, n = outChannels, m = x.shape.dropLast().reduce(1, *)   // k = 0 still gives the bias
        let out = try Tensor(shape: Array(x.shape.dropLast()) + [n], dtype: .int8, zeroed: false, op: op)
        if n == 0 { return out }
        let xc = try x.contiguous()
        let xp = xc.pointer(Int8.self), d = out.pointer(Int8.self)
        // Rows of x split over the cores when the product is large.
        let chunks = m * n * k >= 1 << 21 ? m : 1
        Parallel.forRanges(count: chunks) { range in
            let rows = chunks == 1 ? 0..<m : range
            if rows.isEmpty { return }
            withScratch(rows.count * rowStride, rows.count * n, 0) { a, acc, _ in
                lumen_s8_to_s16_rows(xp + rows.lowerBound * k, k, rows.count, k, a, rowStride)
                lumen_s16_gemm_packed(a, rowStride, weights, n, k, acc, n, rows.count)
                for i in 0..<rows.count {
                    requantize(acc + i * n, count: n, channel: 0, perColumn: true, into: d + (rows.lowerBound + i) * n)
                }
            }
        }
        withExtendedLifetime(xc) {}
        return out
    }

    // MARK: conv2d

    /// x (N, C, H, W) or (C, H, W) int8 → (N, O, OH, OW) int8.
    public func conv2d(_ input: Tensor) throws -> Tensor {
        let op = "qconv2d"
        guard case let .conv(kh, kw, s, p, dl, groups) = shape else { throw EngineError(op, "kernel was built for a linear layer") }
        guard input.dtype == .int8 else { throw EngineError(op, "input must be an int8 tensor; got \(input.dtype)") }
        guard input.rank == 4 || input.rank == 3 else { throw EngineError(op, "expected (N, C, H, W) or (C, H, W) input; got \(shapeString(input.shape))") }
        let x = try (input.rank == 3 ? input.reshape([1] + input.shape) : input).contiguous()
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let o = outChannels, cg = reduction / (kh * kw)
        guard c == cg * groups else {
            throw EngineError(op, "input \(shapeString(x.shape)) has \(c) channels; weight \(shapeString([o, cg, kh, kw])) with groups \(groups) expects \(cg * groups)")
        }
        let hp = h + 2 * p[0], wp = wd + 2 * p[1]
        let oh = (hp - dl[0] * (kh - 1) - 1) / s[0] + 1, ow = (wp - dl[1] * (kw - 1) - 1) / s[1] + 1
        guard hp - dl[0] * (kh - 1) - 1 >= 0, wp - dl[1] * (kw - 1) - 1 >= 0 else {
            throw EngineError(op, "input \(h)x\(wd) (padding \(p[0]),\(p[1])) is smaller than the kernel \(kh)x\(kw)")
        }
        let og = o / groups, kc = reduction, positions = oh * ow
        let out = try Tensor(shape: [n, o, oh, ow], dtype: .int8, zeroed: false, op: op)
        if n == 0 || o == 0 { return input.rank == 3 ? try out.reshape([o, oh, ow]) : out }
        let xp = x.pointer(Int8.self), d = out.pointer(Int8.self)
        let padded = p[0] > 0 || p[1] > 0
        // One sample at a time, samples split over the cores: pad (with the zero point, i.e. real
        // 0), pack the patches as the GEMM's B operand, acc (O/g, P) = W_g · patches, requantize
        // each channel's row straight into its output plane.
        Parallel.forRanges(count: n) { range in
            withScratch(lumen_s16_packed_size(positions, kc), og * positions, padded ? cg * hp * wp : 0) { cols, acc, xpad in
                for b in range {
                    for gi in 0..<groups {
                        var plane = UnsafePointer(xp + (b * c + gi * cg) * h * wd)
                        if padded {
                            lumen_s8_pad_planes(plane, cg, h, wd, p[0], p[1], inputZeroPoint, xpad)
                            plane = UnsafePointer(xpad)
                        }
                        lumen_s8_im2col_pack(plane, cg, hp, wp, kh, kw, s[0], s[1], dl[0], dl[1], oh, ow, cols)
                        lumen_s16_gemm_packed(weights + gi * og * rowStride, rowStride, cols, positions, kc, acc, positions, og)
                        for oi in 0..<og {
                            let ch = gi * og + oi
                            requantize(acc + oi * positions, count: positions, channel: ch, perColumn: false,
                                       into: d + (b * o + ch) * positions)
                        }
                    }
                }
            }
        }
        withExtendedLifetime(x) {}
        return input.rank == 3 ? try out.reshape([o, oh, ow]) : out
    }
}
