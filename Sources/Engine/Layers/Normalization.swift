/// Normalization layers (PyTorch's `batch_norm`, `group_norm`, `instance_norm`, `layer_norm`):
/// statistics in Double, a fused forward (normalize + affine in one pass) and a fused backward
/// from the saved per-block mean and inverse standard deviation. Variances used to normalize
/// are biased (divide by the count), as in PyTorch. Inputs must be non-empty.
extension Functional {
    /// Batch normalization over (N, C, *) input: per channel, statistics over the batch and all
    /// trailing dims. In `training` it normalizes with the batch statistics and, when running
    /// stats are given, updates them IN PLACE: `running = (1 − momentum)·running + momentum·stat`
    /// with the unbiased variance. Otherwise it normalizes with `runningMean`/`runningVar`
    /// (required). `weight`/`bias` (C) are the optional affine scale and shift. Running stats
    /// get no gradient.
    ///
    ///     batchNorm((32,16,8,8), runningMean: m, runningVar: v, weight: g, bias: b, training: true)
    public static func batchNorm(_ input: Tensor, runningMean: Tensor?, runningVar: Tensor?, weight: Tensor? = nil,
                                 bias: Tensor? = nil, training: Bool = false, momentum: Double = 0.1,
                                 eps: Double = 1e-5) throws -> Tensor {
        let op = "batch_norm"
        guard input.rank >= 2 else {
            throw EngineError(op, "expected input (N,C,...) with at least 2 dims; got shape \(shapeString(input.shape))")
        }
        try requireFloat(input, "input", op: op)
        guard input.numel > 0 else { throw EngineError(op, "expected a non-empty input; got shape \(shapeString(input.shape))") }
        let n = input.shape[0], channels = input.shape[1]
        let spatial = input.shape.dropFirst(2).reduce(1, *), count = n * spatial
        try requireParameter(weight, "weight", shape: [channels], like: input, op: op, context: " (one per channel)")
        try requireParameter(bias, "bias", shape: [channels], like: input, op: op, context: " (one per channel)")
        guard (runningMean == nil) == (runningVar == nil) else {
            throw EngineError(op, "running_mean and running_var must be given together; got only \(runningMean == nil ? "running_var" : "running_mean")")
        }
        for (t, name) in [(runningMean, "running_mean"), (runningVar, "running_var")] {
            guard let t else { continue }
            guard t.shape == [channels], t.dtype.isFloatingPoint else {
                throw EngineError(op, "expected \(name) of shape (\(channels)) and a floating point dtype; got \(t.dtype) \(shapeString(t.shape))")
            }
            if training && t.requiresGrad {
                throw EngineError(op, "\(name) is updated in place and must not require grad")
            }
        }
        guard eps >= 0 && eps.isFinite else { throw EngineError(op, "eps must be a non-negative number; got \(eps)") }
        let x = try dense(input)
        var mean = [Double](repeating: 0, count: channels), invstd = mean
        if training {
            guard count > 1 else {
                throw EngineError(op, "expected more than 1 value per channel when training; got input \(shapeString(input.shape))")
            }
            var variance = mean
            try NormKernels.channelStats(x, batch: n, channels: channels, spatial: spatial, mean: &mean, variance: &variance, op: op)
            for c in 0..<channels { invstd[c] = 1 / (variance[c] + eps).squareRoot() }
            if let rm = runningMean, let rv = runningVar {
                let unbias = Double(count) / Double(count - 1)
                try NormKernels.updateRunning(rm, batch: mean, momentum: momentum)
                try NormKernels.updateRunning(rv, batch: variance.map { $0 * unbias }, momentum: momentum)
            }
        } else {
            guard let rm = runningMean, let rv = runningVar else {
                throw EngineError(op, "running_mean and running_var are required in evaluation mode (training=false)")
            }
            mean = try rm.toDoubles()
            invstd = try rv.toDoubles().map { 1 / ($0 + eps).squareRoot() }
        }
        let w = try weight.map(dense), b = try bias.map(dense)
        let out = try NormKernels.channelAffine(x, batch: n, channels: channels, spatial: spatial, mean: mean, invstd: invstd,
                                                weight: w, bias: b, op: op)
        let inputs = [input] + (weight.map { [$0] } ?? []) + (bias.map { [$0] } ?? [])
        if Tensor.needsGrad(inputs) {
            let xs = x.detach(), ws = w?.detach()
            let wantX = input.requiresGrad, wantW = weight?.requiresGrad ?? false, wantB = bias?.requiresGrad ?? false
            let hasW = weight != nil, hasB = bias != nil
            out.recording(op, inputs) { g in
                let gy = try dense(g.converted(xs.dtype))
                let r = try NormKernels.channelBackward(xs, gy, batch: n, channels: channels, spatial: spatial, mean: mean,
                                                        invstd: invstd, weight: ws, batchStats: training, wantInput: wantX,
                                                        wantAffine: wantW || wantB, op: op)
                var grads: [Tensor?] = [r.input]
                if hasW { grads.append(wantW ? r.weight : nil) }
                if hasB { grads.append(wantB ? r.bias : nil) }
                return grads
            }
        }
        return out
    }

