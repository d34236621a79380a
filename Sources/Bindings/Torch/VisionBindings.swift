import CLua
import CLuaShim
import Engine

/// The vision and normalization kernels in Lua conventions, installed as `vision_internal.*`
/// and exposed by `lumen/nn/functional` under PyTorch's names (`nn.functional.conv2d`, ...).
/// Tensors come positionally, then one options table; sizes are a number or a `{h, w}` table;
/// padding may also be `"same"`/`"valid"`; returned max-pool indices count from 1.
///
///     F.conv2d(x, w, b, {stride = 2, padding = 1, groups = 2})
///     local y, idx = F.max_pool2d(x, 2, {return_indices = true})
enum VisionBindings {
    static let bindings: [BindingEntry] = convolution + pooling + normalization + resampling + [flip]

    private static func vision(_ name: String, _ f: @escaping Binding) -> BindingEntry {
        BindingEntry(.namespace("vision_internal", name), f)
    }

    // MARK: convolution

    static let convolution: [BindingEntry] = [
        vision("conv2d") { lua in
            let op = "conv2d"
            let x = try lua.tensor(1, op), w = try lua.tensor(2, op)
            let (tensors, o) = try VisionArgs.tensorsThenOptions(lua, from: 3, count: 1, op, names: ["bias"])
            try VisionArgs.checkOptions(lua, o, op, ["stride", "padding", "dilation", "groups"])
            let stride = try VisionArgs.optionPair(lua, o, "stride", op) ?? (1, 1)
            let dilation = try VisionArgs.optionPair(lua, o, "dilation", op) ?? (1, 1)
            let groups = try lua.optionInteger(o, "groups", op) ?? 1
            switch try VisionArgs.padding(lua, o, op) {
            case .same:
                guard stride == (1, 1) else {
                    throw EngineError(op, "padding \"same\" needs stride 1; got stride \(VisionArgs.pairText(stride))")
                }
                lua.push(try Functional.conv2dSame(x, w, bias: tensors[0], dilation: dilation, groups: groups))
            case .explicit(let p):
                lua.push(try Functional.conv2d(x, w, bias: tensors[0], stride: stride, padding: p, dilation: dilation,
                                               groups: groups))
            }
            return 1
        },
        vision("conv1d") { lua in
            let op = "conv1d"
            let x = try lua.tensor(1, op), w = try lua.tensor(2, op)
            let (tensors, o) = try VisionArgs.tensorsThenOptions(lua, from: 3, count: 1, op, names: ["bias"])
            try VisionArgs.checkOptions(lua, o, op, ["stride", "padding", "dilation", "groups"])
            let stride = try VisionArgs.optionSingle(lua, o, "stride", op) ?? 1
            let dilation = try VisionArgs.optionSingle(lua, o, "dilation", op) ?? 1
            let groups = try lua.optionInteger(o, "groups", op) ?? 1
            switch try VisionArgs.padding(lua, o, op, single: true) {
            case .same:
                guard stride == 1 else { throw EngineError(op, "padding \"same\" needs stride 1; got stride \(stride)") }
                lua.push(try Functional.conv1dSame(x, w, bias: tensors[0], dilation: dilation, groups: groups))
            case .explicit(let p):
                lua.push(try Functional.conv1d(x, w, bias: tensors[0], stride: stride, padding: p.0, dilation: dilation,
                                               groups: groups))
            }
            return 1
        },
        vision("conv_transpose2d") { lua in
            let op = "conv_transpose2d"
            let x = try lua.tensor(1, op), w = try lua.tensor(2, op)
            let (tensors, o) = try VisionArgs.tensorsThenOptions(lua, from: 3, count: 1, op, names: ["bias"])
            try VisionArgs.checkOptions(lua, o, op, ["stride", "padding", "output_padding", "dilation", "groups"])
            lua.push(try Functional.convTranspose2d(
                x, w, bias: tensors[0], stride: VisionArgs.optionPair(lua, o, "stride", op) ?? (1, 1),
                padding: VisionArgs.optionPair(lua, o, "padding", op) ?? (0, 0),
                outputPadding: VisionArgs.optionPair(lua, o, "output_padding", op) ?? (0, 0),
                dilation: VisionArgs.optionPair(lua, o, "dilation", op) ?? (1, 1), groups: lua.optionInteger(o, "groups", op) ?? 1))
            return 1
        },
        vision("unfold") { lua in
            let op = "unfold"
            let x = try lua.tensor(1, op)
            let (kernel, o) = try VisionArgs.sizeThenOptions(lua, 2, "kernel_size", op)
            try VisionArgs.checkOptions(lua, o, op, ["kernel_size", "dilation", "padding", "stride"])
            lua.push(try Functional.unfold(x, kernel: kernel, dilation: VisionArgs.optionPair(lua, o, "dilation", op) ?? (1, 1),
                                           padding: VisionArgs.optionPair(lua, o, "padding", op) ?? (0, 0),
                                           stride: VisionArgs.optionPair(lua, o, "stride", op) ?? (1, 1)))
            return 1
        },
        vision("fold") { lua in
            let op = "fold"
            let x = try lua.tensor(1, op)
            let outputSize = try VisionArgs.pair(lua, 2, op, "output_size")
            let (kernel, o) = try VisionArgs.sizeThenOptions(lua, 3, "kernel_size", op)
            try VisionArgs.checkOptions(lua, o, op, ["kernel_size", "dilation", "padding", "stride"])
            lua.push(try Functional.fold(x, outputSize: outputSize, kernel: kernel,
                                         dilation: VisionArgs.optionPair(lua, o, "dilation", op) ?? (1, 1),
                                         padding: VisionArgs.optionPair(lua, o, "padding", op) ?? (0, 0),
                                         stride: VisionArgs.optionPair(lua, o, "stride", op) ?? (1, 1)))
            return 1
        },
    ]

