import CLua
import CLuaShim
import Engine

/// The quantization kernels behind lumen/deploy (installed as `deploy_internal.*`). Quantized
/// layers pass themselves (their Lua table) so the fields of the shared format are read in one
/// place: weight_q, bias_q, weight_scale, input_scale, input_zero_point, output_scale,
/// output_zero_point, relu, and for convolutions stride, padding, dilation, groups.
enum DeployBindings {
    static let bindings: [BindingEntry] = conversions + layers + observers + lowBit

    private static func entry(_ name: String, _ f: @escaping Binding) -> BindingEntry {
        BindingEntry(.namespace("deploy_internal", name), f)
    }

    // MARK: reading a quantized layer's fields

    static func fieldTensor(_ lua: Lua, _ t: Int32, _ name: String, _ op: String, optional: Bool = false) throws -> Tensor? {
        let v = try lua.withField(t, name) { () -> Tensor? in
            guard let x = lua.optTensor(-1) else { throw EngineError(op, "field \(name): expected a tensor; got \(lua.typeName(-1))") }
            return x
        }
        if v == nil && !optional { throw EngineError(op, "missing field \(name)") }
        return v
    }

    static func fieldNumber(_ lua: Lua, _ t: Int32, _ name: String, _ op: String) throws -> Double {
        guard let v = try lua.optionNumber(t, name, op) else { throw EngineError(op, "missing field \(name)") }
        return v
    }

    static func fieldInteger(_ lua: Lua, _ t: Int32, _ name: String, _ op: String) throws -> Int {
        guard let v = try lua.optionInteger(t, name, op) else { throw EngineError(op, "missing field \(name)") }
        return v
    }

    /// A number or {h, w} field as a pair.
    static func fieldPair(_ lua: Lua, _ t: Int32, _ name: String, _ op: String, default d: Int) throws -> (Int, Int) {
        let v = try lua.withField(t, name) { () -> (Int, Int)? in
            if lua_type(lua.L, -1) == LUA_TNUMBER { let x = try lua.integer(-1, op, name); return (x, x) }
            let list = try lua.integerList(-1, op, what: name)
            guard list.count == 1 || list.count == 2 else { throw EngineError(op, "field \(name): expected a number or {h, w}; got \(list.count) values") }
            return list.count == 1 ? (list[0], list[0]) : (list[0], list[1])
        }
        return v ?? (d, d)
    }

    static func doubles(_ t: Tensor) throws -> [Double] {
        try t.toDoubles()
    }

    static func floatTensor(_ values: [Double]) throws -> Tensor {
        try Tensor(values, shape: [values.count], dtype: .float32)
    }

    /// The requantization and zero point of a QLinear/QConv2d table at `t`.
    static func layerParams(_ lua: Lua, _ t: Int32, _ op: String) throws -> QuantizedLayers.Params {
        let scales = try doubles(fieldTensor(lua, t, "weight_scale", op)!)
        let real = try Requantizer.realMultipliers(inputScale: fieldNumber(lua, t, "input_scale", op), weightScales: scales,
                                                   outputScale: fieldNumber(lua, t, "output_scale", op))
        let rq = try Requantizer(realMultipliers: real, outputZeroPoint: fieldInteger(lua, t, "output_zero_point", op),
                                 relu: lua.optionBool(t, "relu") ?? false)
        return QuantizedLayers.Params(inputZeroPoint: try fieldInteger(lua, t, "input_zero_point", op), requantizer: rq)
    }

    /// The layer's prepared kernel (packed weights, folded bias, multipliers), kept in its `_kernel`
    /// field and rebuilt when any tensor (identity or in-place version) or setting changed.
    static func cachedKernel(_ lua: Lua, _ t: Int32, _ op: String, conv: Bool) throws -> QuantizedKernel {
        let w = try fieldTensor(lua, t, "weight_q", op)!
        let bias = try fieldTensor(lua, t, "bias_q", op, optional: true)
        let scales = try fieldTensor(lua, t, "weight_scale", op)!
        let inputScale = try fieldNumber(lua, t, "input_scale", op), zx = try fieldInteger(lua, t, "input_zero_point", op)
        let outputScale = try fieldNumber(lua, t, "output_scale", op), zy = try fieldInteger(lua, t, "output_zero_point", op)
        let relu = lua.optionBool(t, "relu") ?? false
        let shape: QuantizedKernel.Shape = conv ? try QuantizedLayers.convShape(weight: w, convGeometry(lua, t, op)) : .linear
        let key = QuantizedKernel.Key(weight: w, bias: bias, weightScales: scales, inputScale: inputScale, inputZeroPoint: zx,
                                      outputScale: outputScale, outputZeroPoint: zy, relu: relu, shape: shape)
        return try cached(lua, t, QuantizedKernel.self, op, matching: { $0.key == key }) {
            try QuantizedKernel(weight: w, bias: bias, params: layerParams(lua, t, op), shape: shape, key: key,
                                sources: [w, scales] + (bias.map { [$0] } ?? []))
        }
    }