    /// Group normalization over (N, C, *) input: channels split into `groups` groups, each
    /// (sample, group) normalized over its channels and trailing dims; optional per-channel
    /// `weight`/`bias` (C).
    ///
    ///     groupNorm((8,32,16,16), groups: 8, weight: g, bias: b)
    public static func groupNorm(_ input: Tensor, groups: Int, weight: Tensor? = nil, bias: Tensor? = nil,
                                 eps: Double = 1e-5) throws -> Tensor {
        let op = "group_norm"
        guard input.rank >= 2 else {
            throw EngineError(op, "expected input (N,C,...) with at least 2 dims; got shape \(shapeString(input.shape))")
        }
        let channels = input.shape[1]
        guard groups >= 1 && channels % groups == 0 else {
            throw EngineError(op, "expected channels C=\(channels) divisible by groups=\(groups) (groups positive); got input \(shapeString(input.shape))")
        }
        return try groupNormalize(op: op, input, groups: groups, weight: weight, bias: bias, eps: eps)
    }

    /// Instance normalization over (N, C, *) input: every (sample, channel) normalized over its
    /// trailing dims (group norm with one channel per group), with optional per-channel
    /// `weight`/`bias`. Always uses the instance statistics (no running stats).
    public static func instanceNorm(_ input: Tensor, weight: Tensor? = nil, bias: Tensor? = nil,
                                    eps: Double = 1e-5) throws -> Tensor {
        let op = "instance_norm"
        guard input.rank >= 3 else {
            throw EngineError(op, "expected input (N,C,...) with at least 3 dims; got shape \(shapeString(input.shape))")
        }
        return try groupNormalize(op: op, input, groups: input.shape[1], weight: weight, bias: bias, eps: eps)
    }

    private static func groupNormalize(op: String, _ input: Tensor, groups: Int, weight: Tensor?, bias: Tensor?,
                                       eps: Double) throws -> Tensor {
        try requireFloat(input, "input", op: op)
        let n = input.shape[0], channels = input.shape[1]
        let spatial = input.shape.dropFirst(2).reduce(1, *)
        try requireParameter(weight, "weight", shape: [channels], like: input, op: op, context: " (one per channel)")
        try requireParameter(bias, "bias", shape: [channels], like: input, op: op, context: " (one per channel)")
        guard eps >= 0 && eps.isFinite else { throw EngineError(op, "eps must be a non-negative number; got \(eps)") }
        guard input.numel > 0 else { throw EngineError(op, "expected a non-empty input; got shape \(shapeString(input.shape))") }
        let x = try dense(input), w = try weight.map(dense), b = try bias.map(dense)
        let layout = NormKernels.Blocks(count: n * groups, size: channels / groups * spatial, segment: spatial,
                                        segmentsPerBlock: channels / groups, parameters: channels)
        let (out, mean, invstd) = try NormKernels.blockForward(x, layout, eps: eps, weight: w, bias: b, op: op)
        let inputs = [input] + (weight.map { [$0] } ?? []) + (bias.map { [$0] } ?? [])
        if Tensor.needsGrad(inputs) {
            let xs = x.detach(), ws = w?.detach()
            let wantX = input.requiresGrad, wantW = weight?.requiresGrad ?? false, wantB = bias?.requiresGrad ?? false
            let hasW = weight != nil, hasB = bias != nil
            out.recording(op, inputs) { g in
                let gy = try dense(g.converted(xs.dtype))
                let r = try NormKernels.blockBackward(xs, gy, layout, mean: mean, invstd: invstd, weight: ws,
                                                      wantInput: wantX, wantAffine: wantW || wantB, op: op)
                var grads: [Tensor?] = [r.input]
                if hasW { grads.append(wantW ? r.weight : nil) }
                if hasB { grads.append(wantB ? r.bias : nil) }
                return grads
            }
        }
        return out
    }

