import CLua
import CLuaShim
import Engine

/// A thin view of a `lua_State` for bindings: typed, non-raising reads of arguments (they throw
/// Swift errors instead of longjmp-ing) and pushes of results. Indices are Lua stack indices.
public struct Lua {
    public let L: OpaquePointer

    public init(_ L: OpaquePointer) { self.L = L }

    public var top: Int32 { lua_gettop(L) }
    public func type(_ i: Int32) -> Int32 { lua_type(L, i) }
    public func isNoneOrNil(_ i: Int32) -> Bool { lumen_isnoneornil(L, i) != 0 }
    public func typeName(_ i: Int32) -> String {
        if isTensor(i) { return "tensor" }
        return String(cString: lua_typename(L, lua_type(L, i)))
    }

    // MARK: reading arguments

    /// "argument 2 (dim)" for stack arguments; "option dtype" for an options-table field (read at -1).
    func describe(_ i: Int32, _ what: String) -> String {
        if i < 0 && !what.isEmpty { return "option \(what)" }
        return "argument \(i)" + (what.isEmpty ? "" : " (\(what))")
    }

    /// Argument `i` as a tensor, or a clear error naming `op`.
    public func tensor(_ i: Int32, _ op: String) throws -> Tensor {
        guard let t = optTensor(i) else {
            throw EngineError(op, "argument \(i): expected a tensor; got \(typeName(i))")
        }
        return t
    }

    public func optTensor(_ i: Int32) -> Tensor? {
        guard let box = lumen_tensor_box(L, i) else { return nil }
        return Unmanaged<Tensor>.fromOpaque(box).takeUnretainedValue()
    }

    public func isTensor(_ i: Int32) -> Bool { optTensor(i) != nil }

    public func number(_ i: Int32, _ op: String, _ what: String = "") throws -> Double {
        var ok: Int32 = 0
        let v = lua_tonumberx(L, i, &ok)
        guard ok != 0, lua_type(L, i) == LUA_TNUMBER else {
            throw EngineError(op, "\(describe(i, what)): expected a number; got \(typeName(i))")
        }
        return v
    }

    public func optNumber(_ i: Int32, _ op: String, _ what: String = "") throws -> Double? {
        isNoneOrNil(i) ? nil : try number(i, op, what)
    }

    public func integer(_ i: Int32, _ op: String, _ what: String = "") throws -> Int {
        var ok: Int32 = 0
        let v = lua_tointegerx(L, i, &ok)
        guard ok != 0, lua_type(L, i) == LUA_TNUMBER else {
            let given = lua_type(L, i) == LUA_TNUMBER ? "\(lua_tonumberx(L, i, nil))" : typeName(i)
            throw EngineError(op, "\(describe(i, what)): expected an integer; got \(given)")
        }
        return Int(v)
    }

    public func optInteger(_ i: Int32, _ op: String, _ what: String = "") throws -> Int? {
        isNoneOrNil(i) ? nil : try integer(i, op, what)
    }

    public func boolean(_ i: Int32) -> Bool { lua_toboolean(L, i) != 0 }

    public func string(_ i: Int32, _ op: String, _ what: String = "") throws -> String {
        guard lua_type(L, i) == LUA_TSTRING, let c = lua_tolstring(L, i, nil) else {
            throw EngineError(op, "\(describe(i, what)): expected a string; got \(typeName(i))")
        }
        return String(cString: c)
    }

    public func optString(_ i: Int32, _ op: String) throws -> String? {
        isNoneOrNil(i) ? nil : try string(i, op)
    }

    /// A Lua dim (1-based; negative from the end) as an engine dim (0-based; negative kept).
    public func dim(_ i: Int32, _ op: String) throws -> Int {
        try Lua.engineDim(integer(i, op, "dim"), op)
    }

    public func optDim(_ i: Int32, _ op: String) throws -> Int? {
        isNoneOrNil(i) || lua_type(L, i) == LUA_TTABLE || lua_type(L, i) == LUA_TBOOLEAN ? nil : try dim(i, op)
    }

    public static func engineDim(_ d: Int, _ op: String) throws -> Int {
        if d > 0 { return d - 1 }
        if d < 0 { return d }
        throw EngineError(op, "dim 0 is invalid: dims count from 1 (use -1 for the last)")
    }

    /// A Lua index (1-based; negative from the end) as an engine index (0-based; negative kept).
    public static func engineIndex(_ i: Int, _ op: String) throws -> Int {
        if i > 0 { return i - 1 }
        if i < 0 { return i }
        throw EngineError(op, "index 0 is invalid: indices count from 1 (use -1 for the last)")
    }

