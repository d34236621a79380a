/// The sliding-window geometry of a 2-d convolution over one (C,H,W) image and the two
/// kernels built on it: im2col (image → columns) and col2im (columns → image, summing
/// overlaps). Columns are a (C·kh·kw, oh·ow) matrix: row (c,i,j) holds, for every output
/// position, the input pixel under kernel tap (i,j) of channel c (zero where it falls in the
/// padding).
struct ConvGeometry {
    let channels: Int, height: Int, width: Int
    let kh: Int, kw: Int
    let sh: Int, sw: Int
    /// Padding before the first row/column (padding after only shows in `oh`/`ow`).
    let ph: Int, pw: Int
    let dh: Int, dw: Int
    let oh: Int, ow: Int

    var imageSize: Int { channels * height * width }
    var columnRows: Int { channels * kh * kw }
    var positions: Int { oh * ow }
    var columnSize: Int { columnRows * positions }

    /// Output extent of a window sweep, or nil when the dilated kernel does not fit.
    static func outputSize(_ input: Int, padBefore: Int, padAfter: Int, kernel: Int, stride: Int, dilation: Int) -> Int? {
        let span = dilation * (kernel - 1) + 1
        let padded = input + padBefore + padAfter
        guard padded >= span else { return nil }
        return (padded - span) / stride + 1
    }

    /// Copies the windows of `image` (C,H,W contiguous) into `cols` (columnRows, oh·ow).
    func im2col<T: FloatElement>(_ image: UnsafePointer<T>, _ cols: UnsafeMutablePointer<T>) {
        let L = positions
        // Stride 1 with output rows as wide as input rows ('same' convolutions): each column
        // row is one contiguous run of the image, copied at once, then its padding cells zeroed.
        if sw == 1 && sh * width == ow && L > 0 {
            for c in 0..<channels {
                let plane = image + c * height * width
                for i in 0..<kh {
                    // Output rows whose input row lies inside the image.
                    let yOff = i * dh - ph
                    let top = Swift.min(oh, yOff >= 0 ? 0 : (-yOff + sh - 1) / sh)
                    let bottom = Swift.max(top, Swift.min(oh, height - yOff <= 0 ? 0 : (height - yOff - 1) / sh + 1))
                    for j in 0..<kw {
                        let row = cols + ((c * kh + i) * kw + j) * L
                        let xOff = j * dw - pw
                        let lo = Swift.min(ow, xOff >= 0 ? 0 : -xOff)
                        let hi = Swift.max(lo, Swift.min(ow, width - xOff))
                        if top >= bottom || lo >= hi {
                            for k in 0..<L { row[k] = 0 }
                            continue
                        }
                        for k in 0..<(top * ow) { row[k] = 0 }
                        // From (top, lo) to (bottom − 1, hi − 1): in bounds of the plane.
                        let first = top * ow + lo, last = (bottom - 1) * ow + hi
                        (row + first).update(from: plane + (top * sh + yOff) * width + xOff + lo, count: last - first)
                        for oy in top..<bottom {
                            let r = row + oy * ow
                            for ox in 0..<lo { r[ox] = 0 }
                            for ox in hi..<ow { r[ox] = 0 }
                        }
                        for k in (bottom * ow)..<L { row[k] = 0 }
                    }
                }
            }
            return
        }
        for c in 0..<channels {
            let plane = image + c * height * width
            for i in 0..<kh {
                for j in 0..<kw {
                    let row = cols + ((c * kh + i) * kw + j) * L
                    let xOff = j * dw - pw
                    // Output columns whose input column ox*sw + xOff lies inside [0, width).
                    let lo = Swift.min(ow, xOff >= 0 ? 0 : (-xOff + sw - 1) / sw)
                    let hi = Swift.max(lo, Swift.min(ow, width - xOff <= 0 ? 0 : (width - xOff - 1) / sw + 1))
                    for oy in 0..<oh {
                        let iy = oy * sh - ph + i * dh
                        let dst = row + oy * ow
                        if iy < 0 || iy >= height {
                            for ox in 0..<ow { dst[ox] = 0 }
                            continue
                        }
                        let src = plane + iy * width + xOff
                        for ox in 0..<lo { dst[ox] = 0 }
                        if sw == 1 {
                            // Rows are short (the output width): a plain loop beats memcpy calls.
                            for ox in lo..<hi { dst[ox] = src[ox] }
                        } else {
                            for ox in lo..<hi { dst[ox] = src[ox * sw] }
                        }
                        for ox in hi..<ow { dst[ox] = 0 }
                    }
                }
            }
        }
    }

