import CLua
import Engine

/// Shared shapes of bindings, so each op is one line in its namespace file.
enum Bind {
    /// `x:name()` / `torch.name(x)` for a unary tensor function.
    static func unary(_ name: String, _ f: @escaping @Sendable (Tensor) throws -> Tensor) -> BindingEntry {
        .both(name) { lua in
            lua.push(try f(lua.tensor(1, name)))
            return 1
        }
    }

    /// `x:name(y)` where y is a tensor or a number.
    static func binary(_ name: String, _ tensor: @escaping @Sendable (Tensor, Tensor) throws -> Tensor,
                       _ number: @escaping @Sendable (Tensor, Double) throws -> Tensor) -> BindingEntry {
        .both(name) { lua in
            let x = try lua.tensor(1, name)
            if let y = lua.optTensor(2) { lua.push(try tensor(x, y)) } else { lua.push(try number(x, lua.number(2, name))) }
            return 1
        }
    }

    /// Engine int64 indices (0-based) as Lua indices (1-based).
    static func oneBased(_ indices: Tensor) throws -> Tensor {
        try indices.add(scalar: 1)
    }

    /// Reads `(dim?, keepdim?)` or `(dims-table, keepdim?)` or `{dim=, keepdim=}` from `i`.
    static func reductionDims(_ lua: Lua, _ i: Int32, _ op: String) throws -> (dims: [Int]?, keepdim: Bool, next: Int32) {
        let L = lua.L
        if lua.isOptionsTable(i) {
            var dims: [Int]? = nil
            if let d = try lua.optionInteger(i, "dim", op) { dims = [try Lua.engineDim(d, op)] }
            return (dims, lua.optionBool(i, "keepdim") ?? false, i + 1)
        }
        var dims: [Int]? = nil
        var next = i
        if lua_type(L, i) == LUA_TNUMBER {
            dims = [try lua.dim(i, op)]
            next += 1
        } else if lua_type(L, i) == LUA_TTABLE {
            dims = try lua.integerList(i, op, what: "dims").map { try Lua.engineDim($0, op) }
            next += 1
        } else if lua.isNoneOrNil(i) && !lua.isNoneOrNil(i + 1) {
            next += 1
        } else if !lua.isNoneOrNil(i) && lua_type(L, i) != LUA_TBOOLEAN {
            throw EngineError(op, "argument \(i): expected a dim, a table of dims or an options table; got \(lua.typeName(i))")
        }
        var keepdim = false
        if lua_type(L, next) == LUA_TBOOLEAN { keepdim = lua.boolean(next); next += 1 }
        else if lua.isOptionsTable(next) { keepdim = lua.optionBool(next, "keepdim") ?? false; next += 1 }
        return (dims, keepdim, next)
    }
}