    // MARK: pooling

    static let pooling: [BindingEntry] = [
        vision("max_pool2d") { lua in
            let op = "max_pool2d"
            let x = try lua.tensor(1, op)
            let (kernel, o) = try VisionArgs.sizeThenOptions(lua, 2, "kernel_size", op)
            try VisionArgs.checkOptions(lua, o, op, ["kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"])
            let (values, indices) = try Functional.maxPool2d(
                x, kernel: kernel, stride: VisionArgs.optionPair(lua, o, "stride", op),
                padding: VisionArgs.optionPair(lua, o, "padding", op) ?? (0, 0),
                dilation: VisionArgs.optionPair(lua, o, "dilation", op) ?? (1, 1), ceilMode: lua.optionBool(o, "ceil_mode") ?? false)
            lua.push(values)
            guard lua.optionBool(o, "return_indices") ?? false else { return 1 }
            lua.push(try Bind.oneBased(indices))
            return 2
        },
        vision("avg_pool2d") { lua in
            let op = "avg_pool2d"
            let x = try lua.tensor(1, op)
            let (kernel, o) = try VisionArgs.sizeThenOptions(lua, 2, "kernel_size", op)
            try VisionArgs.checkOptions(lua, o, op, ["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
                                               "divisor_override"])
            lua.push(try Functional.avgPool2d(
                x, kernel: kernel, stride: VisionArgs.optionPair(lua, o, "stride", op),
                padding: VisionArgs.optionPair(lua, o, "padding", op) ?? (0, 0), ceilMode: lua.optionBool(o, "ceil_mode") ?? false,
                countIncludePad: lua.optionBool(o, "count_include_pad") ?? true,
                divisorOverride: lua.optionInteger(o, "divisor_override", op)))
            return 1
        },
        vision("adaptive_avg_pool2d") { lua in
            let op = "adaptive_avg_pool2d"
            let x = try lua.tensor(1, op)
            let (size, o) = try VisionArgs.sizeThenOptions(lua, 2, "output_size", op)
            try VisionArgs.checkOptions(lua, o, op, ["output_size"])
            lua.push(try Functional.adaptiveAvgPool2d(x, outputSize: size))
            return 1
        },
    ]

