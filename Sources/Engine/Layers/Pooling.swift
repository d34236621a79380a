/// 2-d pooling (PyTorch's `max_pool2d`, `avg_pool2d`, `adaptive_avg_pool2d`). Every (n, c)
/// plane is pooled independently, so work is split over planes; backward writes each plane's
/// gradient from its own output gradient.
extension Functional {
    /// Max over windows: input (N,C,H,W) or (C,H,W) → values and int64 `indices` of the same
    /// shape, each index the flat position `h·W + w` of the maximum inside its input plane
    /// (PyTorch's `return_indices`). `stride` defaults to the kernel; padding (at most half the
    /// kernel) never wins; NaN propagates. A window wholly inside the padding (only possible
    /// with dilation) gives −inf and index −1. With `ceilMode` a last partial window is kept when it
    /// starts inside the input or left padding. Backward routes each gradient to its argmax.
    ///
    ///     maxPool2d((32,16,32,32), kernel: (2,2)) -> values (32,16,16,16), indices (32,16,16,16)
    public static func maxPool2d(_ input: Tensor, kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                                 dilation: (Int, Int) = (1, 1), ceilMode: Bool = false) throws -> (values: Tensor, indices: Tensor) {
        let op = "max_pool2d"
        let (x4, unbatched) = try batched(input, op: op)
        try requireFloat(x4, "input", op: op)
        let geo = try poolGeometry(op: op, x4.shape, kernel: kernel, stride: stride ?? kernel, padding: padding,
                                   dilation: dilation, ceilMode: ceilMode)
        let x = try dense(x4)
        let outShape = [x4.shape[0], x4.shape[1], geo.oh, geo.ow]
        let out = try Tensor(shape: outShape, dtype: x.dtype, zeroed: false, op: op)
        let indices = try Tensor(shape: outShape, dtype: .int64, zeroed: false, op: op)
        let planes = x4.shape[0] * x4.shape[1]
        func run<T: FloatElement>(_: T.Type, _ plane: (UnsafeMutablePointer<T>, UnsafeMutablePointer<T>, UnsafeMutablePointer<Int64>,
                                                       UnsafeMutablePointer<Float>) -> Void) throws {
            let px = x.pointer(T.self), po = out.pointer(T.self), pi = indices.pointer(Int64.self)
            try forItems(planes, work: planes * geo.positions * geo.kh * geo.kw, op: op) { range in
                let taps = UnsafeMutablePointer<Float>.allocate(capacity: geo.ow)
                defer { taps.deallocate() }
                for p in range where !Interrupt.isRequested {
                    plane(px + p * geo.height * geo.width, po + p * geo.positions, pi + p * geo.positions, taps)
                }
            }
        }
        if x.dtype == .float32 {
            try run(Float.self) { PoolKernels.maxPlane(geo, $0, $1, $2, taps: $3) }
        } else {
            try run(Double.self) { x, o, i, _ in PoolKernels.maxPlaneScalar(geo, x, o, i) }
        }
        if Tensor.needsGrad(x4) {
            let saved = indices.detach(), inShape = x4.shape
            out.recording(op, [x4]) { g in
                let gy = try dense(g)
                let gx = try Tensor(shape: inShape, dtype: gy.dtype, zeroed: false, op: op)
                func back<T: FloatElement>(_: T.Type) throws {
                    let pg = gy.pointer(T.self), px = gx.pointer(T.self), pi = saved.pointer(Int64.self)
                    let area = geo.height * geo.width, count = geo.positions
                    try forItems(planes, work: planes * area, op: op) { range in
                        (px + range.lowerBound * area).update(repeating: 0, count: range.count * area)
                        for p in range {
                            let src = pg + p * count, idx = pi + p * count, dst = px + p * area
                            // Indices are re-checked: the returned tensor shares them and may be edited.
                            for i in 0..<count {
                                let j = Int(idx[i])
                                if j >= 0 && j < area { dst[j] += src[i] }
                            }
                        }
                    }
                }
                if gy.dtype == .float32 { try back(Float.self) } else { try back(Double.self) }
                return [gx]
            }
        }
        if unbatched { return (try out.squeeze(0), try indices.squeeze(0)) }
        return (out, indices)
    }