    /// The prepared kernel in the layer table's `_kernel` field when `matching` accepts it, else a
    /// new one from `build`, stored there (raw set: not a parameter or buffer).
    static func cached<K: AnyObject>(_ lua: Lua, _ t: Int32, _ type: K.Type, _ op: String, matching: (K) -> Bool,
                                     build: () throws -> K) throws -> K {
        if let kernel = lua.withField(t, "_kernel", { try? ObjectUserdata.get(lua, -1, K.self, op) }), matching(kernel) {
            return kernel
        }
        let kernel = try build()
        let table = lua_absindex(lua.L, t)
        lua_pushstring(lua.L, "_kernel")
        ObjectUserdata.push(lua, kernel)
        lua_rawset(lua.L, table)
        return kernel
    }

    static func convGeometry(_ lua: Lua, _ t: Int32, _ op: String) throws -> QuantizedLayers.ConvGeometry {
        QuantizedLayers.ConvGeometry(stride: try fieldPair(lua, t, "stride", op, default: 1),
                                     padding: try fieldPair(lua, t, "padding", op, default: 0),
                                     dilation: try fieldPair(lua, t, "dilation", op, default: 1),
                                     groups: try lua.optionInteger(t, "groups", op) ?? 1)
    }

    // MARK: conversions

    static let conversions: [BindingEntry] = [
        // quantize(x, scale, zero_point) → int8 (round half to even, clamp to [-128, 127])
        entry("quantize") { lua in
            let op = "quantize"
            lua.push(try Quantization.quantize(lua.tensor(1, op), scale: lua.number(2, op, "scale"), zeroPoint: lua.integer(3, op, "zero_point")))
            return 1
        },
        entry("dequantize") { lua in
            let op = "dequantize"
            lua.push(try Quantization.dequantize(lua.tensor(1, op), scale: lua.number(2, op, "scale"), zeroPoint: lua.integer(3, op, "zero_point")))
            return 1
        },
        // weight_scales(w, per_channel) → float32 (out) or (1)
        entry("weight_scales") { lua in
            lua.push(try floatTensor(Quantization.weightScales(lua.tensor(1, "weight_scales"), perChannel: lua.boolean(2))))
            return 1
        },
        // quantize_weight(w, scales) → int8 same shape (symmetric, [-127, 127])
        entry("quantize_weight") { lua in
            let op = "quantize_weight"
            lua.push(try Quantization.quantizeWeight(lua.tensor(1, op), scales: doubles(lua.tensor(2, op))))
            return 1
        },
        // affine_params(min, max) → scale, zero_point
        entry("affine_params") { lua in
            let op = "affine_params"
            let q = try QParams.affine(min: lua.number(1, op, "min"), max: lua.number(2, op, "max"))
            lua.push(q.scale); lua.push(q.zeroPoint)
            return 2
        },
        // requant_params(layer) → multipliers int32 (C), shifts int32 (C): the integers of the fixed-point scaling
        entry("requant_params") { lua in
            let rq = try layerParams(lua, 1, "requant_params").requantizer
            lua.push(try Tensor(rq.multipliers.map { Double($0) }, shape: [rq.multipliers.count], dtype: .int32))
            lua.push(try Tensor(rq.shifts.map { Double($0) }, shape: [rq.shifts.count], dtype: .int32))
            return 2
        },
        // fixed_multiply(acc int32 tensor, multiplier, shift) → int32 (for tests)
        entry("fixed_multiply") { lua in
            let op = "fixed_multiply"
            let acc = try lua.tensor(1, op)
            guard acc.dtype == .int32 else { throw EngineError(op, "expected an int32 tensor; got \(acc.dtype)") }
            let m = try lua.integer(2, op, "multiplier"), s = try lua.integer(3, op, "shift")
            guard let m32 = Int32(exactly: m), (-31...30).contains(s) else { throw EngineError(op, "multiplier must fit int32 and shift be in [-31, 30]") }
            let values = try acc.toDoubles().map { Double(FixedPoint.multiply(Int32($0), m32, s)) }
            lua.push(try Tensor(values, shape: acc.shape, dtype: .int32))
            return 1
        },
        entry("int8_gemm") { lua in
            lua.push(try Int8Gemm.matmul(lua.tensor(1, "int8_gemm"), lua.tensor(2, "int8_gemm")))
            return 1
        },
        entry("has_avx2") { lua in lua.push(Int8Gemm.usesAVX2); return 1 },
    ]

    // MARK: layers