    // MARK: normalization

    static let normalization: [BindingEntry] = [
        vision("batch_norm") { lua in
            let op = "batch_norm"
            let x = try lua.tensor(1, op)
            let (t, o) = try VisionArgs.tensorsThenOptions(lua, from: 2, count: 4, op,
                                                     names: ["running_mean", "running_var", "weight", "bias"])
            try VisionArgs.checkOptions(lua, o, op, ["training", "momentum", "eps"])
            lua.push(try Functional.batchNorm(x, runningMean: t[0], runningVar: t[1], weight: t[2], bias: t[3],
                                              training: lua.optionBool(o, "training") ?? false,
                                              momentum: lua.optionNumber(o, "momentum", op) ?? 0.1,
                                              eps: lua.optionNumber(o, "eps", op) ?? 1e-5))
            return 1
        },
        vision("group_norm") { lua in
            let op = "group_norm"
            let x = try lua.tensor(1, op)
            let groups = try lua.integer(2, op, "num_groups")
            let (t, o) = try VisionArgs.tensorsThenOptions(lua, from: 3, count: 2, op, names: ["weight", "bias"])
            try VisionArgs.checkOptions(lua, o, op, ["eps"])
            lua.push(try Functional.groupNorm(x, groups: groups, weight: t[0], bias: t[1],
                                              eps: lua.optionNumber(o, "eps", op) ?? 1e-5))
            return 1
        },
        vision("instance_norm") { lua in
            let op = "instance_norm"
            let x = try lua.tensor(1, op)
            let (t, o) = try VisionArgs.tensorsThenOptions(lua, from: 2, count: 4, op,
                                                     names: ["running_mean", "running_var", "weight", "bias"])
            try VisionArgs.checkOptions(lua, o, op, ["use_input_stats", "momentum", "eps"])
            lua.push(try instanceNorm(x, runningMean: t[0], runningVar: t[1], weight: t[2], bias: t[3],
                                      useInputStats: lua.optionBool(o, "use_input_stats") ?? true,
                                      momentum: lua.optionNumber(o, "momentum", op) ?? 0.1,
                                      eps: lua.optionNumber(o, "eps", op) ?? 1e-5))
            return 1
        },
        vision("layer_norm") { lua in
            let op = "layer_norm"
            let x = try lua.tensor(1, op)
            let shape: [Int]
            switch lua.type(2) {
            case LUA_TNUMBER: shape = [try lua.integer(2, op, "normalized_shape")]
            case LUA_TTABLE: shape = try lua.integerList(2, op, what: "normalized_shape")
            default:
                throw EngineError(op, "argument 2 (normalized_shape): expected a size or a table of sizes; got \(lua.typeName(2))")
            }
            guard !shape.isEmpty && shape.count <= x.rank && Array(x.shape.suffix(shape.count)) == shape else {
                throw EngineError(op, "input shape \(shapeString(x.shape)) does not end with normalized_shape (\(shape.map(String.init).joined(separator: ",")))")
            }
            let (t, o) = try VisionArgs.tensorsThenOptions(lua, from: 3, count: 2, op, names: ["weight", "bias"])
            try VisionArgs.checkOptions(lua, o, op, ["eps"])
            lua.push(try Functional.layerNorm(x, normalizedShape: shape, weight: t[0], bias: t[1],
                                              eps: lua.optionNumber(o, "eps", op) ?? 1e-5))
            return 1
        },
    ]

