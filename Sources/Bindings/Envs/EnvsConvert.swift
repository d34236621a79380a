import CLua
import CLuaShim
import Engine

/// Environment objects (`Env`, `VectorEnv`, space samplers) as Lua userdata: a pointer-sized box
/// holding a retained Swift object, released by `__gc`. Bindings accept the userdata itself or a
/// Lua table holding it in its `_handle` field (the Lua-side `env` objects).
enum EnvObjects {
    static let metatableName: StaticString = "lumen.EnvObject"
    private static let handleField: StaticString = "_handle"

    /// The registry key of the metatable: the (constant) address of its name, so checks are a
    /// pointer lookup rather than a string lookup.
    private static var metatableKey: UnsafeRawPointer { UnsafeRawPointer(metatableName.utf8Start) }

    /// Pushes `object` as a new userdata (retaining it).
    static func push(_ lua: Lua, _ object: AnyObject) {
        let L = lua.L
        guard let raw = lua_newuserdatauv(L, MemoryLayout<UnsafeMutableRawPointer>.size, 0) else { return }
        raw.storeBytes(of: Unmanaged.passRetained(object).toOpaque(), as: UnsafeMutableRawPointer.self)
        if lua_rawgetp(L, lumen_registryindex(), metatableKey) != LUA_TTABLE {
            // First object of this state: make the metatable; `__gc` is the `lumen_internal.envs_close` binding.
            lumen_pop(L, 1)
            _ = luaL_newmetatable(L, "lumen.EnvObject")
            lua_pushstring(L, "EnvHandle")
            lua_setfield(L, -2, "__name")
            lua_pushstring(L, "locked")
            lua_setfield(L, -2, "__metatable")
            if lua_getglobal(L, "lumen_internal") == LUA_TTABLE {
                lua_pushstring(L, "envs_close")
                lua_rawget(L, -2)
                lua_setfield(L, -3, "__gc")
            }
            lumen_pop(L, 1)
            lua_pushvalue(L, -1)
            lua_rawsetp(L, lumen_registryindex(), metatableKey)
        }
        lua_setmetatable(L, -2)
    }

    /// The object behind argument `i` (a handle, or a table with `_handle`), or nil.
    static func object(_ lua: Lua, _ i: Int32) -> AnyObject? {
        let L = lua.L
        if lua_type(L, i) == LUA_TTABLE {
            let t = lua_absindex(L, i)
            _ = lua_pushlstring(L, UnsafeRawPointer(handleField.utf8Start).assumingMemoryBound(to: CChar.self),
                                handleField.utf8CodeUnitCount)
            lua_rawget(L, t)
            defer { lumen_pop(L, 1) }
            return raw(L, -1)
        }
        return raw(L, i)
    }

    /// The userdata block of an environment object at `i`, or nil for any other value.
    private static func block(_ L: OpaquePointer, _ i: Int32) -> UnsafeMutableRawPointer? {
        guard lua_type(L, i) == LUA_TUSERDATA, let ud = lua_touserdata(L, i) else { return nil }
        guard lua_getmetatable(L, i) != 0 else { return nil }
        lua_rawgetp(L, lumen_registryindex(), metatableKey)
        let same = lua_rawequal(L, -1, -2) != 0
        lumen_pop(L, 2)
        return same ? ud : nil
    }

    private static func raw(_ L: OpaquePointer, _ i: Int32) -> AnyObject? {
        guard let ud = block(L, i), let box = ud.load(as: UnsafeMutableRawPointer?.self) else { return nil }
        return Unmanaged<AnyObject>.fromOpaque(box).takeUnretainedValue()
    }

    /// Releases the object of the handle at `i` (idempotent).
    static func release(_ lua: Lua, _ i: Int32) {
        guard let ud = block(lua.L, i), let box = ud.load(as: UnsafeMutableRawPointer?.self) else { return }
        ud.storeBytes(of: nil, as: UnsafeMutableRawPointer?.self)
        Unmanaged<AnyObject>.fromOpaque(box).release()
    }

    static func env(_ lua: Lua, _ i: Int32, _ op: String) throws -> Env {
        if let e = object(lua, i) as? Env { return e }
        throw EngineError(op, "argument \(i): expected an environment (from envs.make); got \(describe(lua, i))")
    }

    static func vector(_ lua: Lua, _ i: Int32, _ op: String) throws -> VectorEnv {
        if let v = object(lua, i) as? VectorEnv { return v }
        throw EngineError(op, "argument \(i): expected a vector environment (from envs.vector); got \(describe(lua, i))")
    }