    /// Layer normalization over the trailing dims `normalizedShape` (which must end the input's
    /// shape), with optional elementwise `weight`/`bias` of that shape.
    ///
    ///     layerNorm((4,10,64), normalizedShape: [64], weight: g, bias: b)
    public static func layerNorm(_ input: Tensor, normalizedShape: [Int], weight: Tensor? = nil, bias: Tensor? = nil,
                                 eps: Double = 1e-5) throws -> Tensor {
        let op = "layer_norm"
        try requireFloat(input, "input", op: op)
        let k = normalizedShape.count
        guard k >= 1 && k <= input.rank && Array(input.shape.suffix(k)) == normalizedShape else {
            throw EngineError(op, "expected input with trailing dims \(shapeString(normalizedShape)) (normalized shape, at least one dim); got input \(shapeString(input.shape))")
        }
        try requireParameter(weight, "weight", shape: normalizedShape, like: input, op: op, context: " (the normalized shape)")
        try requireParameter(bias, "bias", shape: normalizedShape, like: input, op: op, context: " (the normalized shape)")
        guard eps >= 0 && eps.isFinite else { throw EngineError(op, "eps must be a non-negative number; got \(eps)") }
        let size = normalizedShape.reduce(1, *)
        guard input.numel > 0 else { throw EngineError(op, "expected a non-empty input; got shape \(shapeString(input.shape))") }
        let rows = input.numel / size
        let x = try dense(input), w = try weight.map(dense), b = try bias.map(dense)
        let layout = NormKernels.Blocks(count: rows, size: size, segment: 1, segmentsPerBlock: size, parameters: size)
        let (out, mean, invstd) = try NormKernels.blockForward(x, layout, eps: eps, weight: w, bias: b, op: op)
        let inputs = [input] + (weight.map { [$0] } ?? []) + (bias.map { [$0] } ?? [])
        if Tensor.needsGrad(inputs) {
            let xs = x.detach(), ws = w?.detach()
            let wantX = input.requiresGrad, wantW = weight?.requiresGrad ?? false, wantB = bias?.requiresGrad ?? false
            let hasW = weight != nil, hasB = bias != nil, wShape = normalizedShape
            out.recording(op, inputs) { g in
                let gy = try dense(g.converted(xs.dtype))
                let r = try NormKernels.blockBackward(xs, gy, layout, mean: mean, invstd: invstd, weight: ws,
                                                      wantInput: wantX, wantAffine: wantW || wantB, op: op)
                var grads: [Tensor?] = [r.input]
                if hasW { grads.append(wantW ? try r.weight?.reshape(wShape) : nil) }
                if hasB { grads.append(wantB ? try r.bias?.reshape(wShape) : nil) }
                return grads
            }
        }
        return out
    }
}

