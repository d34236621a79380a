/// 2-d and 1-d convolution (PyTorch's `conv2d`/`conv1d`, really cross-correlation), through
/// im2col + gemm per batch item, with the fused backward beside the forward.
extension Functional {
    /// 2-d convolution: input (N,C,H,W) or unbatched (C,H,W), weight (O, C/groups, kh, kw),
    /// optional bias (O) → (N, O, oh, ow) with `oh = (H + 2·ph − dh·(kh−1) − 1) / sh + 1`.
    /// Channels are split into `groups` independent convolutions (groups = C is depthwise).
    ///
    ///     conv2d((32,1,32,32), (16,1,3,3), padding: (1,1)) -> (32,16,32,32)
    public static func conv2d(_ input: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                              padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1) throws -> Tensor {
        try convolution2d(op: "conv2d", input, weight, bias: bias, stride: stride,
                          pads: (padding.0, padding.0, padding.1, padding.1), dilation: dilation, groups: groups)
    }

    /// `conv2d` with PyTorch's `padding='same'`: stride 1 and the output as large as the input.
    /// When the dilated kernel extent minus one is odd the extra row/column of padding goes at
    /// the bottom/right, as in PyTorch.
    public static func conv2dSame(_ input: Tensor, _ weight: Tensor, bias: Tensor? = nil,
                                  dilation: (Int, Int) = (1, 1), groups: Int = 1) throws -> Tensor {
        guard weight.rank == 4 else {
            throw EngineError("conv2d", "expected weight (O, C/groups, kh, kw); got shape \(shapeString(weight.shape))")
        }
        try requirePair(dilation, "dilation", atLeast: 1, op: "conv2d")
        let p = samePadding(kernel: (weight.shape[2], weight.shape[3]), dilation: dilation)
        return try convolution2d(op: "conv2d", input, weight, bias: bias, stride: (1, 1),
                                 pads: (p[2], p[3], p[0], p[1]), dilation: dilation, groups: groups)
    }

    /// The padding `[left, right, top, bottom]` (in `pad`'s last-dim-first order) that keeps a
    /// stride-1 convolution's output the input's size: the dilated extent minus one, split with
    /// the odd element after (PyTorch's `padding='same'`).
    public static func samePadding(kernel: (Int, Int), dilation: (Int, Int) = (1, 1)) -> [Int] {
        let th = Swift.max(0, dilation.0 * (kernel.0 - 1)), tw = Swift.max(0, dilation.1 * (kernel.1 - 1))
        return [tw / 2, tw - tw / 2, th / 2, th - th / 2]
    }

    /// 1-d convolution: input (N,C,L) or unbatched (C,L), weight (O, C/groups, k), optional
    /// bias (O) → (N, O, (L + 2·padding − dilation·(k−1) − 1) / stride + 1). Runs as a 2-d
    /// convolution with height 1.
    public static func conv1d(_ input: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: Int = 1,
                              padding: Int = 0, dilation: Int = 1, groups: Int = 1) throws -> Tensor {
        try convolution1d(input, weight, bias: bias, stride: stride, pads: (padding, padding), dilation: dilation, groups: groups)
    }

    /// `conv1d` with PyTorch's `padding='same'` (stride 1, odd padding element on the right).
    public static func conv1dSame(_ input: Tensor, _ weight: Tensor, bias: Tensor? = nil,
                                  dilation: Int = 1, groups: Int = 1) throws -> Tensor {
        guard weight.rank == 3 else {
            throw EngineError("conv1d", "expected weight (O, C/groups, k); got shape \(shapeString(weight.shape))")
        }
        guard dilation >= 1 else { throw EngineError("conv1d", "dilation must be positive; got \(dilation)") }
        let p = samePadding(kernel: (1, weight.shape[2]), dilation: (1, dilation))
        return try convolution1d(input, weight, bias: bias, stride: 1, pads: (p[0], p[1]), dilation: dilation, groups: groups)
    }

    private static func convolution1d(_ input: Tensor, _ weight: Tensor, bias: Tensor?, stride: Int,
                                      pads: (Int, Int), dilation: Int, groups: Int) throws -> Tensor {
        let op = "conv1d"
        guard input.rank == 3 || input.rank == 2 else {
            throw EngineError(op, "expected input (N,C,L) or (C,L); got shape \(shapeString(input.shape))")
        }
        guard weight.rank == 3 else {
            throw EngineError(op, "expected weight (O, C/groups, k); got shape \(shapeString(weight.shape))")
        }
        let x = input.rank == 2 ? try input.unsqueeze(0) : input
        try checkChannels(op: op, layout: "(N,C,L)", x, weight, bias: bias, groups: groups, transposed: false)
        let y = try convolution2d(op: op, x.unsqueeze(2), weight.unsqueeze(2), bias: bias, stride: (1, stride),
                                  pads: (0, 0, pads.0, pads.1), dilation: (1, dilation), groups: groups)
        let out = try y.squeeze(2)
        return input.rank == 2 ? try out.squeeze(0) : out
    }