    static let layers: [BindingEntry] = [
        // qlinear(x int8, layer) → int8
        entry("qlinear") { lua in
            let op = "QLinear"
            let x = try lua.tensor(1, op)
            lua.push(try cachedKernel(lua, 2, op, conv: false).linear(x))
            return 1
        },
        // qconv2d(x int8, layer) → int8
        entry("qconv2d") { lua in
            let op = "QConv2d"
            let x = try lua.tensor(1, op)
            lua.push(try cachedKernel(lua, 2, op, conv: true).conv2d(x))
            return 1
        },
        // qmax_pool2d(x int8, layer with kernel_size, stride, padding) → int8
        entry("qmax_pool2d") { lua in
            let op = "QMaxPool2d"
            let kernel = try fieldPair(lua, 2, "kernel_size", op, default: 0)
            lua.push(try QuantizedLayers.maxPool2d(lua.tensor(1, op), kernel: kernel, stride: fieldPair(lua, 2, "stride", op, default: kernel.0),
                                                   padding: fieldPair(lua, 2, "padding", op, default: 0)))
            return 1
        },
        // dynamic_linear(x float, layer with weight_q int8, weight_scale, bias float|nil) → float32;
        // the prepared layer (packed weights, row sums) is kept in the layer's `_kernel`.
        entry("dynamic_linear") { lua in
            let op = "DynamicLinear"
            let x = try lua.tensor(1, op)
            let w = try fieldTensor(lua, 2, "weight_q", op)!, scales = try fieldTensor(lua, 2, "weight_scale", op)!
            let bias = try fieldTensor(lua, 2, "bias", op, optional: true)
            let key = DynamicQuant.key(weight: w, weightScales: scales, bias: bias)
            let kernel = try cached(lua, 2, DynamicQuant.self, op, matching: { $0.key == key }) {
                try DynamicQuant(weight: w, weightScales: scales, bias: bias)
            }
            lua.push(try kernel.forward(x))
            return 1
        },
    ]

    // MARK: observers

    static let observers: [BindingEntry] = [
        // observer_new(kind, parameter, channel_dim|nil) → handle; kind "minmax" | "moving_average" | "percentile"
        entry("observer_new") { lua in
            let op = "observer"
            let kind: QuantObserver.Kind
            switch try lua.string(1, op, "kind") {
            case "minmax": kind = .minMax
            case "moving_average": kind = .movingAverage(try lua.optNumber(2, op, "averaging_constant") ?? 0.01)
            case "percentile": kind = .percentile(try lua.optNumber(2, op, "percentile") ?? 99.99)
            case let other: throw EngineError(op, "unknown observer \"\(other)\" (expected \"minmax\", \"moving_average\" or \"percentile\")")
            }
            let dim = try lua.optInteger(3, op, "channel_dim").map { try Lua.engineDim($0, op) }
            ObjectUserdata.push(lua, try QuantObserver(kind: kind, channelDim: dim))
            return 1
        },
        entry("observer_update") { lua in
            try ObjectUserdata.get(lua, 1, QuantObserver.self, "observer").update(lua.tensor(2, "observer"))
            return 0
        },
        // observer_range(h) → {min...}, {max...}
        entry("observer_range") { lua in
            let r = try ObjectUserdata.get(lua, 1, QuantObserver.self, "observer").range()
            lua.push(try Tensor(r.map { $0.min }, shape: [r.count], dtype: .float64))
            lua.push(try Tensor(r.map { $0.max }, shape: [r.count], dtype: .float64))
            return 2
        },
        // observer_affine(h) → scale, zero_point (per tensor)
        entry("observer_affine") { lua in
            let o = try ObjectUserdata.get(lua, 1, QuantObserver.self, "observer")
            guard let q = try o.affineParams().first else { throw EngineError("observer", "no channels") }
            lua.push(q.scale); lua.push(q.zeroPoint)
            return 2
        },
        entry("observer_batches") { lua in
            lua.push(try ObjectUserdata.get(lua, 1, QuantObserver.self, "observer").batches)
            return 1
        },
    ]

    // MARK: int4

    static let lowBit: [BindingEntry] = [
        // int4_pack(w float (out, in), group_size) → packed uint8 (out, ceil(in/2)), scales float32 (out, groups)
        entry("int4_pack") { lua in
            let r = try Int4Weights.pack(lua.tensor(1, "int4_pack"), groupSize: lua.integer(2, "int4_pack", "group_size"))
            lua.push(r.packed); lua.push(r.scales)
            return 2
        },
        entry("int4_unpack") { lua in
            let op = "int4_unpack"
            lua.push(try Int4Weights.unpack(lua.tensor(1, op), scales: lua.tensor(2, op), inFeatures: lua.integer(3, op, "in_features"),
                                            groupSize: lua.integer(4, op, "group_size")))
            return 1
        },
        // int4_linear(x, packed, scales, in_features, group_size, bias|nil) → float32
        entry("int4_linear") { lua in
            let op = "int4_linear"
            lua.push(try Int4Weights.linear(lua.tensor(1, op), packed: lua.tensor(2, op), scales: lua.tensor(3, op),
                                            inFeatures: lua.integer(4, op, "in_features"), groupSize: lua.integer(5, op, "group_size"),
                                            bias: lua.optTensor(6)))
            return 1
        },
    ]
}
