import CLua
import CLuaShim
import Engine

/// The Swift side of lumen/deploy (export and pruning): `lumen_internal.deploy_onnx_write`
/// serializes the graph the Lua tracer built; `lumen_internal.deploy_prune_masks` computes exact
/// magnitude-pruning masks over one or many tensors.
enum DeployExportBindings {
    static let bindings: [BindingEntry] = [onnxWrite, pruneMasks]

    static func entry(_ name: String, _ f: @escaping Binding) -> BindingEntry {
        BindingEntry(.namespace("lumen_internal", "deploy_" + name), f)
    }

    static let op = "export_onnx"

    // MARK: reading the graph table

    /// Calls `body(k)` with element k of the array at `i` pushed at -1.
    static func forEach(_ lua: Lua, _ i: Int32, _ what: String, _ body: (Int) throws -> Void) throws {
        guard lua.type(i) == LUA_TTABLE else { throw EngineError(op, "\(what): expected a list; got \(lua.typeName(i))") }
        let t = lua_absindex(lua.L, i)
        let n = Int(lua_rawlen(lua.L, t))
        for k in 1...max(n, 1) where n > 0 {
            lua_rawgeti(lua.L, t, lua_Integer(k))
            defer { lumen_pop(lua.L, 1) }
            try body(k)
        }
    }

    static func stringList(_ lua: Lua, _ i: Int32, _ what: String) throws -> [String] {
        var out: [String] = []
        try forEach(lua, i, what) { k in out.append(try lua.string(-1, op, "\(what)[\(k)]")) }
        return out
    }

    static func requiredString(_ lua: Lua, _ i: Int32, _ field: String, _ what: String) throws -> String {
        guard let s = try lua.optionString(i, field, op) else { throw EngineError(op, "\(what).\(field) is required") }
        return s
    }

    static func field<R>(_ lua: Lua, _ i: Int32, _ name: String, _ what: String, _ body: () throws -> R) throws -> R {
        guard let r = try lua.withField(i, name, { try body() }) else { throw EngineError(op, "\(what).\(name) is required") }
        return r
    }

    /// `{name, kind, value}` with kind int / float / string / ints / floats / strings / tensor.
    static func attribute(_ lua: Lua, _ what: String) throws -> OnnxAttribute {
        let t = lua_absindex(lua.L, -1)
        lua_rawgeti(lua.L, t, 1); let name = try lua.string(-1, op, "\(what) name"); lumen_pop(lua.L, 1)
        lua_rawgeti(lua.L, t, 2); let kind = try lua.string(-1, op, "\(what) kind"); lumen_pop(lua.L, 1)
        lua_rawgeti(lua.L, t, 3)
        defer { lumen_pop(lua.L, 1) }
        let label = "\(what) \(name)"
        switch kind {
        case "int": return OnnxAttribute(name: name, value: .int(try lua.integer(-1, op, label)))
        case "float": return OnnxAttribute(name: name, value: .float(Float(try lua.number(-1, op, label))))
        case "string": return OnnxAttribute(name: name, value: .string(try lua.string(-1, op, label)))
        case "ints": return OnnxAttribute(name: name, value: .ints(try lua.integerList(-1, op, what: label)))
        case "floats":
            var fs: [Float] = []
            try forEach(lua, -1, label) { k in fs.append(Float(try lua.number(-1, op, "\(label)[\(k)]"))) }
            return OnnxAttribute(name: name, value: .floats(fs))
        case "strings": return OnnxAttribute(name: name, value: .strings(try stringList(lua, -1, label)))
        case "tensor": return OnnxAttribute(name: name, value: .tensor(try OnnxTensor(name: "", tensor: try lua.tensor(-1, op))))
        default: throw EngineError(op, "\(label): unknown attribute kind \"\(kind)\"")
        }
    }