/// The loops behind the normalization layers.
enum NormKernels {
    /// Per-channel mean and biased variance of a dense (N, C, S) tensor (two passes, Double).
    static func channelStats(_ x: Tensor, batch n: Int, channels: Int, spatial: Int,
                             mean: inout [Double], variance: inout [Double], op: String) throws {
        func run<T: FloatElement>(_: T.Type, _ pm: UnsafeMutablePointer<Double>, _ pv: UnsafeMutablePointer<Double>) throws {
            let px = x.pointer(T.self)
            let count = Double(n * spatial)
            try Functional.forItems(channels, work: n * channels * spatial, op: op) { range in
                for c in range {
                    var s = 0.0
                    for b in 0..<n { s += Lanes.sum(px + (b * channels + c) * spatial, spatial) }
                    let m = s / count
                    var q = 0.0
                    for b in 0..<n { q += Lanes.squaredDeviation(px + (b * channels + c) * spatial, spatial, mean: m) }
                    pm[c] = m
                    pv[c] = q / count
                }
            }
        }
        try mean.withUnsafeMutableBufferPointer { pm in
            try variance.withUnsafeMutableBufferPointer { pv in
                if x.dtype == .float32 { try run(Float.self, pm.baseAddress!, pv.baseAddress!) }
                else { try run(Double.self, pm.baseAddress!, pv.baseAddress!) }
            }
        }
    }

    /// running ← (1 − momentum)·running + momentum·batch, in place, any float dtype and stride.
    static func updateRunning(_ t: Tensor, batch: [Double], momentum: Double) throws {
        func run<T: FloatElement>(_: T.Type) {
            let p = t.pointer(T.self), s = t.strides[0]
            for c in 0..<batch.count {
                p[c * s] = T((1 - momentum) * Double(p[c * s]) + momentum * batch[c])
            }
        }
        if t.dtype == .float32 { run(Float.self) } else { run(Double.self) }
        t.storage.bumpVersion()
    }

    /// y = (x − mean[c])·invstd[c]·w[c] + b[c] over a dense (N, C, S) tensor.
    static func channelAffine(_ x: Tensor, batch n: Int, channels: Int, spatial: Int, mean: [Double], invstd: [Double],
                              weight: Tensor?, bias: Tensor?, op: String) throws -> Tensor {
        let out = try Tensor(shape: x.shape, dtype: x.dtype, zeroed: false, op: op)
        func run<T: FloatElement>(_: T.Type) throws {
            let px = x.pointer(T.self), po = out.pointer(T.self)
            let pw = weight?.pointer(T.self), pb = bias?.pointer(T.self)
            var scale = [T](repeating: 0, count: channels), shift = scale
            for c in 0..<channels {
                let sc = invstd[c] * (pw.map { Double($0[c]) } ?? 1)
                scale[c] = T(sc)
                shift[c] = T((pb.map { Double($0[c]) } ?? 0) - mean[c] * sc)
            }
            try scale.withUnsafeBufferPointer { sp in
                try shift.withUnsafeBufferPointer { hp in
                    try Functional.forItems(n * channels, work: n * channels * spatial, op: op) { range in
                        for r in range {
                            let c = r % channels, a = sp[c], b = hp[c]
                            let src = px + r * spatial, dst = po + r * spatial
                            for i in 0..<spatial { dst[i] = src[i] * a + b }
                        }
                    }
                }
            }
        }
        if x.dtype == .float32 { try run(Float.self) } else { try run(Double.self) }
        return out
    }