    static func sampler(_ lua: Lua, _ i: Int32, _ op: String) throws -> SpaceSampler {
        if let s = object(lua, i) as? SpaceSampler { return s }
        throw EngineError(op, "argument \(i): expected a space; got \(describe(lua, i))")
    }

    private static func describe(_ lua: Lua, _ i: Int32) -> String {
        if lua.type(i) == LUA_TTABLE || block(lua.L, i) != nil {
            return object(lua, i) == nil ? "a closed environment" : "another kind of environment object"
        }
        return lua.typeName(i)
    }
}

/// A space with a way to sample it: an environment's own spaces (sampled with its generator; the
/// action space samples legal moves only) or a free-standing space with its own generator.
final class SpaceSampler {
    enum Source {
        case envAction(Env)
        case envObservation(Env)
        case vectorAction(VectorEnv)
        case vectorObservation(VectorEnv)
        case free(Generator)
    }

    let space: Space
    let source: Source

    init(space: Space, source: Source) {
        self.space = space
        self.source = source
    }

    func sample() -> SpaceValue {
        switch source {
        case .envAction(let e): return e.sampleAction()
        case .envObservation(let e): return space.sample(using: e.spaceRng)
        case .vectorAction(let v):
            let actions = v.sampleActions()
            switch v.singleActionSpace {
            case .discrete: return .multiDiscrete(actions.map { if case .discrete(let a) = $0 { return a }; return 0 })
            case .multiDiscrete: return .multiDiscrete(actions.flatMap { if case .multiDiscrete(let a) = $0 { return a }; return [] })
            case .box: return .vector(actions.flatMap(\.doubles))
            }
        case .vectorObservation(let v): return space.sample(using: v.spaceRng)
        case .free(let g): return space.sample(using: g)
        }
    }

    var generator: Generator {
        switch source {
        case .envAction(let e), .envObservation(let e): return e.spaceRng
        case .vectorAction(let v), .vectorObservation(let v): return v.spaceRng
        case .free(let g): return g
        }
    }
}

/// Conversions between Lua values and environment values. Discrete values are 1-based in Lua.
enum EnvConvert {
    static let base = 1

    // MARK: Lua -> Swift

    /// Argument `i` as an action of `space` (Lua integers 1..n; numbers, tables or tensors for
    /// boxes; tables or integer tensors for MultiDiscrete). Errors name `op` and the valid range.
    static func action(_ lua: Lua, _ i: Int32, space: Space, _ op: String) throws -> SpaceValue {
        let L = lua.L
        func fail(_ given: String) -> EngineError {
            EngineError(op, "invalid action \(given): expected \(space.rangeDescription(base: base))")
        }
        switch space {
        case .discrete:
            if lua_type(L, i) == LUA_TNUMBER {
                var ok: Int32 = 0
                let v = lua_tointegerx(L, i, &ok)
                guard ok != 0 else { throw fail("\(lua_tonumberx(L, i, nil)) (not an integer)") }
                return .discrete(Int(clamping: v) &- base)
            }
            if let t = lua.optTensor(i), t.numel == 1 {
                let x = try t.item()
                guard x == x.rounded(), abs(x) < 1e15 else { throw fail("\(x) (not an integer)") }
                return .discrete(Int(x) - base)
            }
            throw fail("of type \(lua.typeName(i))")
        case .box:
            if lua_type(L, i) == LUA_TNUMBER { return .vector([lua_tonumberx(L, i, nil)]) }
            if let t = lua.optTensor(i) { return .vector(try t.toDoubles()) }
            if lua_type(L, i) == LUA_TTABLE { return .vector(try numbers(lua, i, op, what: "action")) }
            throw fail("of type \(lua.typeName(i))")
        case .multiDiscrete:
            var values: [Double]
            if let t = lua.optTensor(i) { values = try t.toDoubles() }
            else if lua_type(L, i) == LUA_TTABLE { values = try numbers(lua, i, op, what: "action") }
            else { throw fail("of type \(lua.typeName(i))") }
            guard values.allSatisfy({ $0 == $0.rounded() && abs($0) < 1e15 }) else {
                throw fail("{" + values.map { "\($0)" }.joined(separator: ", ") + "} (not integers)")
            }
            return .multiDiscrete(values.map { Int($0) - base })
        }
    }