    /// PyTorch's `instance_norm`: per-(sample, channel) statistics; with running statistics
    /// they are updated from the batch average of the instance statistics (batch norm over
    /// the (1, N·C, ...) view, as PyTorch), and `useInputStats = false` normalizes with them.
    static func instanceNorm(_ x: Tensor, runningMean: Tensor?, runningVar: Tensor?, weight: Tensor?, bias: Tensor?,
                             useInputStats: Bool, momentum: Double, eps: Double) throws -> Tensor {
        let op = "instance_norm"
        guard x.rank >= 3 else {
            throw EngineError(op, "expected input (N,C,...) with at least 3 dims; got shape \(shapeString(x.shape))")
        }
        guard (runningMean == nil) == (runningVar == nil) else {
            throw EngineError(op, "running_mean and running_var must be given together")
        }
        guard let rm = runningMean, let rv = runningVar else {
            guard useInputStats else {
                throw EngineError(op, "running_mean and running_var are required when use_input_stats is false")
            }
            return try Functional.instanceNorm(x, weight: weight, bias: bias, eps: eps)
        }
        if !useInputStats {
            return try Functional.batchNorm(x, runningMean: rm, runningVar: rv, weight: weight, bias: bias,
                                            training: false, eps: eps)
        }
        let n = x.shape[0], c = x.shape[1]
        for (s, name) in [(rm, "running_mean"), (rv, "running_var")] {
            guard s.shape == [c] && s.dtype.isFloatingPoint else {
                throw EngineError(op, "expected \(name) of shape (\(c)) (one per channel) and a floating point dtype; got \(s.dtype) \(shapeString(s.shape))")
            }
            guard !s.requiresGrad else { throw EngineError(op, "\(name) is updated in place and must not require grad") }
        }
        func perSample(_ t: Tensor?) throws -> Tensor? {
            try t.map { try $0.unsqueeze(0).expand([n, c]).reshape([n * c]) }
        }
        let rmAll = try rm.detach().unsqueeze(0).expand([n, c]).contiguous().reshape([n * c])
        let rvAll = try rv.detach().unsqueeze(0).expand([n, c]).contiguous().reshape([n * c])
        let flat = try x.reshape([1, n * c] + Array(x.shape.dropFirst(2)))
        let y = try Functional.batchNorm(flat, runningMean: rmAll, runningVar: rvAll, weight: perSample(weight),
                                         bias: perSample(bias), training: true, momentum: momentum, eps: eps)
        try rm.assign(from: rmAll.reshape([n, c]).mean(dims: [0]))
        try rv.assign(from: rvAll.reshape([n, c]).mean(dims: [0]))
        return try y.reshape(x.shape)
    }

    // MARK: resampling and padding