    /// Gradients of batch norm. With batch statistics:
    /// gx = w·invstd·(g − mean(g) − x̂·mean(g·x̂)); with running statistics gx = w·invstd·g.
    /// gw = Σ g·x̂, gb = Σ g per channel.
    static func channelBackward(_ x: Tensor, _ g: Tensor, batch n: Int, channels: Int, spatial: Int, mean: [Double],
                                invstd: [Double], weight: Tensor?, batchStats: Bool, wantInput: Bool, wantAffine: Bool,
                                op: String) throws -> (input: Tensor?, weight: Tensor?, bias: Tensor?) {
        let gx = wantInput ? try Tensor(shape: x.shape, dtype: x.dtype, zeroed: false, op: op) : nil
        var sumG = [Double](repeating: 0, count: channels), sumGX = sumG
        func run<T: FloatElement>(_: T.Type, _ psg: UnsafeMutablePointer<Double>, _ psx: UnsafeMutablePointer<Double>) throws {
            let px = x.pointer(T.self), pg = g.pointer(T.self), po = gx?.pointer(T.self)
            let pw = weight?.pointer(T.self)
            let count = Double(n * spatial)
            try Functional.forItems(channels, work: 2 * n * channels * spatial, op: op) { range in
                for c in range {
                    let m = mean[c], istd = invstd[c]
                    var sg = 0.0, sgx = 0.0
                    for b in 0..<n {
                        let o = (b * channels + c) * spatial
                        let (a, d) = Lanes.sumAndDot(pg + o, px + o, spatial, mean: m)
                        sg += a
                        sgx += d
                    }
                    sgx *= istd   // Σ g·x̂
                    psg[c] = sg
                    psx[c] = sgx
                    guard let po else { continue }
                    let w = pw.map { Double($0[c]) } ?? 1
                    let k = T(w * istd)
                    if batchStats {
                        let mg = T(sg / count), proj = T(sgx / count * istd), mt = T(m)
                        for b in 0..<n {
                            let o = (b * channels + c) * spatial
                            let xr = px + o, gr = pg + o, dst = po + o
                            // x̂·mean(g·x̂) = (x − m)·istd·(Σg·x̂ / count)
                            for i in 0..<spatial { dst[i] = k * (gr[i] - mg - (xr[i] - mt) * proj) }
                        }
                    } else {
                        for b in 0..<n {
                            let o = (b * channels + c) * spatial
                            let gr = pg + o, dst = po + o
                            for i in 0..<spatial { dst[i] = k * gr[i] }
                        }
                    }
                }
            }
        }
        try sumG.withUnsafeMutableBufferPointer { psg in
            try sumGX.withUnsafeMutableBufferPointer { psx in
                if x.dtype == .float32 { try run(Float.self, psg.baseAddress!, psx.baseAddress!) }
                else { try run(Double.self, psg.baseAddress!, psx.baseAddress!) }
            }
        }
        guard wantAffine else { return (gx, nil, nil) }
        let gw = try Tensor(sumGX, shape: [channels], dtype: x.dtype)
        let gb = try Tensor(sumG, shape: [channels], dtype: x.dtype)
        return (gx, gw, gb)
    }

    /// Contiguous blocks normalized independently (a group of one sample, or a row). Each block
    /// is `segmentsPerBlock` segments of `segment` elements sharing one affine parameter; block
    /// b's segment j uses parameter `(b·segmentsPerBlock + j) % parameters`.
    struct Blocks: Sendable {
        let count: Int, size: Int, segment: Int, segmentsPerBlock: Int, parameters: Int

        /// Layer norm's layout: each block one row with its own parameter per element.
        var isRows: Bool { segment == 1 && segmentsPerBlock == size && parameters == size && size > 0 }
    }

    /// Normalizes every block of a dense tensor and applies the optional affine parameters.
    /// Returns the output and each block's mean and inverse standard deviation.
    static func blockForward(_ x: Tensor, _ l: Blocks, eps: Double, weight: Tensor?, bias: Tensor?,
                             op: String) throws -> (Tensor, [Double], [Double]) {
        let out = try Tensor(shape: x.shape, dtype: x.dtype, zeroed: false, op: op)
        var mean = [Double](repeating: 0, count: l.count), invstd = mean
        if l.isRows && x.dtype == .float32 {
            try mean.withUnsafeMutableBufferPointer { pm in
                try invstd.withUnsafeMutableBufferPointer { pi in
                    try RowNormKernels.forward(x.pointer(Float.self), out.pointer(Float.self), rows: l.count, n: l.size, eps: eps,
                                               weight: weight.map { UnsafePointer($0.pointer(Float.self)) },
                                               bias: bias.map { UnsafePointer($0.pointer(Float.self)) },
                                               mean: pm.baseAddress!, invstd: pi.baseAddress!, op: op)
                }
            }
            return (out, mean, invstd)
        }
        func run<T: FloatElement>(_: T.Type, _ pm: UnsafeMutablePointer<Double>, _ pi: UnsafeMutablePointer<Double>) throws {
            let px = x.pointer(T.self), po = out.pointer(T.self)
            let pw = weight?.pointer(T.self), pb = bias?.pointer(T.self)
            try Functional.forItems(l.count, work: l.count * l.size, op: op) { range in
                for blk in range where !Interrupt.isRequested {
                    let src = px + blk * l.size, dst = po + blk * l.size
                    let m = Lanes.sum(src, l.size) / Double(l.size)
                    let q = Lanes.squaredDeviation(src, l.size, mean: m)
                    let istd = 1 / (q / Double(l.size) + eps).squareRoot()
                    pm[blk] = m
                    pi[blk] = istd
                    let mt = T(m), it = T(istd)
                    if l.segment == 1 {
                        // Per-element parameters (layer norm).
                        let base = (blk * l.segmentsPerBlock) % l.parameters
                        for i in 0..<l.size {
                            var v = (src[i] - mt) * it
                            if let pw { v *= pw[base + i] }
                            if let pb { v += pb[base + i] }
                            dst[i] = v
                        }
                    } else {
                        for j in 0..<l.segmentsPerBlock {
                            let p = (blk * l.segmentsPerBlock + j) % l.parameters
                            let a = it * (pw?[p] ?? 1), b = (pb?[p] ?? 0) - mt * a
                            let s0 = src + j * l.segment, d0 = dst + j * l.segment
                            for i in 0..<l.segment { d0[i] = s0[i] * a + b }
                        }
                    }
                }
            }
        }
        try mean.withUnsafeMutableBufferPointer { pm in
            try invstd.withUnsafeMutableBufferPointer { pi in
                if x.dtype == .float32 { try run(Float.self, pm.baseAddress!, pi.baseAddress!) }
                else { try run(Double.self, pm.baseAddress!, pi.baseAddress!) }
            }
        }
        return (out, mean, invstd)
    }

