import CLua
import CLuaShim
import Engine

/// safetensors files from Lua. `torch.save`/`torch.load` (in lumen/init.lua) flatten nested
/// tables to dotted names and call these.
enum TorchIO {
    /// Reads a table of string → string at `i` (metadata).
    static func stringMap(_ lua: Lua, _ i: Int32, _ op: String) throws -> [String: String] {
        guard lua_type(lua.L, i) == LUA_TTABLE else { return [:] }
        var out: [String: String] = [:]
        let t = lua_absindex(lua.L, i)
        lua_pushnil(lua.L)
        while lua_next(lua.L, t) != 0 {
            defer { lumen_pop(lua.L, 1) }
            guard lua_type(lua.L, -2) == LUA_TSTRING else { throw EngineError(op, "metadata keys must be strings") }
            let key = String(cString: lua_tolstring(lua.L, -2, nil))
            guard lua_type(lua.L, -1) == LUA_TSTRING || lua_type(lua.L, -1) == LUA_TNUMBER else {
                throw EngineError(op, "metadata value for \"\(key)\" must be a string; got \(lua.typeName(-1))")
            }
            out[key] = String(cString: luaL_tolstring(lua.L, -1, nil))
            lumen_pop(lua.L, 1)
        }
        return out
    }

    static let bindings: [BindingEntry] = [
        .torch("is_tensor") { lua in lua.push(lua.isTensor(1)); return 1 },
        BindingEntry(.namespace("lumen_internal", "save")) { lua in
            let path = try lua.string(1, "save", "path")
            let names = try (0..<Int(lua_rawlen(lua.L, 2))).map { k -> String in
                lua_rawgeti(lua.L, 2, lua_Integer(k + 1))
                defer { lumen_pop(lua.L, 1) }
                return try lua.string(-1, "save", "name")
            }
            let tensors = try TorchShape.tensorList(lua, 3, "save")
            let metadata = try stringMap(lua, 4, "save")
            try Safetensors.write(Array(zip(names, tensors.map { $0.detach() })).map { (name: $0.0, tensor: $0.1) },
                                  metadata: metadata, to: path)
            return 0
        },
        BindingEntry(.namespace("lumen_internal", "load")) { lua in
            let file = try Safetensors.read(path: lua.string(1, "load", "path"))
            lua_createtable(lua.L, 0, Int32(file.names.count))
            for name in file.names {
                lua.push(file.tensors[name])
                lua_setfield(lua.L, -2, name)
            }
            lua_createtable(lua.L, 0, Int32(file.metadata.count))
            for (k, v) in file.metadata {
                lua.push(v)
                lua_setfield(lua.L, -2, k)
            }
            lua_createtable(lua.L, Int32(file.names.count), 0)
            for (k, name) in file.names.enumerated() {
                lua.push(name)
                lua_rawseti(lua.L, -2, lua_Integer(k + 1))
            }
            return 3
        },
    ]
}