    /// Mean over windows: input (N,C,H,W) or (C,H,W) → (N, C, oh, ow). `stride` defaults to the
    /// kernel; padding is at most half the kernel. The divisor is the window's size including
    /// padding (`countIncludePad`, PyTorch's default) or only the elements inside the input, or
    /// `divisorOverride` when given. Windows are clipped to the padded input (matters with
    /// `ceilMode`).
    public static func avgPool2d(_ input: Tensor, kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                                 ceilMode: Bool = false, countIncludePad: Bool = true, divisorOverride: Int? = nil) throws -> Tensor {
        let op = "avg_pool2d"
        let (x4, unbatched) = try batched(input, op: op)
        try requireFloat(x4, "input", op: op)
        if let d = divisorOverride, d == 0 { throw EngineError(op, "divisor must be non-zero; got \(d)") }
        let geo = try poolGeometry(op: op, x4.shape, kernel: kernel, stride: stride ?? kernel, padding: padding,
                                   dilation: (1, 1), ceilMode: ceilMode)
        let windows = PoolKernels.averageWindows(geo, countIncludePad: countIncludePad, divisorOverride: divisorOverride)
        let out = try PoolKernels.average(op: op, try dense(x4), windows: windows, geo: geo)
        if Tensor.needsGrad(x4) {
            out.recording(op, [x4]) { g in [try PoolKernels.averageBackward(op: op, try dense(g), windows: windows, geo: geo)] }
        }
        return unbatched ? try out.squeeze(0) : out
    }

    /// Mean over an adaptive grid: input (N,C,H,W) or (C,H,W) → (N, C, oh, ow) for any input
    /// size. Output cell i covers input rows `floor(i·H/oh) ..< ceil((i+1)·H/oh)` (PyTorch's
    /// formula), likewise for columns; `(1, 1)` is global average pooling.
    public static func adaptiveAvgPool2d(_ input: Tensor, outputSize: (Int, Int)) throws -> Tensor {
        let op = "adaptive_avg_pool2d"
        let (x4, unbatched) = try batched(input, op: op)
        try requireFloat(x4, "input", op: op)
        try requirePair(outputSize, "output size", atLeast: 1, op: op)
        let (h, w) = (x4.shape[2], x4.shape[3])
        guard x4.shape.allSatisfy({ $0 > 0 }) else {
            throw EngineError(op, "expected a non-empty input; got shape \(shapeString(x4.shape))")
        }
        guard outputSize.0 <= 1 << 31 && outputSize.1 <= 1 << 31 && h <= 1 << 31 && w <= 1 << 31 else {
            throw EngineError(op, "sizes must be below 2^31; got output size \(pairString(outputSize)) for input \(shapeString(x4.shape))")
        }
        _ = try Shape.numel([x4.shape[0], x4.shape[1], outputSize.0, outputSize.1], op: op)
        let geo = ConvGeometry(channels: 1, height: h, width: w, kh: 1, kw: 1, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1,
                               oh: outputSize.0, ow: outputSize.1)
        func bounds(_ i: Int, _ inSize: Int, _ outSize: Int) -> (Int, Int) {
            (i * inSize / outSize, ((i + 1) * inSize + outSize - 1) / outSize)
        }
        var windows: [PoolKernels.Window] = []
        windows.reserveCapacity(geo.positions)
        for i in 0..<geo.oh {
            let (y0, y1) = bounds(i, h, geo.oh)
            for j in 0..<geo.ow {
                let (x0, x1) = bounds(j, w, geo.ow)
                windows.append(PoolKernels.Window(y0: y0, y1: y1, x0: x0, x1: x1, divisor: Double((y1 - y0) * (x1 - x0))))
            }
        }
        let out = try PoolKernels.average(op: op, try dense(x4), windows: windows, geo: geo)
        if Tensor.needsGrad(x4) {
            out.recording(op, [x4]) { g in [try PoolKernels.averageBackward(op: op, try dense(g), windows: windows, geo: geo)] }
        }
        return unbatched ? try out.squeeze(0) : out
    }