    static let resampling: [BindingEntry] = [
        vision("interpolate") { lua in
            let op = "interpolate"
            let x = try lua.tensor(1, op)
            try VisionArgs.checkOptions(lua, 2, op, ["size", "scale_factor", "mode", "align_corners"])
            let mode = try lua.optionString(2, "mode", op) ?? "nearest"
            let size = try VisionArgs.optionPair(lua, 2, "size", op)
            let scale = try lua.withField(2, "scale_factor") { try VisionArgs.numberPair(lua, -1, op, "scale_factor") }
            let alignCorners = lua.optionBool(2, "align_corners")
            lua.push(try interpolate(x, mode: mode, size: size, scale: scale, alignCorners: alignCorners))
            return 1
        },
        vision("pad") { lua in
            let op = "pad"
            let x = try lua.tensor(1, op)
            guard lua.type(2) == LUA_TTABLE else {
                throw EngineError(op, "argument 2 (pad): expected a table of pad sizes (last dim first); got \(lua.typeName(2))")
            }
            let pads = try lua.integerList(2, op, what: "pad")
            var mode = "constant", value = 0.0
            if lua.type(3) == LUA_TSTRING {
                mode = try lua.string(3, op, "mode")
                value = try lua.optNumber(4, op, "value") ?? 0
            } else if !lua.isNoneOrNil(3) {
                try VisionArgs.checkOptions(lua, 3, op, ["mode", "value"])
                mode = try lua.optionString(3, "mode", op) ?? mode
                value = try lua.optionNumber(3, "value", op) ?? value
            }
            let padMode: PadMode
            switch mode {
            case "constant": padMode = .constant(value)
            case "reflect": padMode = .reflect
            case "replicate": padMode = .replicate
            case "circular": padMode = .circular
            default:
                throw EngineError(op, "mode must be \"constant\", \"reflect\", \"replicate\" or \"circular\"; got \"\(mode)\"")
            }
            if mode != "constant" && value != 0 {
                throw EngineError(op, "a padding value is only used with mode \"constant\"; got mode \"\(mode)\" and value \(value)")
            }
            lua.push(try Functional.pad(x, pads, mode: padMode))
            return 1
        },
        vision("warp_affine") { lua in
            let op = "warp_affine"
            let x = try lua.tensor(1, op)
            let theta = try lua.tensor(2, op)
            guard theta.shape.suffix(2) == [2, 3] else {
                throw EngineError(op, "expected affine matrices of shape (N,2,3) or (2,3); got \(shapeString(theta.shape))")
            }
            lua.push(try Functional.warpAffine2d(x, matrices: theta.toDoubles(), fill: lua.optNumber(3, op, "fill") ?? 0))
            return 1
        },
        vision("rotate") { lua in
            let op = "rotate"
            let x = try lua.tensor(1, op)
            let degrees: [Double]
            if let t = lua.optTensor(2) { degrees = try t.toDoubles() } else { degrees = [try lua.number(2, op, "degrees")] }
            lua.push(try Functional.rotate2d(x, degrees: degrees, fill: lua.optNumber(3, op, "fill") ?? 0))
            return 1
        },
    ]

    /// PyTorch's `interpolate` for (N,C,L) input (modes nearest, linear, area) and (N,C,H,W)
    /// input (nearest, bilinear, area), to `size` or by `scale` factors.
    static func interpolate(_ x: Tensor, mode: String, size: (Int, Int)?, scale: (Double, Double)?,
                            alignCorners: Bool?) throws -> Tensor {
        let op = "interpolate"
        guard x.rank == 3 || x.rank == 4 else {
            throw EngineError(op, "expected input (N,C,L) or (N,C,H,W); got shape \(shapeString(x.shape))")
        }
        let linear = x.rank == 3 ? "linear" : "bilinear"
        guard ["nearest", "area", linear].contains(mode) else {
            throw EngineError(op, "mode \"\(mode)\" is not supported for \(x.rank)-d input; expected \"nearest\", \"\(linear)\" or \"area\"")
        }
        if alignCorners != nil && mode != linear {
            throw EngineError(op, "align_corners can only be set with the interpolating modes linear and bilinear; got mode \"\(mode)\"")
        }
        guard (size == nil) != (scale == nil) else {
            throw EngineError(op, "expected exactly one of size and scale_factor; got \(size == nil ? "neither" : "both")")
        }
        // (N,C,L) runs as (N,C,1,L): one-row images, sizes and scales on the width only.
        let oneD = x.rank == 3
        let x4 = oneD ? try x.unsqueeze(2) : x
        let size2 = size.map { oneD ? (1, $0.1) : $0 }, scale2 = scale.map { oneD ? (1, $0.1) : $0 }
        let y: Tensor
        switch mode {
        case "nearest": y = try Functional.upsampleNearest2d(x4, size: size2, scale: scale2)
        case "area":
            var target = size2 ?? (1, 1)
            if let s = scale2 {
                let h = (Double(x4.shape[2]) * s.0).rounded(.down), w = (Double(x4.shape[3]) * s.1).rounded(.down)
                guard h >= 1 && w >= 1 && h < 1e9 && w < 1e9 else {
                    throw EngineError(op, "scale_factor (\(s.0),\(s.1)) gives output size \(h)x\(w) for input \(shapeString(x.shape)); expected at least 1x1")
                }
                target = (Int(h), Int(w))
            }
            y = try Functional.adaptiveAvgPool2d(x4, outputSize: target)
        default: y = try Functional.upsampleBilinear2d(x4, size: size2, scale: scale2, alignCorners: alignCorners ?? false)
        }
        return oneD ? try y.squeeze(2) : y
    }