    /// Gradients of `blockForward`: per block, with gy = g·w,
    /// gx = invstd·(gy − mean(gy) − x̂·mean(gy·x̂)); per parameter gw = Σ g·x̂, gb = Σ g, summed
    /// over blocks in order.
    static func blockBackward(_ x: Tensor, _ g: Tensor, _ l: Blocks, mean: [Double], invstd: [Double], weight: Tensor?,
                              wantInput: Bool, wantAffine: Bool, op: String) throws -> (input: Tensor?, weight: Tensor?, bias: Tensor?) {
        let gx = wantInput ? try Tensor(shape: x.shape, dtype: x.dtype, zeroed: false, op: op) : nil
        if l.isRows && x.dtype == .float32 {
            var sums = [Double](repeating: 0, count: wantAffine ? 2 * l.size : 0)
            try sums.withUnsafeMutableBufferPointer { ps in
                let affine = wantAffine ? (gw: ps.baseAddress!, gb: ps.baseAddress! + l.size) : nil
                try RowNormKernels.backward(x.pointer(Float.self), g.pointer(Float.self), rows: l.count, n: l.size,
                                            weight: weight.map { UnsafePointer($0.pointer(Float.self)) }, mean: mean,
                                            invstd: invstd, gx: gx?.pointer(Float.self), affine: affine, op: op)
            }
            guard wantAffine else { return (gx, nil, nil) }
            return (gx, try Tensor(Array(sums[0..<l.size]), shape: [l.size], dtype: x.dtype),
                    try Tensor(Array(sums[l.size...]), shape: [l.size], dtype: x.dtype))
        }
        // Per (block, segment) partial sums of g and g·x̂, reduced over blocks afterwards.
        // (Layer norm, one element per segment, sums its columns directly below instead.)
        let perElement = l.segment == 1
        let partialCount = wantAffine && !perElement ? l.count * l.segmentsPerBlock : 0
        var partG = [Double](repeating: 0, count: partialCount), partGX = partG
        func run<T: FloatElement>(_: T.Type, _ qg: UnsafeMutablePointer<Double>?, _ qx: UnsafeMutablePointer<Double>?) throws {
            let px = x.pointer(T.self), pg = g.pointer(T.self), po = gx?.pointer(T.self)
            let pw = weight?.pointer(T.self)
            try Functional.forItems(l.count, work: 2 * l.count * l.size, op: op) { range in
                for blk in range where !Interrupt.isRequested {
                    let xs = px + blk * l.size, gs = pg + blk * l.size
                    let m = mean[blk], istd = invstd[blk]
                    // Σ gy and Σ gy·x̂ over the block (for gx), and per-segment Σ g, Σ g·x̂ (for gw, gb).
                    var sgy = 0.0, sgyx = 0.0
                    for j in 0..<l.segmentsPerBlock {
                        let p = (blk * l.segmentsPerBlock + j) % l.parameters
                        let o = j * l.segment
                        var sg = 0.0, sgx = 0.0
                        if l.segment == 1 {
                            let gv = Double(gs[o]), xh = (Double(xs[o]) - m) * istd
                            sg = gv; sgx = gv * xh
                        } else {
                            (sg, sgx) = Lanes.sumAndDot(gs + o, xs + o, l.segment, mean: m)
                            sgx *= istd
                        }
                        let w = pw.map { Double($0[p]) } ?? 1
                        sgy += w * sg
                        sgyx += w * sgx
                        if let qg, let qx {
                            qg[blk * l.segmentsPerBlock + j] = sg
                            qx[blk * l.segmentsPerBlock + j] = sgx
                        }
                    }
                    guard let po else { continue }
                    let count = Double(l.size)
                    let mgy = T(sgy / count), proj = T(sgyx / count), mt = T(m), it = T(istd)
                    let dst = po + blk * l.size
                    for j in 0..<l.segmentsPerBlock {
                        let p = (blk * l.segmentsPerBlock + j) % l.parameters
                        let w = pw?[p] ?? 1
                        let o = j * l.segment
                        for i in o..<(o + l.segment) {
                            let xh = (xs[i] - mt) * it
                            dst[i] = it * (w * gs[i] - mgy - xh * proj)
                        }
                    }
                }
            }
        }
        try partG.withUnsafeMutableBufferPointer { qg in
            try partGX.withUnsafeMutableBufferPointer { qx in
                // (An empty array's base address may be non-nil; never hand it out.)
                let a = partialCount > 0 ? qg.baseAddress : nil, b = partialCount > 0 ? qx.baseAddress : nil
                if x.dtype == .float32 { try run(Float.self, a, b) } else { try run(Double.self, a, b) }
            }
        }
        guard wantAffine else { return (gx, nil, nil) }
        var gw = [Double](repeating: 0, count: l.parameters), gb = gw
        if perElement {
            try columnSums(x, g, l, mean: mean, invstd: invstd, gw: &gw, gb: &gb, op: op)
        } else {
            for blk in 0..<l.count {
                for j in 0..<l.segmentsPerBlock {
                    let p = (blk * l.segmentsPerBlock + j) % l.parameters
                    gb[p] += partG[blk * l.segmentsPerBlock + j]
                gw[p] += partGX[blk * l.segmentsPerBlock + j]
                }
            }
        }
        return (gx, try Tensor(gw, shape: [l.parameters], dtype: x.dtype), try Tensor(gb, shape: [l.parameters], dtype: x.dtype))
    }

