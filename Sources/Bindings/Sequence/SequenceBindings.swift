import CLua
import CLuaShim
import Engine

/// The recurrent and attention kernels behind lumen/nn/sequence (RNN, LSTM, GRU, their cells,
/// MultiheadAttention, the transformer layers) and nn.functional.scaled_dot_product_attention.
/// Functions live in `lumen_internal` with a `seq_` prefix; the Lua layers read their options.
/// `bindings` also carries the tokenizer and text-metric bindings (TextBindings).
enum SequenceBindings {
    static let bindings: [BindingEntry] = [rnn, rnnCell, sdpa, mha, mhaPacked] + TextBindings.bindings

    static func entry(_ name: String, _ f: @escaping Binding) -> BindingEntry {
        BindingEntry(.namespace("lumen_internal", "seq_" + name), f)
    }

    static func mode(_ lua: Lua, _ i: Int32, _ op: String) throws -> RecurrentMode {
        let name = try lua.string(i, op, "mode")
        guard let m = RecurrentMode(rawValue: name) else {
            throw EngineError(op, "unknown mode \"\(name)\" (expected RNN_TANH, RNN_RELU, LSTM or GRU)")
        }
        return m
    }

    /// A `{weight_ih =, weight_hh =, bias_ih =, bias_hh =}` table at `i`.
    static func weights(_ lua: Lua, _ i: Int32, _ op: String, _ what: String) throws -> RecurrentWeights {
        guard lua.type(i) == LUA_TTABLE else { throw EngineError(op, "\(what): expected a table of weights; got \(lua.typeName(i))") }
        func field(_ name: String) throws -> Tensor? {
            try lua.withField(i, name) {
                guard let t = lua.optTensor(-1) else { throw EngineError(op, "\(what).\(name): expected a tensor; got \(lua.typeName(-1))") }
                return t
            }
        }
        guard let wih = try field("weight_ih"), let whh = try field("weight_hh") else {
            throw EngineError(op, "\(what): weight_ih and weight_hh are required")
        }
        return RecurrentWeights(inputWeight: wih, hiddenWeight: whh, inputBias: try field("bias_ih"), hiddenBias: try field("bias_hh"))
    }

    /// Sequence lengths: a Lua array of integers or an integer tensor (nil when absent).
    static func lengths(_ lua: Lua, _ i: Int32, _ op: String) throws -> [Int]? {
        try lua.withField(i, "lengths") {
            if let t = lua.optTensor(-1) {
                guard !t.dtype.isFloatingPoint, t.rank == 1 else {
                    throw EngineError(op, "lengths must be a 1-d integer tensor or a list of integers; got \(t.dtype) \(shapeString(t.shape))")
                }
                return try t.toInts().map { Int($0) }
            }
            guard lua.type(-1) == LUA_TTABLE else { throw EngineError(op, "option lengths: expected a list of integers or a tensor; got \(lua.typeName(-1))") }
            return try lua.integerList(-1, op, what: "lengths")
        }
    }

    /// seq_rnn(mode, input, h0|nil, c0|nil, {weights...}, {hidden_size, num_layers, bidirectional,
    /// dropout, training, batch_first, lengths}) → output, h_n, c_n|nil
    static let rnn = entry("rnn") { lua in
        let m = try mode(lua, 1, "rnn")
        let op = m.layerName
        let input = try lua.tensor(2, op)
        let h0 = lua.optTensor(3), c0 = lua.optTensor(4)
        guard lua.type(5) == LUA_TTABLE else { throw EngineError(op, "argument 5: expected a list of weight tables") }
        let count = Int(lua_rawlen(lua.L, 5))
        var ws: [RecurrentWeights] = []
        for k in 1...max(count, 1) where count > 0 {
            lua_rawgeti(lua.L, 5, lua_Integer(k))
            defer { lumen_pop(lua.L, 1) }
            ws.append(try weights(lua, -1, op, "weights[\(k)]"))
        }
        guard let hidden = try lua.optionInteger(6, "hidden_size", op) else { throw EngineError(op, "option hidden_size is required") }
        let r = try Functional.recurrent(m, input: input, h0: h0, c0: c0, weights: ws, hiddenSize: hidden,
                                         numLayers: try lua.optionInteger(6, "num_layers", op) ?? 1,
                                         bidirectional: lua.optionBool(6, "bidirectional") ?? false,
                                         dropout: try lua.optionNumber(6, "dropout", op) ?? 0,
                                         training: lua.optionBool(6, "training") ?? false,
                                         batchFirst: lua.optionBool(6, "batch_first") ?? false,
                                         lengths: try lengths(lua, 6, op))
        lua.push(r.output)
        lua.push(r.h)
        lua.push(r.c)
        return 3
    }

