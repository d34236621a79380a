import CLua
import CLuaShim
import Engine

/// `x[i]`, `x[{{1,3}, 2}]`, `x[mask]`, `x[idx]` and their assignments, plus the tensor
/// properties read as fields (`x.grad`, `x.requires_grad`, `x.shape`, `x.dtype`, ...).
///
/// Index rules (Torch7's, 1-based): a number selects (removing the dim; on a 1-d tensor it
/// gives a Lua number); a table `{a, b}` keeps the dim and takes a..b inclusive, `{a, b, step}`
/// steps, `{a}` is a..a, `{}` is everything; negative positions count from the end. A bool
/// tensor selects by mask; an integer tensor picks rows (dim 1) by 1-based index.
enum TensorIndexing {
    static let bindings: [BindingEntry] = [
        // Called by the Lua-side __index after the method table misses.
        BindingEntry(.namespace("lumen_internal", "index")) { lua in
            let t = try lua.tensor(1, "index")
            if lua_type(lua.L, 2) == LUA_TSTRING {
                return try property(lua, t, try lua.string(2, "index"))
            }
            if lua_type(lua.L, 2) == LUA_TNUMBER && t.rank == 1 {
                let i = try Lua.engineIndex(lua.integer(2, "index"), "index")
                let v = try t.value(at: [i])
                if t.dtype == .bool { lua.push(v != 0) } else if t.dtype.isInteger { lua.push(Int(Int64(fromDouble: v))) } else { lua.push(v) }
                return 1
            }
            if let key = lua.optTensor(2) {
                if key.dtype == .bool { lua.push(try t.maskedSelect(mask: key)); return 1 }
                lua.push(try t.indexSelect(dim: 0, index: zeroBased(key, "index")))
                return 1
            }
            lua.push(try view(lua, t, key: 2))
            return 1
        },
        BindingEntry(.metamethod("__newindex")) { lua in
            let t = try lua.tensor(1, "newindex")
            if lua_type(lua.L, 2) == LUA_TSTRING {
                try setProperty(lua, t, try lua.string(2, "newindex"))
                return 0
            }
            try t.checkInPlaceAllowed("index assignment")
            if let key = lua.optTensor(2), key.dtype == .bool {
                let value = try assignedValue(lua, like: t)
                try t.assign(from: Tensor.where(key, value, t.detach()), op: "index assignment")
                return 0
            }
            if let key = lua.optTensor(2) {
                let index = try zeroBased(key, "index assignment")
                let value = try assignedValue(lua, like: t)
                let rows = try index.toInts()
                let source = try value.broadcastTo([rows.count] + Array(t.shape.dropFirst()), "index assignment")
                for (k, r) in rows.enumerated() {
                    try t.select(dim: 0, index: Int(r)).assign(from: source.select(dim: 0, index: k), op: "index assignment")
                }
                return 0
            }
            let target = try view(lua, t, key: 2)
            try target.assign(from: try assignedValue(lua, like: t), op: "index assignment")
            return 0
        },
    ]

    /// The value being assigned (argument 3): a tensor, or a number as a 0-d tensor.
    private static func assignedValue(_ lua: Lua, like t: Tensor) throws -> Tensor {
        if let v = lua.optTensor(3) { return v.detach() }
        return try Tensor.scalar(try lua.number(3, "index assignment", "value"), dtype: t.dtype)
    }

    /// A 1-based integer index tensor converted to 0-based.
    static func zeroBased(_ index: Tensor, _ op: String) throws -> Tensor {
        guard index.dtype.isInteger else {
            throw EngineError(op, "index tensor must be integer or bool; got \(index.dtype)")
        }
        let values = try index.toInts()
        if let zero = values.firstIndex(of: 0) {
            throw EngineError(op, "index 0 at position \(zero + 1) is invalid: indices count from 1")
        }
        let shifted = values.map { Double($0 > 0 ? $0 - 1 : $0) }
        return try Tensor(shifted, shape: index.shape, dtype: .int64)
    }

