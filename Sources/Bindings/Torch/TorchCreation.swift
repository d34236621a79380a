import CLua
import CLuaShim
import Engine

/// `torch.tensor`, `zeros`, `ones`, `full`, ranges, random tensors and seeding.
///
/// Sizes come as varargs or one table (`torch.zeros(2, 3)` or `torch.zeros({2, 3})`), then an
/// optional options table `{dtype = "float64", requires_grad = true}`.
enum TorchCreation {
    /// dtype and requires_grad from the options table at `i` (if it is one).
    static func options(_ lua: Lua, _ i: Int32, _ op: String) throws -> (dtype: DType?, requiresGrad: Bool) {
        if lua_type(lua.L, i) == LUA_TSTRING { return (try Lua.dtype(named: lua.string(i, op), op), false) }
        guard lua.isOptionsTable(i) else { return (nil, false) }
        return (try lua.optionDType(i, op), lua.optionBool(i, "requires_grad") ?? false)
    }

    static func finish(_ t: Tensor, _ requiresGrad: Bool) throws -> Tensor {
        if requiresGrad { try t.setRequiresGrad(true) }
        return t
    }

    /// A creation function `torch.name(sizes..., options?)`.
    static func sized(_ name: String, _ make: @escaping @Sendable ([Int], DType) throws -> Tensor) -> BindingEntry {
        .torch(name) { lua in
            let (sizes, next) = try lua.sizes(from: 1, name)
            let (dtype, grad) = try options(lua, next, name)
            lua.push(try finish(make(sizes, dtype ?? .float32), grad))
            return 1
        }
    }

    /// `torch.name_like(x, options?)`.
    static func like(_ name: String, _ make: @escaping @Sendable ([Int], DType) throws -> Tensor) -> BindingEntry {
        .torch(name) { lua in
            let x = try lua.tensor(1, name)
            let (dtype, grad) = try options(lua, 2, name)
            lua.push(try finish(make(x.shape, dtype ?? x.dtype), grad))
            return 1
        }
    }