    /// Sizes given as varargs from `start` (`2, 3`) or one table (`{2, 3}`), stopping at an
    /// options table or nil. Returns the sizes and the index after them.
    public func sizes(from start: Int32, _ op: String) throws -> (sizes: [Int], next: Int32) {
        if lua_type(L, start) == LUA_TTABLE && !isOptionsTable(start) {
            return (try integerList(start, op, what: "size"), start + 1)
        }
        var sizes: [Int] = []
        var i = start
        while lua_type(L, i) == LUA_TNUMBER {
            sizes.append(try integer(i, op, "size"))
            i += 1
        }
        return (sizes, i)
    }

    /// True for a table with string keys (an options table) rather than an array.
    public func isOptionsTable(_ i: Int32) -> Bool {
        guard lua_type(L, i) == LUA_TTABLE else { return false }
        return lua_rawlen(L, i) == 0 && !isEmptyTable(i)
    }

    private func isEmptyTable(_ i: Int32) -> Bool {
        let t = lua_absindex(L, i)
        lua_pushnil(L)
        if lua_next(L, t) != 0 { lumen_pop(L, 2); return false }
        return true
    }

    /// The array part of table `i` as integers (errors name the element).
    public func integerList(_ i: Int32, _ op: String, what: String) throws -> [Int] {
        let t = lua_absindex(L, i)
        let n = Int(lua_rawlen(L, t))
        var out: [Int] = []
        out.reserveCapacity(n)
        for k in 1...max(n, 1) where n > 0 {
            lua_rawgeti(L, t, lua_Integer(k))
            defer { lumen_pop(L, 1) }
            var ok: Int32 = 0
            let v = lua_tointegerx(L, -1, &ok)
            guard ok != 0 else { throw EngineError(op, "\(what) element \(k): expected an integer; got \(typeName(-1))") }
            out.append(Int(v))
        }
        return out
    }

    /// Field `name` of the options table at `i` (nil when `i` is not a table or lacks it),
    /// pushed on the stack while `body` reads it at index -1.
    public func withField<R>(_ i: Int32, _ name: String, _ body: () throws -> R?) rethrows -> R? {
        guard lua_type(L, i) == LUA_TTABLE else { return nil }
        let t = lua_absindex(L, i)
        lua_pushstring(L, name)
        lua_rawget(L, t)
        defer { lumen_pop(L, 1) }
        if lua_type(L, -1) == LUA_TNIL { return nil }
        return try body()
    }

    public func optionNumber(_ i: Int32, _ name: String, _ op: String) throws -> Double? {
        try withField(i, name) { try number(-1, op, name) }
    }

    public func optionInteger(_ i: Int32, _ name: String, _ op: String) throws -> Int? {
        try withField(i, name) { try integer(-1, op, name) }
    }

    public func optionBool(_ i: Int32, _ name: String) -> Bool? {
        withField(i, name) { boolean(-1) }
    }

    public func optionString(_ i: Int32, _ name: String, _ op: String) throws -> String? {
        try withField(i, name) { try string(-1, op, name) }
    }

    /// The `dtype` option (a string such as "float64"/"long") of the table at `i`.
    public func optionDType(_ i: Int32, _ op: String) throws -> DType? {
        guard let name = try optionString(i, "dtype", op) else { return nil }
        return try Lua.dtype(named: name, op)
    }

    public static func dtype(named name: String, _ op: String) throws -> DType {
        guard let t = DType(name: name) else {
            throw EngineError(op, "unknown dtype \"\(name)\" (expected one of \(DType.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return t
    }

    // MARK: pushing results

    public func push(_ t: Tensor) { TensorUserdata.push(self, t) }
    public func push(_ t: Tensor?) { if let t { push(t) } else { lua_pushnil(L) } }
    public func push(_ v: Double) { lua_pushnumber(L, v) }
    public func push(_ v: Int) { lua_pushinteger(L, lua_Integer(v)) }
    public func push(_ v: Bool) { lua_pushboolean(L, v ? 1 : 0) }
    public func push(_ s: String) { lua_pushstring(L, s) }
    public func pushNil() { lua_pushnil(L) }

    /// Pushes an array of integers as a Lua table.
    public func push(_ list: [Int]) {
        lua_createtable(L, Int32(list.count), 0)
        for (k, v) in list.enumerated() {
            lua_pushinteger(L, lua_Integer(v))
            lua_rawseti(L, -2, lua_Integer(k + 1))
        }
    }

    /// Pushes tensors as a Lua array.
    public func push(_ list: [Tensor]) {
        lua_createtable(L, Int32(list.count), 0)
        for (k, t) in list.enumerated() {
            push(t)
            lua_rawseti(L, -2, lua_Integer(k + 1))
        }
    }
}