    /// `x:flip(dims)` / `torch.flip(x, dims)`: dims as a table or as numbers (1-based).
    static let flip = BindingEntry.both("flip") { lua in
        let op = "flip"
        let x = try lua.tensor(1, op)
        let dims = try lua.sizes(from: 2, op).sizes
        guard !dims.isEmpty || lua.type(2) == LUA_TTABLE else {
            throw EngineError(op, "argument 2 (dims): expected a dim or a table of dims; got \(lua.typeName(2))")
        }
        lua.push(try x.flip(dims.map { try Lua.engineDim($0, op) }))
        return 1
    }
}

/// Argument readers shared by the vision bindings.
enum VisionArgs {
    /// How a convolution pads.
    enum Padding {
        case same
        case explicit((Int, Int))
    }

    static func pairText(_ p: (Int, Int)) -> String { "(\(p.0),\(p.1))" }

    /// The value at `i` as a pair: a number `n` → (n, n); `{h, w}` → (h, w); `{n}` → (n, n).
    static func pair(_ lua: Lua, _ i: Int32, _ op: String, _ what: String) throws -> (Int, Int) {
        switch lua.type(i) {
        case LUA_TNUMBER:
            let v = try lua.integer(i, op, what)
            return (v, v)
        case LUA_TTABLE:
            let list = try lua.integerList(i, op, what: what)
            if list.count == 2 { return (list[0], list[1]) }
            if list.count == 1 { return (list[0], list[0]) }
            throw EngineError(op, "\(lua.describe(i, what)): expected a number or a {h, w} table; got a table of \(list.count) values")
        default:
            throw EngineError(op, "\(lua.describe(i, what)): expected a number or a {h, w} table; got \(lua.typeName(i))")
        }
    }

    /// As `pair`, for floating point values (scale factors).
    static func numberPair(_ lua: Lua, _ i: Int32, _ op: String, _ what: String) throws -> (Double, Double) {
        if lua.type(i) == LUA_TNUMBER {
            let v = try lua.number(i, op, what)
            return (v, v)
        }
        guard lua.type(i) == LUA_TTABLE else {
            throw EngineError(op, "\(lua.describe(i, what)): expected a number or a {h, w} table; got \(lua.typeName(i))")
        }
        let t = lua_absindex(lua.L, i)
        let n = Int(lua_rawlen(lua.L, t))
        guard n == 1 || n == 2 else {
            throw EngineError(op, "\(lua.describe(i, what)): expected a number or a {h, w} table; got a table of \(n) values")
        }
        var values: [Double] = []
        for k in 1...n {
            lua_rawgeti(lua.L, t, lua_Integer(k))
            defer { lumen_pop(lua.L, 1) }
            values.append(try lua.number(-1, op, what))
        }
        return (values[0], values[n - 1])
    }

    /// Option `name` of the table at `o` as a pair, or nil when absent.
    static func optionPair(_ lua: Lua, _ o: Int32, _ name: String, _ op: String) throws -> (Int, Int)? {
        try lua.withField(o, name) { try pair(lua, -1, op, name) }
    }