    static let bindings: [BindingEntry] = [
        .torch("tensor") { lua in
            let (dtype, grad) = try options(lua, 2, "tensor")
            if let t = lua.optTensor(1) {
                lua.push(try finish(t.detach().clone().to(dtype ?? t.dtype), grad))
                return 1
            }
            let nested = try NestedTable.read(lua, 1)
            let t = try Tensor(nested.values, shape: nested.shape, dtype: dtype ?? nested.inferredType)
            lua.push(try finish(t, grad))
            return 1
        },
        sized("zeros") { try Tensor.zeros($0, dtype: $1) },
        sized("ones") { try Tensor.ones($0, dtype: $1) },
        sized("empty") { try Tensor.zeros($0, dtype: $1) },
        sized("rand") { try Tensor.rand($0, dtype: $1) },
        sized("randn") { try Tensor.randn($0, dtype: $1) },
        like("zeros_like") { try Tensor.zeros($0, dtype: $1) },
        like("ones_like") { try Tensor.ones($0, dtype: $1) },
        like("rand_like") { try Tensor.rand($0, dtype: $1) },
        like("randn_like") { try Tensor.randn($0, dtype: $1) },
        .torch("full") { lua in
            let (sizes, next) = try lua.sizes(from: 1, "full")
            guard lua_type(lua.L, next) == LUA_TNUMBER || lua_type(lua.L, 1) == LUA_TTABLE else {
                throw EngineError("full", "expected sizes then a fill value, e.g. torch.full({2, 3}, 7)")
            }
            // torch.full({2,3}, v): sizes table then value; torch.full(2, 3, v) is ambiguous, so
            // with varargs the last number is the value.
            var shape = sizes, valueIndex = next
            if lua_type(lua.L, 1) != LUA_TTABLE { shape = Array(sizes.dropLast()); valueIndex = next - 1 }
            let value = try lua.number(valueIndex, "full", "value")
            let (dtype, grad) = try options(lua, valueIndex + 1, "full")
            lua.push(try finish(Tensor.full(shape, value, dtype: dtype ?? .float32), grad))
            return 1
        },
        .torch("full_like") { lua in
            let x = try lua.tensor(1, "full_like")
            let (dtype, grad) = try options(lua, 3, "full_like")
            lua.push(try finish(Tensor.full(x.shape, lua.number(2, "full_like", "value"), dtype: dtype ?? x.dtype), grad))
            return 1
        },
        .torch("arange") { lua in
            // arange(end) | arange(start, end) | arange(start, end, step), values as PyTorch.
            var numbers: [Double] = []
            var i: Int32 = 1
            while lua_type(lua.L, i) == LUA_TNUMBER { numbers.append(try lua.number(i, "arange")); i += 1 }
            guard (1...3).contains(numbers.count) else {
                throw EngineError("arange", "expected (end), (start, end) or (start, end, step); got \(numbers.count) numbers")
            }
            let (dtype, grad) = try options(lua, i, "arange")
            let start = numbers.count == 1 ? 0 : numbers[0], end = numbers.count == 1 ? numbers[0] : numbers[1]
            let step = numbers.count == 3 ? numbers[2] : 1
            lua.push(try finish(Tensor.arange(start, end, step: step, dtype: dtype), grad))
            return 1
        },
        .torch("linspace") { lua in
            let (dtype, grad) = try options(lua, 4, "linspace")
            lua.push(try finish(Tensor.linspace(lua.number(1, "linspace", "start"), lua.number(2, "linspace", "end"),
                                                steps: lua.integer(3, "linspace", "steps"), dtype: dtype ?? .float32), grad))
            return 1
        },
        .torch("eye") { lua in
            let n = try lua.integer(1, "eye")
            let m = lua_type(lua.L, 2) == LUA_TNUMBER ? try lua.integer(2, "eye") : nil
            let (dtype, grad) = try options(lua, m == nil ? 2 : 3, "eye")
            lua.push(try finish(Tensor.eye(n, m, dtype: dtype ?? .float32), grad))
            return 1
        },
        .torch("randint") { lua in
            // randint(high, sizes) or randint(low, high, sizes): values in [low, high).
            let a = try lua.integer(1, "randint")
            let hasLow = lua_type(lua.L, 2) == LUA_TNUMBER && lua_type(lua.L, 3) != LUA_TNIL
            let (low, high) = hasLow ? (a, try lua.integer(2, "randint")) : (0, a)
            let (sizes, next) = try lua.sizes(from: hasLow ? 3 : 2, "randint")
            let (dtype, _) = try options(lua, next, "randint")
            lua.push(try Tensor.randint(low: low, high: high, shape: sizes).to(dtype ?? .int64))
            return 1
        },
        .torch("randperm") { lua in
            // A permutation of 1..n (positions, so 1-based).
            lua.push(try Bind.oneBased(Tensor.randperm(lua.integer(1, "randperm"))))
            return 1
        },
        .torch("normal") { lua in
            let mean = try lua.number(1, "normal", "mean"), std = try lua.number(2, "normal", "std")
            let (sizes, next) = try lua.sizes(from: 3, "normal")
            let (dtype, _) = try options(lua, next, "normal")
            lua.push(try Tensor.normal(sizes, mean: mean, std: std, dtype: dtype ?? .float32))
            return 1
        },
        .both("bernoulli") { lua in
            let p = try lua.tensor(1, "bernoulli")
            lua.push(try Tensor.bernoulli(p))
            return 1
        },
        .both("multinomial") { lua in
            let w = try lua.tensor(1, "multinomial")
            let n = try lua.integer(2, "multinomial", "num_samples")
            let replacement = lua.boolean(3) || (lua.optionBool(3, "replacement") ?? false)
            lua.push(try Bind.oneBased(Tensor.multinomial(w, numSamples: n, replacement: replacement)))
            return 1
        },
        .torch("manual_seed") { lua in
            Generator.default.manualSeed(UInt64(bitPattern: Int64(try lua.integer(1, "manual_seed", "seed"))))
            return 0
        },
        .torch("seed") { lua in
            lua.push(Int(Int64(bitPattern: Generator.default.seedFromSystem())))
            return 1
        },
        .torch("get_rng_state") { lua in
            // The default generator's state as an int64 tensor (4 words), for checkpoints.
            let words = Generator.default.stateWords
            let t = try Tensor(shape: [words.count], dtype: .int64, zeroed: false, op: "get_rng_state")
            let p = t.storage.bytes.assumingMemoryBound(to: Int64.self)
            for (k, w) in words.enumerated() { p[k] = Int64(bitPattern: w) }
            lua.push(t)
            return 1
        },
        .torch("set_rng_state") { lua in
            let t = try lua.tensor(1, "set_rng_state")
            guard t.dtype == .int64, t.shape == [4] else {
                throw EngineError("set_rng_state", "expected the int64 tensor of 4 words from torch.get_rng_state(); got \(t.dtype) \(shapeString(t.shape))")
            }
            let c = try t.contiguous()
            let p = c.storage.bytes.assumingMemoryBound(to: Int64.self) + c.offset
            try Generator.default.setState((0..<4).map { UInt64(bitPattern: p[$0]) })
            return 0
        },
        .torch("initial_seed") { lua in
            lua.push(Int(Int64(bitPattern: Generator.default.initialSeed)))
            return 1
        },
    ]
}

