/// Transposed 2-d convolution (PyTorch's `conv_transpose2d`): the gradient of `conv2d` with
/// respect to its input, used as a learnable upsampling. Forward is gemm + col2im, backward a
/// convolution of the gradient.
extension Functional {
    /// input (N, C_in, H, W) or unbatched, weight (C_in, C_out/groups, kh, kw), optional bias
    /// (C_out) → (N, C_out, Ho, Wo) with `Ho = (H−1)·sh − 2·ph + dh·(kh−1) + oph + 1`.
    /// `outputPadding` (each below its stride or its dilation) adds rows/columns at the bottom/
    /// right, choosing among the input sizes a strided `conv2d` maps to the same output size.
    ///
    ///     convTranspose2d((1,16,8,8), (16,8,2,2), stride: (2,2)) -> (1,8,16,16)
    public static func convTranspose2d(_ input: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                                       padding: (Int, Int) = (0, 0), outputPadding: (Int, Int) = (0, 0),
                                       dilation: (Int, Int) = (1, 1), groups: Int = 1) throws -> Tensor {
        let op = "conv_transpose2d"
        let (x4, unbatched) = try batched(input, op: op)
        guard weight.rank == 4 else {
            throw EngineError(op, "expected weight (C_in, C_out/groups, kh, kw); got shape \(shapeString(weight.shape))")
        }
        try checkChannels(op: op, layout: "(N,C_in,H,W)", x4, weight, bias: bias, groups: groups, transposed: true)
        try requirePair(stride, "stride", atLeast: 1, op: op)
        try requirePair(dilation, "dilation", atLeast: 1, op: op)
        try requirePair(padding, "padding", atLeast: 0, op: op)
        try requirePair(outputPadding, "output padding", atLeast: 0, op: op)
        guard (outputPadding.0 < stride.0 || outputPadding.0 < dilation.0)
                && (outputPadding.1 < stride.1 || outputPadding.1 < dilation.1) else {
            throw EngineError(op, "output padding must be smaller than either stride or dilation; got output padding \(pairString(outputPadding)), stride \(pairString(stride)), dilation \(pairString(dilation))")
        }
        let n = x4.shape[0], cin = x4.shape[1], height = x4.shape[2], width = x4.shape[3]
        let kernel = (weight.shape[2], weight.shape[3])
        let cg = weight.shape[1], outChannels = cg * groups, og = cin / groups
        let limit = 1 << 30
        guard [height, width, kernel.0, kernel.1, stride.0, stride.1, padding.0, padding.1, dilation.0, dilation.1]
                .allSatisfy({ $0 <= limit }) else {
            throw EngineError(op, "sizes must be below 2^30; got input \(shapeString(x4.shape)), weight \(shapeString(weight.shape)), stride \(pairString(stride)), dilation \(pairString(dilation))")
        }
        guard height > 0 && width > 0 else {
            throw EngineError(op, "expected a non-empty spatial size; got input \(shapeString(x4.shape))")
        }
        let outH = (height - 1) * stride.0 - 2 * padding.0 + dilation.0 * (kernel.0 - 1) + outputPadding.0 + 1
        let outW = (width - 1) * stride.1 - 2 * padding.1 + dilation.1 * (kernel.1 - 1) + outputPadding.1 + 1
        guard outH > 0 && outW > 0 else {
            throw EngineError(op, "output size \(outH)x\(outW) is not positive for input \(height)x\(width), kernel \(pairString(kernel)), stride \(pairString(stride)), padding \(pairString(padding)), dilation \(pairString(dilation))")
        }
        // The convolution this one transposes: image = output (C_out/groups channels per group),
        // columns = input positions.
        let geo = ConvGeometry(channels: cg, height: outH, width: outW, kh: kernel.0, kw: kernel.1,
                               sh: stride.0, sw: stride.1, ph: padding.0, pw: padding.1,
                               dh: dilation.0, dw: dilation.1, oh: height, ow: width)
        guard try Shape.numel([n, outChannels, outH, outW], op: op) >= 0,
              geo.columnRows <= Int(Int32.max) && geo.positions <= Int(Int32.max) else {
            throw EngineError(op, "problem too large: \(geo.columnRows) x \(geo.positions) columns")
        }
        let x = try dense(x4), w = try dense(weight), b = try bias.map(dense)
        let out = try Tensor(shape: [n, outChannels, outH, outW], dtype: x.dtype, zeroed: false, op: op)
        try ConvKernels.backwardData(grad: x, weight: w, into: out, batch: n, groups: groups, og: og, geo: geo, op: op)
        if let b { try addChannelBias(out, b, batch: n, channels: outChannels, spatial: outH * outW) }
        let inputs = [x4, weight] + (bias.map { [$0] } ?? [])
        if Tensor.needsGrad(inputs) {
            let xs = x.detach(), ws = w.detach()
            let wantX = x4.requiresGrad, wantW = weight.requiresGrad
            let hasBias = bias != nil, wantB = bias?.requiresGrad ?? false
            out.recording(op, inputs) { g in
                let gy = try dense(g.converted(xs.dtype))
                var gx: Tensor? = nil, gw: Tensor? = nil, gb: Tensor? = nil
                if wantX {
                    let t = try Tensor(shape: xs.shape, dtype: xs.dtype, zeroed: false, op: op)
                    try ConvKernels.forward(image: gy, weight: ws, bias: nil, into: t, batch: n, groups: groups, og: og, geo: geo, op: op)
                    gx = t
                }
                if wantW {
                    let t = try Tensor(shape: ws.shape, dtype: ws.dtype, op: op)
                    try ConvKernels.backwardWeight(image: gy, grad: xs, into: t, batch: n, groups: groups, og: og, geo: geo, op: op)
                    gw = t
                }
                if wantB { gb = try ConvKernels.channelSums(gy, batch: n, channels: outChannels, spatial: outH * outW) }
                return hasBias ? [gx, gw, gb] : [gx, gw]
            }
        }
        return unbatched ? try out.squeeze(0) : out
    }

    /// Adds `bias[c]` to every element of channel c of a dense (N, C, S) tensor, in place.
    static func addChannelBias(_ t: Tensor, _ bias: Tensor, batch n: Int, channels: Int, spatial: Int) throws {
        func run<T: FloatElement>(_: T.Type) {
            let p = t.pointer(T.self), pb = bias.pointer(T.self)
            for b in 0..<n {
                for c in 0..<channels {
                    let row = p + (b * channels + c) * spatial, v = pb[c]
                    for i in 0..<spatial { row[i] += v }
                }
            }
        }
        if t.dtype == .float32 { run(Float.self) } else { run(Double.self) }
    }
}