    /// Dtype, channel, group and bias checks shared by (transposed) convolutions; `x` is batched.
    static func checkChannels(op: String, layout: String, _ x: Tensor, _ weight: Tensor, bias: Tensor?,
                              groups: Int, transposed: Bool) throws {
        try requireFloat(x, "input", op: op)
        guard weight.dtype == x.dtype else {
            throw EngineError(op, "expected weight of dtype \(x.dtype) like the input; got \(weight.dtype)")
        }
        guard groups >= 1 else { throw EngineError(op, "groups must be positive; got \(groups)") }
        guard weight.shape.allSatisfy({ $0 > 0 }) else {
            throw EngineError(op, "expected a non-empty weight; got shape \(shapeString(weight.shape))")
        }
        // BLAS takes 32-bit sizes.
        guard weight.numel <= Int(Int32.max) && x.shape[1] <= Int(Int32.max) else {
            throw EngineError(op, "weight \(shapeString(weight.shape)) or input channels \(x.shape[1]) too large (2^31 elements at most)")
        }
        let channels = x.shape[1]
        let outChannels: Int
        if transposed {
            guard channels == weight.shape[0] && channels % groups == 0 else {
                throw EngineError(op, "expected input \(layout) with C=\(weight.shape[0]) (divisible by groups=\(groups)) to match weight \(shapeString(weight.shape)) (C_in, C_out/groups, ...); got input \(shapeString(x.shape))")
            }
            outChannels = weight.shape[1] * groups
        } else {
            guard weight.shape[0] % groups == 0 else {
                throw EngineError(op, "expected weight \(shapeString(weight.shape)) with out channels \(weight.shape[0]) divisible by groups=\(groups)")
            }
            guard channels == weight.shape[1] * groups else {
                throw EngineError(op, "expected input \(layout) with C=\(weight.shape[1] * groups) to match weight \(shapeString(weight.shape)) with groups=\(groups); got input \(shapeString(x.shape))")
            }
            outChannels = weight.shape[0]
        }
        try requireParameter(bias, "bias", shape: [outChannels], like: x, op: op, context: " (one per output channel)")
    }

    /// The shared 2-d convolution with padding (top, bottom, left, right).
    private static func convolution2d(op: String, _ input: Tensor, _ weight: Tensor, bias: Tensor?, stride: (Int, Int),
                                      pads: (Int, Int, Int, Int), dilation: (Int, Int), groups: Int) throws -> Tensor {
        let (x4, unbatched) = try batched(input, op: op)
        guard weight.rank == 4 else {
            throw EngineError(op, "expected weight (O, C/groups, kh, kw); got shape \(shapeString(weight.shape))")
        }
        try checkChannels(op: op, layout: "(N,C,H,W)", x4, weight, bias: bias, groups: groups, transposed: false)
        let n = x4.shape[0], outChannels = weight.shape[0], og = outChannels / groups
        let geo = try windowGeometry(op: op, channels: weight.shape[1], height: x4.shape[2], width: x4.shape[3],
                                     kernel: (weight.shape[2], weight.shape[3]), dilation: dilation, pads: pads, stride: stride)
        let x = try dense(x4), w = try dense(weight), b = try bias.map(dense)
        let out = try Tensor(shape: [n, outChannels, geo.oh, geo.ow], dtype: x.dtype, zeroed: false, op: op)
        try ConvKernels.forward(image: x, weight: w, bias: b, into: out, batch: n, groups: groups, og: og, geo: geo, op: op)
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
                    try ConvKernels.backwardData(grad: gy, weight: ws, into: t, batch: n, groups: groups, og: og, geo: geo, op: op)
                    gx = t
                }
                if wantW {
                    let t = try Tensor(shape: ws.shape, dtype: ws.dtype, op: op)
                    try ConvKernels.backwardWeight(image: xs, grad: gy, into: t, batch: n, groups: groups, og: og, geo: geo, op: op)
                    gw = t
                }
                if wantB { gb = try ConvKernels.channelSums(gy, batch: n, channels: outChannels, spatial: geo.positions) }
                return hasBias ? [gx, gw, gb] : [gx, gw]
            }
        }
        return unbatched ? try out.squeeze(0) : out
    }
}
