import CLua
import Engine

/// Reductions, softmax and ordering. Dims and returned indices are 1-based.
enum TorchReduce {
    /// `x:name(dim-or-dims?, keepdim?)` for reductions taking a dim list.
    static func reduction(_ name: String, _ f: @escaping @Sendable (Tensor, [Int]?, Bool) throws -> Tensor) -> BindingEntry {
        .both(name) { lua in
            let x = try lua.tensor(1, name)
            let (dims, keepdim, _) = try Bind.reductionDims(lua, 2, name)
            lua.push(try f(x, dims, keepdim))
            return 1
        }
    }

    /// max/min: over all → value tensor; over a dim → values, 1-based indices.
    static func extremum(_ name: String, all: @escaping @Sendable (Tensor) throws -> Tensor,
                         dim: @escaping @Sendable (Tensor, Int, Bool) throws -> (values: Tensor, indices: Tensor),
                         pairwise: @escaping @Sendable (Tensor, Tensor) throws -> Tensor) -> BindingEntry {
        .both(name) { lua in
            let x = try lua.tensor(1, name)
            if let other = lua.optTensor(2) { lua.push(try pairwise(x, other)); return 1 }
            let (dims, keepdim, _) = try Bind.reductionDims(lua, 2, name)
            guard let dims else { lua.push(try all(x)); return 1 }
            guard dims.count == 1 else { throw EngineError(name, "expects one dim; got \(dims.count)") }
            let r = try dim(x, dims[0], keepdim)
            lua.push(r.values)
            lua.push(try Bind.oneBased(r.indices))
            return 2
        }
    }

    /// Reads the `correction` for var/std: `{correction=}`, `{unbiased=}` or a boolean `unbiased`.
    static func correction(_ lua: Lua, _ i: Int32) throws -> Double {
        if lua_type(lua.L, i) == LUA_TBOOLEAN { return lua.boolean(i) ? 1 : 0 }
        if let c = try lua.optionNumber(i, "correction", "var") { return c }
        if let u = lua.optionBool(i, "unbiased") { return u ? 1 : 0 }
        return 1
    }

    static let bindings: [BindingEntry] = [
        reduction("sum") { try $0.sum(dims: $1, keepdim: $2) },
        reduction("mean") { try $0.mean(dims: $1, keepdim: $2) },
        reduction("logsumexp") { try $0.logsumexp(dims: $1, keepdim: $2) },
        reduction("amax") { try $0.amax(dims: $1, keepdim: $2) },
        reduction("amin") { try $0.amin(dims: $1, keepdim: $2) },
        .both("var") { lua in
            let x = try lua.tensor(1, "var")
            let (dims, keepdim, next) = try Bind.reductionDims(lua, 2, "var")
            lua.push(try x.variance(dims: dims, correction: correction(lua, next), keepdim: keepdim))
            return 1
        },
        .both("std") { lua in
            let x = try lua.tensor(1, "std")
            let (dims, keepdim, next) = try Bind.reductionDims(lua, 2, "std")
            lua.push(try x.std(dims: dims, correction: correction(lua, next), keepdim: keepdim))
            return 1
        },
        .both("norm") { lua in
            let x = try lua.tensor(1, "norm")
            var p = 2.0
            var next: Int32 = 2
            if lua_type(lua.L, 2) == LUA_TNUMBER { p = try lua.number(2, "norm", "p"); next = 3 }
            else if lua_type(lua.L, 2) == LUA_TSTRING {
                let s = try lua.string(2, "norm")
                guard s == "fro" || s == "inf" else { throw EngineError("norm", "unknown norm \"\(s)\" (use a number, \"fro\" or \"inf\")") }
                p = s == "inf" ? .infinity : 2
                next = 3
            }
            let (dims, keepdim, _) = try Bind.reductionDims(lua, next, "norm")
            lua.push(try x.norm(p: p, dims: dims, keepdim: keepdim))
            return 1
        },
        .both("prod") { lua in
            let x = try lua.tensor(1, "prod")
            if let d = try lua.optDim(2, "prod") { lua.push(try x.prod(dim: d, keepdim: lua.boolean(3))) } else { lua.push(try x.prod()) }
            return 1
        },
        extremum("max", all: { try $0.max() }, dim: { try $0.max(dim: $1, keepdim: $2) }, pairwise: { try $0.maximum($1) }),
        extremum("min", all: { try $0.min() }, dim: { try $0.min(dim: $1, keepdim: $2) }, pairwise: { try $0.minimum($1) }),
        .both("argmax") { lua in
            let x = try lua.tensor(1, "argmax")
            lua.push(try Bind.oneBased(x.argmax(dim: lua.optDim(2, "argmax"), keepdim: lua.boolean(3))))
            return 1
        },
        .both("argmin") { lua in
            let x = try lua.tensor(1, "argmin")
            lua.push(try Bind.oneBased(x.argmin(dim: lua.optDim(2, "argmin"), keepdim: lua.boolean(3))))
            return 1
        },
        .both("cumsum") { lua in lua.push(try lua.tensor(1, "cumsum").cumsum(dim: lua.dim(2, "cumsum"))); return 1 },
        .both("cumprod") { lua in lua.push(try lua.tensor(1, "cumprod").cumprod(dim: lua.dim(2, "cumprod"))); return 1 },
        .both("softmax") { lua in lua.push(try lua.tensor(1, "softmax").softmax(dim: lua.optDim(2, "softmax") ?? -1)); return 1 },
        .both("log_softmax") { lua in
            lua.push(try lua.tensor(1, "log_softmax").logSoftmax(dim: lua.optDim(2, "log_softmax") ?? -1))
            return 1
        },
        .both("sort") { lua in
            let x = try lua.tensor(1, "sort")
            let d = try lua.optDim(2, "sort") ?? -1
            let descending = lua_type(lua.L, 3) == LUA_TBOOLEAN ? lua.boolean(3)
                : (lua.optionBool(2, "descending") ?? lua.optionBool(3, "descending") ?? false)
            let r = try x.sort(dim: d, descending: descending)
            lua.push(r.values)
            lua.push(try Bind.oneBased(r.indices))
            return 2
        },
        .both("argsort") { lua in
            let x = try lua.tensor(1, "argsort")
            let d = try lua.optDim(2, "argsort") ?? -1
            let descending = lua_type(lua.L, 3) == LUA_TBOOLEAN ? lua.boolean(3) : (lua.optionBool(3, "descending") ?? false)
            lua.push(try Bind.oneBased(x.argsort(dim: d, descending: descending)))
            return 1
        },
        .both("topk") { lua in
            let x = try lua.tensor(1, "topk")
            let k = try lua.integer(2, "topk", "k")
            let d = try lua.optDim(3, "topk") ?? -1
            let opts: Int32 = lua.isOptionsTable(3) ? 3 : 4
            let largest = lua_type(lua.L, 4) == LUA_TBOOLEAN ? lua.boolean(4) : (lua.optionBool(opts, "largest") ?? true)
            let r = try x.topk(k, dim: d, largest: largest, sorted: true)
            lua.push(r.values)
            lua.push(try Bind.oneBased(r.indices))
            return 2
        },
    ]
}