    /// The numbers of a (nested) table at `i`, flattened row-major.
    static func numbers(_ lua: Lua, _ i: Int32, _ op: String, what: String) throws -> [Double] {
        let L = lua.L
        var out: [Double] = []
        func walk(_ t: Int32, _ depth: Int) throws {
            guard depth < 16, lua_checkstack(L, 4) != 0 else { throw EngineError(op, "\(what): table nested too deeply") }
            let n = lua_rawlen(L, t)
            if n == 0 { return }
            for k in 1...n {
                lua_rawgeti(L, t, lua_Integer(k))
                defer { lumen_pop(L, 1) }
                switch lua_type(L, -1) {
                case LUA_TNUMBER: out.append(lua_tonumberx(L, -1, nil))
                case LUA_TBOOLEAN: out.append(lua_toboolean(L, -1) != 0 ? 1 : 0)
                case LUA_TTABLE: try walk(lua_absindex(L, -1), depth + 1)
                default:
                    if let tensor = lua.optTensor(-1) { out += try tensor.toDoubles() } else {
                        throw EngineError(op, "\(what): element \(k) is a \(lua.typeName(-1)); expected numbers")
                    }
                }
            }
        }
        try walk(lua_absindex(L, i), 0)
        return out
    }

    /// `n` actions from argument `i`: a table of n actions or a tensor with n rows.
    static func actions(_ lua: Lua, _ i: Int32, count n: Int, space: Space, _ op: String) throws -> [SpaceValue] {
        let L = lua.L
        if let t = lua.optTensor(i) {
            let values = try t.toDoubles()
            let width = space.flatCount
            guard t.rank >= 1, t.shape[0] == n, values.count == n * width else {
                throw EngineError(op, "expected \(n) actions (a tensor of shape \(shapeString([n] + space.shape))); got shape \(shapeString(t.shape))")
            }
            var out: [SpaceValue] = []
            out.reserveCapacity(n)
            for k in 0..<n {
                switch space {
                case .discrete:
                    let x = values[k]
                    guard x == x.rounded(), abs(x) < 1e15 else {
                        throw EngineError(op, "environment \(k + 1): invalid action \(x): expected \(space.rangeDescription(base: base))")
                    }
                    out.append(.discrete(Int(x) - base))
                case .box:
                    out.append(.vector(Array(values[(k * width)..<((k + 1) * width)])))
                case .multiDiscrete:
                    let row = values[(k * width)..<((k + 1) * width)]
                    guard row.allSatisfy({ $0 == $0.rounded() && abs($0) < 1e15 }) else {
                        throw EngineError(op, "environment \(k + 1): actions must be integers")
                    }
                    out.append(.multiDiscrete(row.map { Int($0) - base }))
                }
            }
            return out
        }
        guard lua_type(L, i) == LUA_TTABLE else {
            throw EngineError(op, "expected \(n) actions as a table or a tensor; got \(lua.typeName(i))")
        }
        let t = lua_absindex(L, i)
        let len = Int(lua_rawlen(L, t))
        guard len == n else { throw EngineError(op, "expected \(n) actions (one per environment); got \(len)") }
        var out: [SpaceValue] = []
        out.reserveCapacity(n)
        for k in 1...n {
            lua_rawgeti(L, t, lua_Integer(k))
            defer { lumen_pop(L, 1) }
            do { out.append(try action(lua, -1, space: space, op)) } catch let e as EngineError {
                throw EngineError(e.op, "environment \(k): \(e.detail)")
            }
        }
        return out
    }

    /// The options table at `i` (nil/none: empty). Keys must be strings; `skip` keys are left out.
    static func options(_ lua: Lua, _ i: Int32, _ op: String, skip: Set<String> = []) throws -> EnvOptions {
        var options = EnvOptions([:], indexBase: base)
        let L = lua.L
        if lua.isNoneOrNil(i) { return options }
        guard lua_type(L, i) == LUA_TTABLE else {
            throw EngineError(op, "expected an options table; got \(lua.typeName(i))")
        }
        let t = lua_absindex(L, i)
        lua_pushnil(L)
        while lua_next(L, t) != 0 {
            defer { lumen_pop(L, 1) }
            guard lua_type(L, -2) == LUA_TSTRING, let c = lua_tolstring(L, -2, nil) else {
                throw EngineError(op, "options must have string keys (e.g. {is_slippery = false}); got a \(String(cString: lua_typename(L, lua_type(L, -2)))) key")
            }
            let key = String(cString: c)
            if skip.contains(key) { continue }
            options[key] = try optionValue(lua, -1, op, depth: 0)
        }
        return options
    }