    /// seq_rnn_cell(mode, input (B,I), h (B,H), c|nil, {weights}) → h', c'|nil
    static let rnnCell = entry("rnn_cell") { lua in
        let m = try mode(lua, 1, "rnn_cell")
        let op = m.layerName + "_cell"
        let r = try Functional.recurrentCell(m, input: lua.tensor(2, op), h: lua.tensor(3, op), c: lua.optTensor(4),
                                             weights: weights(lua, 5, op, "weights"))
        lua.push(r.h)
        lua.push(r.c)
        return 2
    }

    /// seq_sdpa(q, k, v, mask|nil, {is_causal, dropout_p, scale}) → output
    static let sdpa = entry("sdpa") { lua in
        let op = "scaled_dot_product_attention"
        let out = try Functional.scaledDotProductAttention(
            lua.tensor(1, op), lua.tensor(2, op), lua.tensor(3, op), mask: lua.optTensor(4),
            causal: lua.optionBool(5, "is_causal") ?? false, dropout: try lua.optionNumber(5, "dropout_p", op) ?? 0,
            scale: try lua.optionNumber(5, "scale", op))
        lua.push(out)
        return 1
    }

    /// The attention options table at `i`.
    struct AttentionOptions {
        let attnMask: Tensor?
        let keyPaddingMask: Tensor?
        let causalOffset: Int?
        let dropout: Double
        let scale: Double?
        let needWeights: Bool
    }

    static func attentionOptions(_ lua: Lua, _ i: Int32, _ op: String) throws -> AttentionOptions {
        func tensorOption(_ name: String) throws -> Tensor? {
            try lua.withField(i, name) {
                guard let t = lua.optTensor(-1) else { throw EngineError(op, "option \(name): expected a tensor; got \(lua.typeName(-1))") }
                return t
            }
        }
        return AttentionOptions(attnMask: try tensorOption("attn_mask"), keyPaddingMask: try tensorOption("key_padding_mask"),
                                causalOffset: try lua.optionInteger(i, "causal_offset", op),
                                dropout: try lua.optionNumber(i, "dropout_p", op) ?? 0, scale: try lua.optionNumber(i, "scale", op),
                                needWeights: lua.optionBool(i, "need_weights") ?? false)
    }

    /// seq_mha(q (B,L,D), k (B,S,D), v (B,S,Dv), heads, {attn_mask, key_padding_mask,
    /// causal_offset, dropout_p, need_weights, scale}) → output (B,L,Dv), weights (B,h,L,S)|nil
    static let mha = entry("mha") { lua in
        let op = "multi_head_attention"
        let o = try attentionOptions(lua, 5, op)
        let r = try Functional.multiHeadAttention(
            query: lua.tensor(1, op), key: lua.tensor(2, op), value: lua.tensor(3, op), heads: lua.integer(4, op, "num_heads"),
            attnMask: o.attnMask, keyPaddingMask: o.keyPaddingMask, causalOffset: o.causalOffset, dropout: o.dropout,
            scale: o.scale, needWeights: o.needWeights)
        lua.push(r.output)
        lua.push(r.weights)
        return 2
    }

    /// seq_mha_packed(qkv (B,L,3D), heads, {options as seq_mha}) → output (B,L,D), weights|nil
    static let mhaPacked = entry("mha_packed") { lua in
        let op = "multi_head_attention"
        let o = try attentionOptions(lua, 3, op)
        let r = try Functional.multiHeadSelfAttention(
            packed: lua.tensor(1, op), heads: lua.integer(2, op, "num_heads"), attnMask: o.attnMask,
            keyPaddingMask: o.keyPaddingMask, causalOffset: o.causalOffset, dropout: o.dropout, scale: o.scale,
            needWeights: o.needWeights)
        lua.push(r.output)
        lua.push(r.weights)
        return 2
    }
}
