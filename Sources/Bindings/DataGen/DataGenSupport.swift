import CLua
import CLuaShim
import Engine

/// The `data.*` generators (module `lumen.datagen`): each native function takes one options
/// table, checks every key against the options it knows (a typo is an error naming the
/// alternatives), and returns one result table. Installed as `lumen_internal.datagen_<name>`;
/// `lumen/datagen.lua` exposes them.
enum DataGenBindings {
    static let bindings: [BindingEntry] =
        DataGenWafer.bindings + DataGenParametric.bindings + DataGenSeries.bindings + DataGenText.bindings
        + DataGenImages.bindings + DataGenSTDF.bindings

    static func entry(_ name: String, _ f: @escaping Binding) -> BindingEntry {
        BindingEntry(.namespace("lumen_internal", "datagen_" + name), f)
    }
}

/// The options table of a generator call (argument 1; nil means all defaults).
struct DataGenOptions {
    let lua: Lua
    let op: String
    let index: Int32 = 1

    init(_ lua: Lua, _ op: String, allowed: [String]) throws {
        self.lua = lua
        self.op = op
        let L = lua.L
        if lua.isNoneOrNil(index) { return }
        guard lua_type(L, index) == LUA_TTABLE else {
            throw EngineError(op, "expected an options table such as {n = 100, seed = 1}; got \(lua.typeName(index))")
        }
        lua_pushnil(L)
        while lua_next(L, index) != 0 {
            defer { lumen_pop(L, 1) }
            guard lua_type(L, -2) == LUA_TSTRING, let c = lua_tolstring(L, -2, nil) else {
                throw EngineError(op, "options must be named (key = value); got a \(lua.typeName(-2)) key")
            }
            let key = String(cString: c)
            guard allowed.contains(key) else {
                throw EngineError(op, "unknown option \"\(key)\" (expected one of: \(allowed.joined(separator: ", ")))")
            }
        }
    }

    /// Lua type of option `name` (LUA_TNIL when absent).
    func type(_ name: String) -> Int32 {
        lua.withField(index, name) { lua_type(lua.L, -1) } ?? LUA_TNIL
    }

    func has(_ name: String) -> Bool { type(name) != LUA_TNIL }

    func integer(_ name: String, _ fallback: Int) throws -> Int {
        try lua.optionInteger(index, name, op) ?? fallback
    }

    func number(_ name: String, _ fallback: Double) throws -> Double {
        try lua.optionNumber(index, name, op) ?? fallback
    }

    func string(_ name: String, _ fallback: String) throws -> String {
        try lua.optionString(index, name, op) ?? fallback
    }

    func bool(_ name: String, _ fallback: Bool) throws -> Bool {
        let t = type(name)
        if t == LUA_TNIL { return fallback }
        guard t == LUA_TBOOLEAN else {
            throw EngineError(op, "option \(name): expected a boolean; got \(lua_typename(lua.L, t).map { String(cString: $0) } ?? "?")")
        }
        return lua.optionBool(index, name) ?? fallback
    }

    /// A strength in 0...1 given as a boolean (`true` = `whenTrue`) or a number.
    func strength(_ name: String, whenTrue: Double) throws -> Double {
        let t = type(name)
        if t == LUA_TNIL { return 0 }
        if t == LUA_TBOOLEAN { return lua.optionBool(index, name) == true ? whenTrue : 0 }
        let v = try number(name, 0)
        try checkRange(name, v, 0...1)
        return v
    }

    /// The `seed` option; without one, a draw from the global generator (so
    /// `torch.manual_seed` still makes the call reproducible).
    func seed() throws -> UInt64 {
        if let s = try lua.optionInteger(index, "seed", op) { return UInt64(bitPattern: Int64(s)) }
        return Generator.default.next()
    }

    func checkRange<T: Comparable>(_ name: String, _ value: T, _ range: ClosedRange<T>) throws {
        guard range.contains(value) else {
            throw EngineError(op, "\(name) must be in \(range.lowerBound)...\(range.upperBound); got \(value)")
        }
    }

    /// Runs `body` with option `name` pushed at -1 (nil when absent).
    func withField<R>(_ name: String, _ body: () throws -> R?) rethrows -> R? {
        try lua.withField(index, name, body)
    }
}

/// Building result tables.
enum DataGenOut {
    /// Pushes a new table.
    static func table(_ lua: Lua, array: Int = 0, fields: Int = 0) {
        lua_createtable(lua.L, Int32(array), Int32(fields))
    }

    /// `t[name] = value` for the table on top of the stack; `push` pushes the value.
    static func set(_ lua: Lua, _ name: String, _ push: () throws -> Void) rethrows {
        try push()
        lua_setfield(lua.L, -2, name)
    }

    /// `t[k] = value` (1-based) for the table on top of the stack.
    static func set(_ lua: Lua, _ k: Int, _ push: () throws -> Void) rethrows {
        try push()
        lua_rawseti(lua.L, -2, lua_Integer(k))
    }

    static func strings(_ lua: Lua, _ list: [String]) {
        table(lua, array: list.count)
        for (k, s) in list.enumerated() { set(lua, k + 1) { lua.push(s) } }
    }

    static func numbers(_ lua: Lua, _ list: [Double]) {
        table(lua, array: list.count)
        for (k, v) in list.enumerated() { set(lua, k + 1) { lua.push(v) } }
    }

    static func booleans(_ lua: Lua, _ list: [Bool]) {
        table(lua, array: list.count)
        for (k, v) in list.enumerated() { set(lua, k + 1) { lua.push(v) } }
    }

    /// Per-sample lists of boxes as Lua tables {x1, y1, x2, y2, label = c}, all 1-based (inclusive
    /// corners); `corners` reads a box's 0-based corners and class.
    static func boxes<Box>(_ lua: Lua, _ lists: [[Box]],
                           _ corners: (Box) -> (x1: Int, y1: Int, x2: Int, y2: Int, label: Int)) {
        table(lua, array: lists.count)
        for (i, list) in lists.enumerated() {
            set(lua, i + 1) {
                table(lua, array: list.count)
                for (k, box) in list.enumerated() {
                    let b = corners(box)
                    set(lua, k + 1) {
                        table(lua, array: 4, fields: 1)
                        for (j, v) in [b.x1, b.y1, b.x2, b.y2].enumerated() { set(lua, j + 1) { lua.push(v + 1) } }
                        set(lua, "label") { lua.push(b.label + 1) }
                    }
                }
            }
        }
    }

    /// An int64 tensor of `values` shifted by `plus` (1 turns 0-based ids into Lua ids).
    static func ids(_ values: [Int], plus: Int = 1) throws -> Tensor {
        try Tensor(values.map { Double($0 + plus) }, shape: [values.count], dtype: .int64)
    }

    static func bools(_ values: [Bool]) throws -> Tensor {
        try Tensor(values.map { $0 ? 1 : 0 }, shape: [values.count], dtype: .bool)
    }

    static func floats(_ values: [Double], shape: [Int]) throws -> Tensor {
        try Tensor(values, shape: shape, dtype: .float32)
    }
}