    /// Output size of one pooled dim (PyTorch's `pooling_output_shape`).
    static func pooledSize(_ input: Int, kernel: Int, pad: Int, stride: Int, dilation: Int, ceilMode: Bool) -> Int {
        let numerator = input + 2 * pad - dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0)
        var out = (numerator >= 0 ? numerator / stride : -((-numerator + stride - 1) / stride)) + 1
        if ceilMode && (out - 1) * stride >= input + pad { out -= 1 }
        return out
    }

    /// Validates pooling arguments and builds the window geometry over one plane.
    static func poolGeometry(op: String, _ shape: [Int], kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int),
                             dilation: (Int, Int), ceilMode: Bool) throws -> ConvGeometry {
        try requirePair(kernel, "kernel size", atLeast: 1, op: op)
        try requirePair(stride, "stride", atLeast: 1, op: op)
        try requirePair(dilation, "dilation", atLeast: 1, op: op)
        try requirePair(padding, "padding", atLeast: 0, op: op)
        let limit = 1 << 31
        guard [kernel.0, kernel.1, stride.0, stride.1, dilation.0, dilation.1, shape[2], shape[3]].allSatisfy({ $0 <= limit }) else {
            throw EngineError(op, "sizes must be below 2^31; got input \(shapeString(shape)), kernel \(pairString(kernel)), stride \(pairString(stride)), dilation \(pairString(dilation))")
        }
        guard padding.0 <= kernel.0 / 2 && padding.1 <= kernel.1 / 2 else {
            throw EngineError(op, "padding should be at most half of the kernel size; got padding \(pairString(padding)) for kernel \(pairString(kernel))")
        }
        let (h, w) = (shape[2], shape[3])
        guard shape.allSatisfy({ $0 > 0 }) else {
            throw EngineError(op, "expected a non-empty input; got shape \(shapeString(shape))")
        }
        let oh = pooledSize(h, kernel: kernel.0, pad: padding.0, stride: stride.0, dilation: dilation.0, ceilMode: ceilMode)
        let ow = pooledSize(w, kernel: kernel.1, pad: padding.1, stride: stride.1, dilation: dilation.1, ceilMode: ceilMode)
        guard oh >= 1 && ow >= 1 else {
            throw EngineError(op, "output size \(oh)x\(ow) is too small for input \(shapeString(shape)) with kernel \(pairString(kernel)), stride \(pairString(stride)), padding \(pairString(padding)), dilation \(pairString(dilation))")
        }
        _ = try Shape.numel([shape[0], shape[1], oh, ow], op: op)
        return ConvGeometry(channels: 1, height: h, width: w, kh: kernel.0, kw: kernel.1, sh: stride.0, sw: stride.1,
                            ph: padding.0, pw: padding.1, dh: dilation.0, dw: dilation.1, oh: oh, ow: ow)
    }
}

