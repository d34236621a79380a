import CLua
import CLuaShim
import Engine

/// Swift objects other than tensors (optimizers, schedules) held by Lua: a retained box with a
/// `__gc` that releases it. Lua-side classes wrap these handles.
enum ObjectUserdata {
    static let metatableName = "lumen.Object"

    static func push(_ lua: Lua, _ object: AnyObject) {
        let L = lua.L
        let raw = lua_newuserdatauv(L, MemoryLayout<UnsafeMutableRawPointer?>.size, 0)!
        raw.storeBytes(of: Unmanaged.passRetained(object).toOpaque(), as: UnsafeMutableRawPointer?.self)
        if luaL_newmetatable(L, metatableName) != 0 {
            lumen_push_binding(L, Int32(BindingTable.objectGCIndex))
            lua_setfield(L, -2, "__gc")
        }
        lua_setmetatable(L, -2)
    }

    /// The object at `i` as `T`, or an error naming `op`.
    static func get<T: AnyObject>(_ lua: Lua, _ i: Int32, _ type: T.Type, _ op: String) throws -> T {
        guard let raw = luaL_testudata(lua.L, i, metatableName),
              let box = raw.load(as: UnsafeMutableRawPointer?.self),
              let object = Unmanaged<AnyObject>.fromOpaque(box).takeUnretainedValue() as? T else {
            throw EngineError(op, "argument \(i): expected a \(T.self) handle; got \(lua.typeName(i))")
        }
        return object
    }

    static let gc = BindingEntry(.namespace("lumen_internal", "object_gc")) { lua in
        if let raw = luaL_testudata(lua.L, 1, metatableName), let box = raw.load(as: UnsafeMutableRawPointer?.self) {
            raw.storeBytes(of: nil, as: UnsafeMutableRawPointer?.self)
            Unmanaged<AnyObject>.fromOpaque(box).release()
        }
        return 0
    }
}

/// A mutable Swift value held by Lua through `ObjectUserdata`.
final class Box<Value> {
    var value: Value
    init(_ value: Value) { self.value = value }
}