    /// Layer norm's parameter gradients: gw[j] = Σᵣ g[r,j]·x̂[r,j], gb[j] = Σᵣ g[r,j], rows in
    /// order, split over column ranges.
    static func columnSums(_ x: Tensor, _ g: Tensor, _ l: Blocks, mean: [Double], invstd: [Double],
                           gw: inout [Double], gb: inout [Double], op: String) throws {
        func run<T: FloatElement>(_: T.Type, _ pw: UnsafeMutablePointer<Double>, _ pb: UnsafeMutablePointer<Double>) throws {
            let px = x.pointer(T.self), pg = g.pointer(T.self)
            try Functional.forItems(l.size, work: 2 * l.count * l.size, op: op) { cols in
                for r in 0..<l.count {
                    let xr = px + r * l.size, gr = pg + r * l.size, m = mean[r], istd = invstd[r]
                    for j in cols {
                        let gv = Double(gr[j])
                        pb[j] += gv
                        pw[j] += gv * (Double(xr[j]) - m) * istd
                    }
                }
            }
        }
        try gw.withUnsafeMutableBufferPointer { pw in
            try gb.withUnsafeMutableBufferPointer { pb in
                if x.dtype == .float32 { try run(Float.self, pw.baseAddress!, pb.baseAddress!) }
                else { try run(Double.self, pw.baseAddress!, pb.baseAddress!) }
            }
        }
    }
}