    static func node(_ lua: Lua, _ what: String) throws -> OnnxNode {
        let opType = try requiredString(lua, -1, "op", what)
        let name = try requiredString(lua, -1, "name", what)
        let inputs = try field(lua, -1, "inputs", what) { try stringList(lua, -1, "\(name).inputs") }
        let outputs = try field(lua, -1, "outputs", what) { try stringList(lua, -1, "\(name).outputs") }
        var attributes: [OnnxAttribute] = []
        _ = try lua.withField(-1, "attrs") { () -> Bool? in
            try forEach(lua, -1, "\(name).attrs") { k in attributes.append(try attribute(lua, "\(name) attribute \(k)")) }
            return true
        }
        return OnnxNode(opType: opType, name: name, inputs: inputs, outputs: outputs, attributes: attributes)
    }

    /// `{name =, dtype =, dims = {n | "param" | false, ...}}`.
    static func valueInfo(_ lua: Lua, _ what: String) throws -> OnnxValueInfo {
        let name = try requiredString(lua, -1, "name", what)
        let dtype = try Lua.dtype(named: try requiredString(lua, -1, "dtype", what), op)
        var dims: [OnnxValueInfo.Dim] = []
        try field(lua, -1, "dims", what) {
            try forEach(lua, -1, "\(what).dims") { k in
                switch lua.type(-1) {
                case LUA_TNUMBER: dims.append(.value(try lua.integer(-1, op, "\(what).dims[\(k)]")))
                case LUA_TSTRING: dims.append(.param(try lua.string(-1, op)))
                default: dims.append(.unknown)
                }
            }
        }
        return OnnxValueInfo(name: name, elemType: OnnxTensor.dataType(of: dtype), dims: dims)
    }

    /// deploy_onnx_write(path, {name =, opset =, nodes =, initializers = {{name, tensor}}, inputs =,
    /// outputs =}) writes the ModelProto to `path`; returns its size in bytes.
    static let onnxWrite = entry("onnx_write") { lua in
        let path = try lua.string(1, op, "path")
        guard lua.type(2) == LUA_TTABLE else { throw EngineError(op, "argument 2: expected the graph table; got \(lua.typeName(2))") }
        let name = try lua.optionString(2, "name", op) ?? "lumen_graph"
        guard let opset = try lua.optionInteger(2, "opset", op) else { throw EngineError(op, "graph.opset is required") }
        var nodes: [OnnxNode] = [], initializers: [OnnxTensor] = []
        var inputs: [OnnxValueInfo] = [], outputs: [OnnxValueInfo] = []
        try field(lua, 2, "nodes", "graph") { try forEach(lua, -1, "graph.nodes") { k in nodes.append(try node(lua, "node \(k)")) } }
        try field(lua, 2, "initializers", "graph") {
            try forEach(lua, -1, "graph.initializers") { k in
                let init_ = lua_absindex(lua.L, -1)
                lua_rawgeti(lua.L, init_, 1); let n = try lua.string(-1, op, "initializer \(k) name"); lumen_pop(lua.L, 1)
                lua_rawgeti(lua.L, init_, 2); defer { lumen_pop(lua.L, 1) }
                initializers.append(try OnnxTensor(name: n, tensor: try lua.tensor(-1, op)))
            }
        }
        try field(lua, 2, "inputs", "graph") { try forEach(lua, -1, "graph.inputs") { k in inputs.append(try valueInfo(lua, "input \(k)")) } }
        try field(lua, 2, "outputs", "graph") { try forEach(lua, -1, "graph.outputs") { k in outputs.append(try valueInfo(lua, "output \(k)")) } }
        let model = OnnxModel(graphName: name, opset: opset, nodes: nodes, initializers: initializers,
                              inputs: inputs, outputs: outputs)
        let bytes = try model.encode()
        try model.write(to: path)
        lua.push(bytes.count)
        return 1
    }

    /// deploy_prune_masks({tensors...}, amount) → {masks...}: 1 keeps, 0 prunes the `amount`
    /// fraction of smallest |w| over all tensors together.
    static let pruneMasks = entry("prune_masks") { lua in
        var weights: [Tensor] = []
        try forEach(lua, 1, "prune tensors") { _ in weights.append(try lua.tensor(-1, "prune")) }
        let amount = try lua.number(2, "prune", "amount")
        lua.push(try PruningMasks.magnitude(weights, amount: amount))
        return 1
    }
}