    static func optionValue(_ lua: Lua, _ i: Int32, _ op: String, depth: Int) throws -> OptionValue {
        let L = lua.L
        guard depth < 16, lua_checkstack(L, 4) != 0 else { throw EngineError(op, "options nested too deeply") }
        switch lua_type(L, i) {
        case LUA_TNUMBER: return .number(lua_tonumberx(L, i, nil))
        case LUA_TBOOLEAN: return .bool(lua_toboolean(L, i) != 0)
        case LUA_TSTRING: return .string(String(cString: lua_tolstring(L, i, nil)))
        case LUA_TTABLE:
            let t = lua_absindex(L, i)
            let n = lua_rawlen(L, t)
            if n > 0 {
                var list: [OptionValue] = []
                for k in 1...n {
                    lua_rawgeti(L, t, lua_Integer(k))
                    defer { lumen_pop(L, 1) }
                    list.append(try optionValue(lua, -1, op, depth: depth + 1))
                }
                return .list(list)
            }
            var table: [String: OptionValue] = [:]
            lua_pushnil(L)
            while lua_next(L, t) != 0 {
                defer { lumen_pop(L, 1) }
                if lua_type(L, -2) == LUA_TSTRING, let c = lua_tolstring(L, -2, nil) {
                    table[String(cString: c)] = try optionValue(lua, -1, op, depth: depth + 1)
                }
            }
            return table.isEmpty ? .list([]) : .table(table)
        default:
            if let tensor = lua.optTensor(i) {
                let values = try tensor.toDoubles()
                if tensor.rank == 0 { return .number(values.first ?? 0) }
                func nest(_ dims: ArraySlice<Int>, _ offset: Int) -> OptionValue {
                    guard let d = dims.first else { return .number(values[offset]) }
                    let stride = dims.dropFirst().reduce(1, *)
                    return .list((0..<d).map { nest(dims.dropFirst(), offset + $0 * stride) })
                }
                return nest(tensor.shape[...], 0)
            }
            throw EngineError(op, "option values must be numbers, booleans, strings, tables or tensors; got \(lua.typeName(i))")
        }
    }

    /// A seed argument (any Lua integer, as its 64-bit pattern).
    static func seed(_ lua: Lua, _ i: Int32, _ op: String) throws -> UInt64 {
        var ok: Int32 = 0
        let v = lua_tointegerx(lua.L, i, &ok)
        guard ok != 0, lua.type(i) == LUA_TNUMBER else {
            throw EngineError(op, "seed: expected an integer; got \(lua.type(i) == LUA_TNUMBER ? "\(lua_tonumberx(lua.L, i, nil))" : lua.typeName(i))")
        }
        return UInt64(bitPattern: Int64(v))
    }

    // MARK: Swift -> Lua

    /// Pushes a value of `space`: Lua integer for Discrete, float32 tensor for Box, int64 tensor
    /// for MultiDiscrete (1-based).
    static func push(_ lua: Lua, _ value: SpaceValue, space: Space) throws {
        switch value {
        case .discrete(let i): lua.push(i + base)
        case .vector(let v):
            let shape = space.flatCount == v.count ? space.shape : [v.count]
            lua.push(try Tensor(v, shape: shape, dtype: .float32))
        case .multiDiscrete(let v):
            let shape = space.flatCount == v.count ? space.shape : [v.count]
            lua.push(try Tensor(v.map { Double($0 + base) }, shape: shape, dtype: .int64))
        }
    }

    /// Pushes an info table.
    static func push(_ lua: Lua, _ info: Info, observationSpace: Space) throws {
        let L = lua.L
        lua_createtable(L, 0, Int32(info.count))
        for (key, value) in info {
            try push(lua, value, observationSpace: observationSpace)
            lua_setfield(L, -2, key)
        }
    }

    static func push(_ lua: Lua, _ value: InfoValue, observationSpace: Space) throws {
        let L = lua.L
        switch value {
        case .number(let x): lua.push(x)
        case .integer(let i): lua.push(i)
        case .bool(let b): lua.push(b)
        case .string(let s): lua.push(s)
        case .index(let i): lua.push(i + base)
        case .numbers(let xs):
            lua_createtable(L, Int32(xs.count), 0)
            for (k, x) in xs.enumerated() { lua_pushnumber(L, x); lua_rawseti(L, -2, lua_Integer(k + 1)) }
        case .indices(let xs): lua.push(xs.map { $0 + base })
        case .mask(let flags): lua.push(try Tensor(flags.map { $0 ? 1 : 0 }, shape: [flags.count], dtype: .bool))
        case .observation(let v): try push(lua, v, space: observationSpace)
        case .table(let t): try push(lua, t, observationSpace: observationSpace)
        case .matrix(let rows):
            lua_createtable(L, Int32(rows.count), 0)
            for (r, row) in rows.enumerated() {
                lua_createtable(L, Int32(row.count), 0)
                for (k, x) in row.enumerated() { lua_pushnumber(L, x); lua_rawseti(L, -2, lua_Integer(k + 1)) }
                lua_rawseti(L, -2, lua_Integer(r + 1))
            }
        }
    }