/// Per-plane pooling loops. Planes are dense (H, W); outputs dense (oh, ow).
enum PoolKernels {
    /// Max of each (dilated) window, with the flat input index of the winner: the first
    /// maximum in row-major window order, the window's first in-bounds element seeding it; NaN
    /// wins and the last NaN's index is kept (PyTorch's rule). Taps are the outer loops and
    /// output columns the inner one, eight at a time with SIMD selects: with random data a
    /// per-element branch mispredicts about once per output, which cost 3x.
    @inline(__always)
    static func maxPlane(_ g: ConvGeometry, _ x: UnsafeMutablePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                         _ idx: UnsafeMutablePointer<Int64>, taps: UnsafeMutablePointer<Float>) {
        // Tap numbers are kept as floats: Swift lowers float SIMD compares to single
        // instructions but integer ones lane by lane.
        typealias T = Float
        typealias Tap = Float
        let width = g.width, sw = g.sw, ow = g.ow
        for oy in 0..<g.oh {
            let best = out + oy * ow
            best.update(repeating: -T.infinity, count: ow)
            taps.update(repeating: -1, count: ow)
            for i in 0..<g.kh {
                let iy = oy * g.sh - g.ph + i * g.dh
                if iy < 0 || iy >= g.height { continue }
                let row = x + iy * width
                for j in 0..<g.kw {
                    let xOff = j * g.dw - g.pw
                    let lo = Swift.min(ow, xOff >= 0 ? 0 : (-xOff + sw - 1) / sw)
                    let hi = Swift.max(lo, Swift.min(ow, width - xOff <= 0 ? 0 : (width - xOff - 1) / sw + 1))
                    let tap = Tap(i * g.kw + j)
                    let tapVector = SIMD8<Tap>(repeating: tap)
                    var ox = lo
                    while ox + 8 <= hi {
                        let src = row + ox * sw + xOff
                        let v = sw == 1
                            ? UnsafeRawPointer(src).loadUnaligned(as: SIMD8<T>.self)
                            : SIMD8<T>(src[0], src[sw], src[2 * sw], src[3 * sw], src[4 * sw], src[5 * sw], src[6 * sw], src[7 * sw])
                        var b = UnsafeRawPointer(best + ox).loadUnaligned(as: SIMD8<T>.self)
                        var t = UnsafeRawPointer(taps + ox).loadUnaligned(as: SIMD8<Tap>.self)
                        let take = (v .> b) .| (v .!= v) .| (t .< 0)
                        b.replace(with: v, where: take)
                        t.replace(with: tapVector, where: take)
                        UnsafeMutableRawPointer(best + ox).storeBytes(of: b, as: SIMD8<T>.self)
                        UnsafeMutableRawPointer(taps + ox).storeBytes(of: t, as: SIMD8<Tap>.self)
                        ox += 8
                    }
                    while ox < hi {
                        let v = row[ox * sw + xOff]
                        if v > best[ox] || v.isNaN || taps[ox] < 0 { best[ox] = v; taps[ox] = tap }
                        ox += 1
                    }
                }
            }
            // Winning tap → flat input index (branch-free arithmetic; -1 when the window is empty).
            let at = idx + oy * ow
            let y0 = oy * g.sh - g.ph
            for ox in 0..<ow {
                let t = Int(taps[ox])
                let iy = y0 + (t / g.kw) * g.dh, ix = ox * sw - g.pw + (t % g.kw) * g.dw
                at[ox] = t < 0 ? -1 : Int64(iy * width + ix)
            }
        }
    }

    /// `maxPlane` for float64: the same loops, one column at a time.
    @inline(__always)
    static func maxPlaneScalar<T: FloatElement>(_ g: ConvGeometry, _ x: UnsafeMutablePointer<T>,
                                                _ out: UnsafeMutablePointer<T>, _ idx: UnsafeMutablePointer<Int64>) {
        let width = g.width, sw = g.sw, ow = g.ow
        for oy in 0..<g.oh {
            let best = out + oy * ow, at = idx + oy * ow
            best.update(repeating: -T.infinity, count: ow)
            at.update(repeating: -1, count: ow)
            for i in 0..<g.kh {
                let iy = oy * g.sh - g.ph + i * g.dh
                if iy < 0 || iy >= g.height { continue }
                let row = x + iy * width
                for j in 0..<g.kw {
                    let xOff = j * g.dw - g.pw
                    let lo = Swift.min(ow, xOff >= 0 ? 0 : (-xOff + sw - 1) / sw)
                    let hi = Swift.max(lo, Swift.min(ow, width - xOff <= 0 ? 0 : (width - xOff - 1) / sw + 1))
                    for ox in lo..<hi {
                        let v = row[ox * sw + xOff]
                        if v > best[ox] || v.isNaN || at[ox] < 0 { best[ox] = v; at[ox] = Int64(iy * width + ox * sw + xOff) }
                    }
                }
            }
        }
    }