    /// Adds the columns `cols` (columnRows, oh·ow) back into `image` (C,H,W contiguous), summing
    /// where windows overlap (the adjoint of `im2col`). With `scratch` the columns are a buffer
    /// this call may overwrite: for stride-1 same-width geometry their padding cells are zeroed
    /// and each row is added as one contiguous run.
    func col2im<T: FloatElement>(_ cols: UnsafeMutablePointer<T>, _ image: UnsafeMutablePointer<T>, scratch: Bool = false) {
        let L = positions
        if scratch && sw == 1 && sh * width == ow && L > 0 {
            for c in 0..<channels {
                let plane = image + c * height * width
                for i in 0..<kh {
                    let yOff = i * dh - ph
                    let top = Swift.min(oh, yOff >= 0 ? 0 : (-yOff + sh - 1) / sh)
                    let bottom = Swift.max(top, Swift.min(oh, height - yOff <= 0 ? 0 : (height - yOff - 1) / sh + 1))
                    for j in 0..<kw {
                        let row = cols + ((c * kh + i) * kw + j) * L
                        let xOff = j * dw - pw
                        let lo = Swift.min(ow, xOff >= 0 ? 0 : -xOff)
                        let hi = Swift.max(lo, Swift.min(ow, width - xOff))
                        if top >= bottom || lo >= hi { continue }
                        for oy in top..<bottom {
                            let r = row + oy * ow
                            for ox in 0..<lo { r[ox] = 0 }
                            for ox in hi..<ow { r[ox] = 0 }
                        }
                        let first = top * ow + lo, count = (bottom - 1) * ow + hi - first
                        let src = row + first, dst = plane + (top * sh + yOff) * width + xOff + lo
                        for k in 0..<count { dst[k] += src[k] }
                    }
                }
            }
            return
        }
        for c in 0..<channels {
            let plane = image + c * height * width
            for i in 0..<kh {
                for j in 0..<kw {
                    let row = cols + ((c * kh + i) * kw + j) * L
                    let xOff = j * dw - pw
                    let lo = Swift.min(ow, xOff >= 0 ? 0 : (-xOff + sw - 1) / sw)
                    let hi = Swift.max(lo, Swift.min(ow, width - xOff <= 0 ? 0 : (width - xOff - 1) / sw + 1))
                    for oy in 0..<oh {
                        let iy = oy * sh - ph + i * dh
                        if iy < 0 || iy >= height { continue }
                        let src = row + oy * ow
                        let dst = plane + iy * width + xOff
                        if sw == 1 {
                            for ox in lo..<hi { dst[ox] += src[ox] }
                        } else {
                            for ox in lo..<hi { dst[ox * sw] += src[ox] }
                        }
                    }
                }
            }
        }
    }
}

extension Functional {
    /// Sliding local blocks of a batched image as columns (PyTorch's `nn.functional.unfold`,
    /// im2col): (N,C,H,W) → (N, C·kh·kw, L) with L = oh·ow windows. Row `(c·kh + i)·kw + j`
    /// holds kernel tap (i,j) of channel c. Backward is `fold` of the gradient.
    ///
    ///     unfold((2,3,5,5), kernel: (2,2)) -> (2,12,16)
    public static func unfold(_ input: Tensor, kernel: (Int, Int), dilation: (Int, Int) = (1, 1),
                              padding: (Int, Int) = (0, 0), stride: (Int, Int) = (1, 1)) throws -> Tensor {
        let op = "unfold"
        guard input.rank == 4 else {
            throw EngineError(op, "expected input (N,C,H,W); got shape \(shapeString(input.shape))")
        }
        try requireFloat(input, "input", op: op)
        let geo = try windowGeometry(op: op, channels: input.shape[1], height: input.shape[2], width: input.shape[3],
                                     kernel: kernel, dilation: dilation, padding: padding, stride: stride)
        let n = input.shape[0]
        let x = try dense(input)
        let out = try Tensor(shape: [n, geo.columnRows, geo.positions], dtype: input.dtype, zeroed: false, op: op)
        func run<T: FloatElement>(_: T.Type) throws {
            let px = x.pointer(T.self), po = out.pointer(T.self)
            try forItems(n, work: n * geo.columnSize, op: op) { items in
                for b in items where !Interrupt.isRequested {
                    geo.im2col(px + b * geo.imageSize, po + b * geo.columnSize)
                }
            }
        }
        if input.dtype == .float32 { try run(Float.self) } else { try run(Double.self) }
        if Tensor.needsGrad(input) {
            let size = (input.shape[2], input.shape[3])
            out.recording(op, [input]) { g in
                [try fold(g, outputSize: size, kernel: kernel, dilation: dilation, padding: padding, stride: stride)]
            }
        }
        return out
    }