    /// Option `name` as one integer (a number or a one-element table), for 1-d layers.
    static func optionSingle(_ lua: Lua, _ o: Int32, _ name: String, _ op: String) throws -> Int? {
        try lua.withField(o, name) {
            if lua.type(-1) == LUA_TTABLE {
                let list = try lua.integerList(-1, op, what: name)
                guard list.count == 1 else {
                    throw EngineError(op, "option \(name): expected a number or a one-element table; got \(list.count) values")
                }
                return list[0]
            }
            return try lua.integer(-1, op, name)
        }
    }

    /// The `padding` option: a size, `{h, w}`, `"same"` or `"valid"` (zero); default zero.
    static func padding(_ lua: Lua, _ o: Int32, _ op: String, single: Bool = false) throws -> Padding {
        let result: Padding? = try lua.withField(o, "padding") {
            if lua.type(-1) == LUA_TSTRING {
                let s = try lua.string(-1, op, "padding")
                if s == "same" { return .same }
                if s == "valid" { return .explicit((0, 0)) }
                throw EngineError(op, "option padding: expected a size, \"same\" or \"valid\"; got \"\(s)\"")
            }
            if single { let p = try optionSingle(lua, o, "padding", op) ?? 0; return .explicit((p, p)) }
            return .explicit(try pair(lua, -1, op, "padding"))
        }
        return result ?? .explicit((0, 0))
    }

    /// A required size at `i` followed by an options table, or one options table at `i` holding
    /// the size under `name`: `(x, 2, {stride = 1})` or `(x, {kernel_size = 2, stride = 1})`.
    static func sizeThenOptions(_ lua: Lua, _ i: Int32, _ name: String, _ op: String) throws -> ((Int, Int), Int32) {
        if lua.isOptionsTable(i) {
            guard let size = try optionPair(lua, i, name, op) else {
                throw EngineError(op, "expected \(name) as argument \(i) or as an option; got neither")
            }
            return (size, i)
        }
        if lua.isNoneOrNil(i) { throw EngineError(op, "argument \(i) (\(name)): expected a number or a {h, w} table; got nil") }
        return (try pair(lua, i, op, name), i + 1)
    }

    /// Up to `count` optional tensors (nil allowed) from `from`, stopping at an options table;
    /// returns them (nil-padded to `count`) and the index of the options table.
    static func tensorsThenOptions(_ lua: Lua, from: Int32, count: Int, _ op: String,
                                   names: [String]) throws -> ([Tensor?], Int32) {
        var out: [Tensor?] = []
        var i = from
        while out.count < count && !lua.isOptionsTable(i) {
            if lua.isNoneOrNil(i) {
                out.append(nil)
            } else if let t = lua.optTensor(i) {
                out.append(t)
            } else {
                throw EngineError(op, "argument \(i) (\(names[out.count])): expected a tensor, nil or an options table; got \(lua.typeName(i))")
            }
            i += 1
        }
        while out.count < count { out.append(nil) }
        return (out, i)
    }

    /// Throws unless the value at `i` is nil or a table whose keys are all among `known`.
    static func checkOptions(_ lua: Lua, _ i: Int32, _ op: String, _ known: [String]) throws {
        if lua.isNoneOrNil(i) { return }
        guard lua.type(i) == LUA_TTABLE else {
            throw EngineError(op, "argument \(i): expected an options table; got \(lua.typeName(i))")
        }
        let L = lua.L, t = lua_absindex(L, i)
        var unknown: String? = nil
        lua_pushnil(L)
        while lua_next(L, t) != 0 {
            let key = lua_type(L, -2) == LUA_TSTRING ? lua_tolstring(L, -2, nil).map { String(cString: $0) } : nil
            lumen_pop(L, 1)
            if let key, known.contains(key) { continue }
            unknown = key.map { "\"\($0)\"" } ?? "entry \(lua_type(L, -1) == LUA_TNUMBER ? "at a numeric index" : "with a non-string key")"
            lumen_pop(L, 1)
            break
        }
        if let unknown {
            throw EngineError(op, "unknown option \(unknown) (known: \(known.sorted().joined(separator: ", ")))")
        }
    }
}
