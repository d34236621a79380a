import CLua
import CLuaShim
import Engine

/// Sizes, views, joins, copies and dtype conversions. Dims and positions are 1-based.
enum TorchShape {
    /// A list of tensors from the table at `i`.
    static func tensorList(_ lua: Lua, _ i: Int32, _ op: String) throws -> [Tensor] {
        guard lua_type(lua.L, i) == LUA_TTABLE else {
            throw EngineError(op, "argument \(i): expected a table of tensors; got \(lua.typeName(i))")
        }
        let t = lua_absindex(lua.L, i)
        return try (0..<Int(lua_rawlen(lua.L, t))).map { k in
            lua_rawgeti(lua.L, t, lua_Integer(k + 1))
            defer { lumen_pop(lua.L, 1) }
            guard let x = lua.optTensor(-1) else {
                throw EngineError(op, "element \(k + 1) of the list is a \(lua.typeName(-1)); expected a tensor")
            }
            return x
        }
    }

    static func conversion(_ name: String, _ type: DType) -> BindingEntry {
        .method(name) { lua in lua.push(try lua.tensor(1, name).to(type)); return 1 }
    }

    static let bindings: [BindingEntry] = [
        .both("size") { lua in
            let t = try lua.tensor(1, "size")
            if lua.isNoneOrNil(2) { lua.push(t.shape); return 1 }
            let d = try Shape.normalize(dim: lua.dim(2, "size"), rank: t.rank, op: "size")
            lua.push(t.shape[d])
            return 1
        },
        .both("dim") { lua in lua.push(try lua.tensor(1, "dim").rank); return 1 },
        .both("numel") { lua in lua.push(try lua.tensor(1, "numel").numel); return 1 },
        .method("nelement") { lua in lua.push(try lua.tensor(1, "nelement").numel); return 1 },
        .both("is_contiguous") { lua in lua.push(try lua.tensor(1, "is_contiguous").isContiguous); return 1 },
        .both("item") { lua in
            let t = try lua.tensor(1, "item")
            let v = try t.item()
            if t.dtype == .bool { lua.push(v != 0) } else if t.dtype.isInteger { lua.push(Int(Int64(fromDouble: v))) } else { lua.push(v) }
            return 1
        },
        .both("totable") { lua in
            try pushTable(lua, lua.tensor(1, "totable"))
            return 1
        },
        .both("reshape") { lua in
            let t = try lua.tensor(1, "reshape")
            lua.push(try t.reshape(lua.sizes(from: 2, "reshape").sizes))
            return 1
        },
        .both("view") { lua in
            let t = try lua.tensor(1, "view")
            lua.push(try t.view(lua.sizes(from: 2, "view").sizes))
            return 1
        },
        .method("view_as") { lua in lua.push(try lua.tensor(1, "view_as").reshape(lua.tensor(2, "view_as").shape)); return 1 },
        .both("transpose") { lua in
            lua.push(try lua.tensor(1, "transpose").transpose(lua.dim(2, "transpose"), lua.dim(3, "transpose")))
            return 1
        },
        .both("t") { lua in lua.push(try lua.tensor(1, "t").t()); return 1 },
        .both("permute") { lua in
            let t = try lua.tensor(1, "permute")
            lua.push(try t.permute(lua.sizes(from: 2, "permute").sizes.map { try Lua.engineDim($0, "permute") }))
            return 1
        },
        .both("narrow") { lua in
            let t = try lua.tensor(1, "narrow")
            let start = try Lua.engineIndex(lua.integer(3, "narrow", "start"), "narrow")
            lua.push(try t.narrow(dim: lua.dim(2, "narrow"), start: start, length: lua.integer(4, "narrow", "length")))
            return 1
        },
        .both("select") { lua in
            let t = try lua.tensor(1, "select")
            lua.push(try t.select(dim: lua.dim(2, "select"), index: Lua.engineIndex(lua.integer(3, "select", "index"), "select")))
            return 1
        },
        .both("squeeze") { lua in
            let t = try lua.tensor(1, "squeeze")
            lua.push(try t.squeeze(lua.optDim(2, "squeeze")))
            return 1
        },
        .both("unsqueeze") { lua in
            let t = try lua.tensor(1, "unsqueeze")
            // Lua dim d inserts so the new dim is at position d (1-based); -1 appends.
            let d = try lua.integer(2, "unsqueeze", "dim")
            lua.push(try t.unsqueeze(d > 0 ? d - 1 : (d < 0 ? d : try Lua.engineDim(0, "unsqueeze"))))
            return 1
        },
        .both("expand") { lua in
            let t = try lua.tensor(1, "expand")
            lua.push(try t.expand(lua.sizes(from: 2, "expand").sizes))
            return 1
        },
        .method("expand_as") { lua in lua.push(try lua.tensor(1, "expand_as").expand(lua.tensor(2, "expand_as").shape)); return 1 },
        .both("flatten") { lua in
            let t = try lua.tensor(1, "flatten")
            let s = try lua.optDim(2, "flatten") ?? 0, e = try lua.optDim(3, "flatten") ?? -1
            lua.push(try t.flatten(start: s, end: e))
            return 1
        },
        .method("unfold") { lua in
            let t = try lua.tensor(1, "unfold")
            lua.push(try t.unfold(dim: lua.dim(2, "unfold"), size: lua.integer(3, "unfold", "size"), step: lua.integer(4, "unfold", "step")))
            return 1
        },
        .both("contiguous") { lua in lua.push(try lua.tensor(1, "contiguous").contiguous()); return 1 },
        .both("clone") { lua in lua.push(try lua.tensor(1, "clone").clone()); return 1 },
        .torch("cat") { lua in
            let list = try tensorList(lua, 1, "cat")
            lua.push(try Tensor.cat(list, dim: lua.optDim(2, "cat") ?? 0))
            return 1
        },
        .torch("stack") { lua in
            let list = try tensorList(lua, 1, "stack")
            lua.push(try Tensor.stack(list, dim: lua.optDim(2, "stack") ?? 0))
            return 1
        },
        .both("split") { lua in
            let t = try lua.tensor(1, "split")
            let d = try lua.optDim(3, "split") ?? 0
            if lua_type(lua.L, 2) == LUA_TTABLE {
                lua.push(try t.split(sizes: lua.integerList(2, "split", what: "sizes"), dim: d))
            } else {
                lua.push(try t.split(size: lua.integer(2, "split", "size"), dim: d))
            }
            return 1
        },
        .both("chunk") { lua in
            let t = try lua.tensor(1, "chunk")
            lua.push(try t.chunk(lua.integer(2, "chunk", "chunks"), dim: lua.optDim(3, "chunk") ?? 0))
            return 1
        },
        .method("to") { lua in
            let t = try lua.tensor(1, "to")
            let type = lua_type(lua.L, 2) == LUA_TSTRING ? try Lua.dtype(named: lua.string(2, "to"), "to") : try lua.optionDType(2, "to")
            lua.push(try t.to(type ?? t.dtype))
            return 1
        },
        .method("type") { lua in
            let t = try lua.tensor(1, "type")
            if lua.isNoneOrNil(2) { lua.push(t.dtype.rawValue); return 1 }
            lua.push(try t.to(Lua.dtype(named: lua.string(2, "type"), "type")))
            return 1
        },
        conversion("float", .float32), conversion("double", .float64), conversion("long", .int64),
        conversion("int", .int32), conversion("byte", .uint8), conversion("char", .int8), conversion("bool", .bool),
        .method("fill_") { lua in
            let t = try lua.tensor(1, "fill_")
            try t.checkInPlaceAllowed("fill_")
            try t.assign(from: Tensor.scalar(lua.number(2, "fill_", "value"), dtype: t.dtype), op: "fill_")
            lua_settop(lua.L, 1)
            return 1
        },
        .method("zero_") { lua in
            let t = try lua.tensor(1, "zero_")
            try t.checkInPlaceAllowed("zero_")
            try t.assign(from: Tensor.scalar(0, dtype: t.dtype), op: "zero_")
            lua_settop(lua.L, 1)
            return 1
        },
        .method("copy_") { lua in
            let t = try lua.tensor(1, "copy_")
            try t.checkInPlaceAllowed("copy_")
            try t.assign(from: lua.tensor(2, "copy_").detach(), op: "copy_")
            lua_settop(lua.L, 1)
            return 1
        },
    ]

    /// Pushes a tensor's values as nested Lua tables (numbers, integers or booleans).
    static func pushTable(_ lua: Lua, _ t: Tensor) throws {
        let values = try t.toDoubles()
        var position = 0
        func build(_ depth: Int) {
            if depth == t.rank {
                let v = values[position]
                position += 1
                if t.dtype == .bool { lua.push(v != 0) } else if t.dtype.isInteger { lua.push(Int(Int64(fromDouble: v))) } else { lua.push(v) }
                return
            }
            lua_createtable(lua.L, Int32(t.shape[depth]), 0)
            for k in 0..<t.shape[depth] {
                build(depth + 1)
                lua_rawseti(lua.L, -2, lua_Integer(k + 1))
            }
        }
        build(0)
    }
}