    /// Sums columns back into a batched image (PyTorch's `nn.functional.fold`, col2im), the
    /// adjoint of `unfold`: (N, C·kh·kw, L) → (N,C,H,W) with `outputSize` (H,W); L must equal
    /// the number of windows that fit. Overlapping windows add up. Backward is `unfold`.
    public static func fold(_ input: Tensor, outputSize: (Int, Int), kernel: (Int, Int), dilation: (Int, Int) = (1, 1),
                            padding: (Int, Int) = (0, 0), stride: (Int, Int) = (1, 1)) throws -> Tensor {
        let op = "fold"
        guard input.rank == 3 else {
            throw EngineError(op, "expected input (N, C*kh*kw, L); got shape \(shapeString(input.shape))")
        }
        try requireFloat(input, "input", op: op)
        try requirePair(kernel, "kernel size", atLeast: 1, op: op)
        let taps = kernel.0 * kernel.1
        guard input.shape[1] % taps == 0 && input.shape[1] > 0 else {
            throw EngineError(op, "expected dim 1 of input to be a positive multiple of kh*kw = \(taps) for kernel \(pairString(kernel)); got shape \(shapeString(input.shape))")
        }
        let geo = try windowGeometry(op: op, channels: input.shape[1] / taps, height: outputSize.0, width: outputSize.1,
                                     kernel: kernel, dilation: dilation, padding: padding, stride: stride)
        guard input.shape[2] == geo.positions else {
            throw EngineError(op, "expected L = \(geo.positions) blocks (\(geo.oh)x\(geo.ow)) for output size \(pairString(outputSize)), kernel \(pairString(kernel)), dilation \(pairString(dilation)), padding \(pairString(padding)), stride \(pairString(stride)); got input shape \(shapeString(input.shape))")
        }
        let n = input.shape[0]
        let cols = try dense(input)
        let out = try Tensor(shape: [n, geo.channels, geo.height, geo.width], dtype: input.dtype, op: op)
        func run<T: FloatElement>(_: T.Type) throws {
            let pc = cols.pointer(T.self), po = out.pointer(T.self)
            try forItems(n, work: n * geo.columnSize, op: op) { items in
                for b in items where !Interrupt.isRequested {
                    geo.col2im(pc + b * geo.columnSize, po + b * geo.imageSize)
                }
            }
        }
        if input.dtype == .float32 { try run(Float.self) } else { try run(Double.self) }
        if Tensor.needsGrad(input) {
            out.recording(op, [input]) { g in
                [try unfold(g, kernel: kernel, dilation: dilation, padding: padding, stride: stride)]
            }
        }
        return out
    }

    /// Validates window arguments (symmetric padding) and builds the geometry.
    static func windowGeometry(op: String, channels: Int, height: Int, width: Int, kernel: (Int, Int),
                               dilation: (Int, Int), padding: (Int, Int), stride: (Int, Int)) throws -> ConvGeometry {
        try windowGeometry(op: op, channels: channels, height: height, width: width, kernel: kernel, dilation: dilation,
                           pads: (padding.0, padding.0, padding.1, padding.1), stride: stride)
    }

    /// Validates window arguments with padding (top, bottom, left, right) and builds the geometry.
    static func windowGeometry(op: String, channels: Int, height: Int, width: Int, kernel: (Int, Int),
                               dilation: (Int, Int), pads: (Int, Int, Int, Int), stride: (Int, Int)) throws -> ConvGeometry {
        try requirePair(kernel, "kernel size", atLeast: 1, op: op)
        try requirePair(stride, "stride", atLeast: 1, op: op)
        try requirePair(dilation, "dilation", atLeast: 1, op: op)
        guard pads.0 >= 0 && pads.1 >= 0 && pads.2 >= 0 && pads.3 >= 0 else {
            throw EngineError(op, "padding must be non-negative; got \(pads.0 == pads.1 && pads.2 == pads.3 ? pairString((pads.0, pads.2)) : "(\(pads.0),\(pads.1),\(pads.2),\(pads.3))")")
        }
        let limit = Int(Int32.max)
        guard [kernel.0, kernel.1, stride.0, stride.1, dilation.0, dilation.1, pads.0, pads.1, pads.2, pads.3,
               height, width, channels].allSatisfy({ $0 <= limit }) else {
            throw EngineError(op, "sizes must be below 2^31; got input \(height)x\(width) with \(channels) channels, kernel \(pairString(kernel)), stride \(pairString(stride)), dilation \(pairString(dilation))")
        }
        guard height > 0 && width > 0 && channels > 0 else {
            throw EngineError(op, "expected non-empty channels and spatial size; got C=\(channels), H=\(height), W=\(width)")
        }
        guard let oh = ConvGeometry.outputSize(height, padBefore: pads.0, padAfter: pads.1, kernel: kernel.0, stride: stride.0, dilation: dilation.0),
              let ow = ConvGeometry.outputSize(width, padBefore: pads.2, padAfter: pads.3, kernel: kernel.1, stride: stride.1, dilation: dilation.1) else {
            let eh = dilation.0 * (kernel.0 - 1) + 1, ew = dilation.1 * (kernel.1 - 1) + 1
            throw EngineError(op, "kernel \(pairString(kernel)) with dilation \(pairString(dilation)) spans \(eh)x\(ew), larger than the padded input \(height + pads.0 + pads.1)x\(width + pads.2 + pads.3) (input \(height)x\(width))")
        }
        let geo = ConvGeometry(channels: channels, height: height, width: width, kh: kernel.0, kw: kernel.1,
                               sh: stride.0, sw: stride.1, ph: pads.0, pw: pads.2, dh: dilation.0, dw: dilation.1, oh: oh, ow: ow)
        // Column buffers must fit in memory and BLAS takes 32-bit sizes.
        _ = try Shape.numel([channels, kernel.0, kernel.1, oh, ow], op: op)
        guard geo.columnRows <= limit && geo.positions <= limit else {
            throw EngineError(op, "problem too large: \(geo.columnRows) x \(geo.positions) columns")
        }
        return geo
    }
}