    /// A clipped averaging window over one plane and its divisor.
    struct Window: Sendable {
        let y0: Int, y1: Int, x0: Int, x1: Int
        let divisor: Double
    }

    /// `avg_pool2d`'s windows (PyTorch's rules for the divisor).
    static func averageWindows(_ g: ConvGeometry, countIncludePad: Bool, divisorOverride: Int?) -> [Window] {
        var windows: [Window] = []
        windows.reserveCapacity(g.positions)
        for oy in 0..<g.oh {
            for ox in 0..<g.ow {
                var y0 = oy * g.sh - g.ph, x0 = ox * g.sw - g.pw
                var y1 = Swift.min(y0 + g.kh, g.height + g.ph), x1 = Swift.min(x0 + g.kw, g.width + g.pw)
                let poolSize = (y1 - y0) * (x1 - x0)
                y0 = Swift.max(y0, 0); x0 = Swift.max(x0, 0)
                y1 = Swift.min(y1, g.height); x1 = Swift.min(x1, g.width)
                let inside = Swift.max(0, y1 - y0) * Swift.max(0, x1 - x0)
                let divisor = divisorOverride.map(Double.init) ?? Double(countIncludePad ? poolSize : inside)
                windows.append(Window(y0: y0, y1: Swift.max(y0, y1), x0: x0, x1: Swift.max(x0, x1), divisor: divisor))
            }
        }
        return windows
    }

    /// Mean of each window of each plane of a dense (N, C, H, W) input.
    static func average(op: String, _ x: Tensor, windows: [Window], geo: ConvGeometry) throws -> Tensor {
        let planes = x.shape[0] * x.shape[1]
        let out = try Tensor(shape: [x.shape[0], x.shape[1], geo.oh, geo.ow], dtype: x.dtype, zeroed: false, op: op)
        let area = geo.height * geo.width, count = geo.positions
        func run<T: FloatElement>(_: T.Type) throws {
            let px = x.pointer(T.self), po = out.pointer(T.self)
            try windows.withUnsafeBufferPointer { wins in
                try Functional.forItems(planes, work: planes * area, op: op) { range in
                    for p in range where !Interrupt.isRequested {
                        let plane = px + p * area, dst = po + p * count
                        for k in 0..<count {
                            let win = wins[k]
                            var s = T(0)
                            for y in win.y0..<win.y1 {
                                let row = plane + y * geo.width
                                for xx in win.x0..<win.x1 { s += row[xx] }
                            }
                            dst[k] = win.y1 > win.y0 && win.x1 > win.x0 ? s / T(win.divisor) : 0
                        }
                    }
                }
            }
        }
        if x.dtype == .float32 { try run(Float.self) } else { try run(Double.self) }
        return out
    }

    /// Spreads each output gradient evenly (÷ divisor) over its window.
    static func averageBackward(op: String, _ g: Tensor, windows: [Window], geo: ConvGeometry) throws -> Tensor {
        let planes = g.shape[0] * g.shape[1]
        let gx = try Tensor(shape: [g.shape[0], g.shape[1], geo.height, geo.width], dtype: g.dtype, op: op)
        let area = geo.height * geo.width, count = geo.positions
        func run<T: FloatElement>(_: T.Type) throws {
            let pg = g.pointer(T.self), px = gx.pointer(T.self)
            try windows.withUnsafeBufferPointer { wins in
                try Functional.forItems(planes, work: planes * area, op: op) { range in
                    for p in range where !Interrupt.isRequested {
                        let plane = px + p * area, src = pg + p * count
                        for k in 0..<count {
                            let win = wins[k]
                            let v = src[k] / T(win.divisor)
                            for y in win.y0..<win.y1 {
                                let row = plane + y * geo.width
                                for xx in win.x0..<win.x1 { row[xx] += v }
                            }
                        }
                    }
                }
            }
        }
        if g.dtype == .float32 { try run(Float.self) } else { try run(Double.self) }
        return gx
    }
}