/// A nested Lua table of numbers/booleans read as a shape and row-major values.
struct NestedTable {
    var shape: [Int] = []
    var values: [Double] = []
    var allIntegers = true
    var allBooleans = true

    var inferredType: DType { values.isEmpty ? .float32 : (allBooleans ? .bool : (allIntegers ? .int64 : .float32)) }

    static func read(_ lua: Lua, _ i: Int32) throws -> NestedTable {
        var result = NestedTable()
        let L = lua.L
        if lua_type(L, i) == LUA_TNUMBER || lua_type(L, i) == LUA_TBOOLEAN {
            try result.scalar(lua, lua_absindex(L, i), path: "")
            return result
        }
        guard lua_type(L, i) == LUA_TTABLE else {
            throw EngineError("tensor", "expected a (nested) table of numbers; got \(lua.typeName(i))")
        }
        try result.walk(lua, lua_absindex(L, i), depth: 0, path: "")
        return result
    }

    private mutating func scalar(_ lua: Lua, _ index: Int32, path: String) throws {
        let L = lua.L
        switch lua_type(L, index) {
        case LUA_TBOOLEAN:
            allIntegers = false
            values.append(lua_toboolean(L, index) != 0 ? 1 : 0)
        case LUA_TNUMBER:
            allBooleans = false
            if lua_isinteger(L, index) == 0 { allIntegers = false }
            values.append(lua_tonumberx(L, index, nil))
        default:
            throw EngineError("tensor", "element\(path) is a \(lua.typeName(index)); expected a number")
        }
    }

    private mutating func walk(_ lua: Lua, _ table: Int32, depth: Int, path: String) throws {
        let L = lua.L
        let n = Int(lua_rawlen(L, table))
        if depth == shape.count { shape.append(n) }
        else if shape[depth] != n {
            throw EngineError("tensor", "ragged nested table: element\(path) has \(n) entries; expected \(shape[depth])")
        }
        guard depth < 32 else { throw EngineError("tensor", "nesting deeper than 32 levels") }
        for k in 1...max(n, 1) where n > 0 {
            lua_rawgeti(L, table, lua_Integer(k))
            defer { lumen_pop(L, 1) }
            let here = path + "[\(k)]"
            if lua_type(L, -1) == LUA_TTABLE {
                guard depth + 1 >= shape.count || shape.count > depth + 1 || values.isEmpty else {
                    throw EngineError("tensor", "ragged nested table at element\(here)")
                }
                if shape.count == depth + 1 && !values.isEmpty {
                    throw EngineError("tensor", "ragged nested table: element\(here) is a table but earlier elements are numbers")
                }
                try walk(lua, lua_absindex(L, -1), depth: depth + 1, path: here)
            } else {
                if shape.count > depth + 1 {
                    throw EngineError("tensor", "ragged nested table: element\(here) is a number; expected a table")
                }
                try scalar(lua, lua_absindex(L, -1), path: here)
            }
        }
    }
}