    /// Pushes a description of `space`: {kind=, n= | low=, high= | nvec=, shape=, dtype=, _handle=}.
    static func push(_ lua: Lua, describing space: Space, sampler: SpaceSampler) throws {
        let L = lua.L
        lua_createtable(L, 0, 6)
        switch space {
        case .discrete(let n):
            lua.push("Discrete"); lua_setfield(L, -2, "kind")
            lua.push(n); lua_setfield(L, -2, "n")
            lua.push(base); lua_setfield(L, -2, "start")
            lua.push("int64"); lua_setfield(L, -2, "dtype")
        case .box(let low, let high, let shape):
            lua.push("Box"); lua_setfield(L, -2, "kind")
            lua.push(try Tensor(low, shape: shape, dtype: .float32)); lua_setfield(L, -2, "low")
            lua.push(try Tensor(high, shape: shape, dtype: .float32)); lua_setfield(L, -2, "high")
            lua.push("float32"); lua_setfield(L, -2, "dtype")
        case .multiDiscrete(let nvec, let shape):
            lua.push("MultiDiscrete"); lua_setfield(L, -2, "kind")
            lua.push(try Tensor(nvec.map(Double.init), shape: shape, dtype: .int64)); lua_setfield(L, -2, "nvec")
            lua.push("int64"); lua_setfield(L, -2, "dtype")
        }
        lua.push(space.shape); lua_setfield(L, -2, "shape")
        lua.push(space.description); lua_setfield(L, -2, "repr")
        EnvObjects.push(lua, sampler); lua_setfield(L, -2, "_handle")
    }

    /// Parses a space description table (from `envs.spaces.*`) into a Space.
    static func space(_ lua: Lua, _ i: Int32, _ op: String) throws -> Space {
        let options = try EnvConvert.options(lua, i, op)
        let kind = try options.choice("kind", op, ["Discrete", "Box", "MultiDiscrete"]) ?? ""
        switch kind {
        case "Discrete":
            guard let n = try options.int("n", op, in: 1...Int(Int32.max)) else { throw EngineError(op, "Discrete needs n >= 1") }
            return .discrete(n)
        case "MultiDiscrete":
            guard let nvec = try options.ints("nvec", op), !nvec.isEmpty, nvec.allSatisfy({ $0 >= 1 }) else {
                throw EngineError(op, "MultiDiscrete needs nvec, a list of sizes >= 1")
            }
            return .multiDiscrete(nvec)
        case "Box":
            let shape = try options.ints("shape", op) ?? []
            var n = 1
            for d in shape {
                let (m, overflow) = n.multipliedReportingOverflow(by: d)
                guard d >= 0, !overflow, m <= 1 << 24 else {
                    throw EngineError(op, "Box shape must have non-negative sizes and at most 2^24 elements; got \(shape)")
                }
                n = m
            }
            func bounds(_ name: String, _ fallback: Double) throws -> [Double] {
                if let x = options[name], case .number(let v) = x { return Array(repeating: v, count: n) }
                if let list = try doublesAllowingInfinity(options[name], name, op) {
                    guard list.count == n else { throw EngineError(op, "Box \(name): expected \(n) values for shape \(shapeString(shape)); got \(list.count)") }
                    return list
                }
                return Array(repeating: fallback, count: n)
            }
            let low = try bounds("low", -Double.infinity), high = try bounds("high", Double.infinity)
            for k in 0..<n where !(low[k] <= high[k]) {
                throw EngineError(op, "Box low must not exceed high; element \(k + 1): \(low[k]) > \(high[k])")
            }
            return .box(low: low, high: high, shape: shape)
        default:
            throw EngineError(op, "expected kind = \"Discrete\", \"Box\" or \"MultiDiscrete\"")
        }
    }

    private static func doublesAllowingInfinity(_ value: OptionValue?, _ name: String, _ op: String) throws -> [Double]? {
        guard let value else { return nil }
        var out: [Double] = []
        func walk(_ v: OptionValue) throws {
            switch v {
            case .number(let x): out.append(x)
            case .list(let items): for item in items { try walk(item) }
            default: throw EngineError(op, "Box \(name): expected numbers")
            }
        }
        try walk(value)
        return out
    }
}