    /// The view of `t` selected by the key at stack index `key` (number or table spec).
    static func view(_ lua: Lua, _ t: Tensor, key: Int32) throws -> Tensor {
        let L = lua.L
        if lua_type(L, key) == LUA_TNUMBER {
            return try t.select(dim: 0, index: Lua.engineIndex(lua.integer(key, "index"), "index"))
        }
        guard lua_type(L, key) == LUA_TTABLE else {
            throw EngineError("index", "expected a number, a table of ranges, or a tensor as index; got \(lua.typeName(key))")
        }
        let spec = lua_absindex(L, key)
        let count = Int(lua_rawlen(L, spec))
        guard count <= t.rank else {
            throw EngineError("index", "\(count) indices given for a tensor with \(t.rank) dims (shape \(shapeString(t.shape)))")
        }
        var result = t
        var dim = 0
        for k in 0..<count {
            lua_rawgeti(L, spec, lua_Integer(k + 1))
            defer { lumen_pop(L, 1) }
            if lua_type(L, -1) == LUA_TNUMBER {
                let i = try Lua.engineIndex(lua.integer(-1, "index", "position \(k + 1)"), "index")
                result = try result.select(dim: dim, index: i)
            } else if lua_type(L, -1) == LUA_TTABLE {
                let range = try lua.integerList(-1, "index", what: "range \(k + 1)")
                result = try slice(result, dim: dim, range: range)
                dim += 1
            } else {
                throw EngineError("index", "entry \(k + 1) of the index must be a number or a {first, last} table; got \(lua.typeName(-1))")
            }
        }
        return result
    }

    /// `{}` all, `{a}` a..a, `{a, b}` a..b inclusive, `{a, b, step}`; 1-based, negative from end.
    private static func slice(_ t: Tensor, dim: Int, range: [Int]) throws -> Tensor {
        let size = t.shape[dim]
        if range.isEmpty { return t }
        guard range.count <= 3 else {
            throw EngineError("index", "a range is {first, last} or {first, last, step}; got \(range.count) numbers")
        }
        func position(_ p: Int) throws -> Int {
            let i = p > 0 ? p - 1 : (p < 0 ? p + size : -1)
            guard p != 0, i >= 0, i < size else {
                throw EngineError("index", "position \(p) out of range for dim \(dim + 1) of size \(size)")
            }
            return i
        }
        let first = try position(range[0])
        let last = try position(range.count >= 2 ? range[1] : range[0])
        let step = range.count == 3 ? range[2] : 1
        guard step > 0 else { throw EngineError("index", "range step must be positive; got \(step)") }
        guard last >= first else {
            throw EngineError("index", "range {\(range[0]), \(range.count >= 2 ? range[1] : range[0])} is empty or reversed for dim \(dim + 1) of size \(size)")
        }
        return try t.slice(dim: dim, start: first, end: last + 1, step: step)
    }

    /// Reads a field-style property; falls back to nil for unknown names (Lua convention).
    private static func property(_ lua: Lua, _ t: Tensor, _ name: String) throws -> Int32 {
        switch name {
        case "grad": lua.push(t.grad)
        case "requires_grad": lua.push(t.requiresGrad)
        case "is_leaf": lua.push(t.isLeaf)
        case "dtype": lua.push(t.dtype.rawValue)
        case "shape": lua.push(t.shape)
        case "ndim": lua.push(t.rank)
        case "grad_fn":
            if let fn = t.gradFn { lua.push(fn.name) } else { lua.pushNil() }
        case "T": lua.push(try t.rank < 2 ? t : t.permute(Array((0..<t.rank).reversed())))
        case "data": lua.push(t.detach())
        default: lua.pushNil()
        }
        return 1
    }

    private static func setProperty(_ lua: Lua, _ t: Tensor, _ name: String) throws {
        switch name {
        case "grad":
            if lua.isNoneOrNil(3) { t.grad = nil; return }
            let g = try lua.tensor(3, "grad")
            guard g.shape == t.shape else {
                throw EngineError("grad", "assigned gradient has shape \(shapeString(g.shape)); tensor has \(shapeString(t.shape))")
            }
            t.grad = try g.detach().to(t.dtype)
        case "requires_grad":
            try t.setRequiresGrad(lua.boolean(3))
        default:
            throw EngineError("newindex", "cannot set field \"\(name)\" on a tensor (settable: grad, requires_grad)")
        }
    }
}

extension Tensor {
    /// In-place writes are refused on tensors that take part in autograd.
    func checkInPlaceAllowed(_ op: String) throws {
        if requiresGrad && GradMode.isEnabled {
            throw EngineError(op, "in-place write to a tensor that requires grad; use torch.no_grad or an out-of-place op")
        }
    }

    /// Broadcast view for assignments, with the op's name in errors.
    func broadcastTo(_ shape: [Int], _ op: String) throws -> Tensor {
        do { return try GradMode.withoutGrad { try expand(shape) } }
        catch let e as EngineError { throw EngineError(op, e.detail) }
    }
}
