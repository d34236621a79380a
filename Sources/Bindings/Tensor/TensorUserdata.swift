import CLua
import CLuaShim
import Engine
import Synchronization

/// Tensors as Lua userdata: a pointer-sized box holding a retained `Tensor`, with a metatable
/// giving methods, operators, indexing and printing. Creating tensors drives Lua's collector
/// from the engine's live-byte count, so loops stay flat without `collectgarbage()`.
public enum TensorUserdata {
    static let metatableName = "lumen.Tensor"
    static let methodTableKey = "lumen.Tensor.methods"

    /// Live tensor bytes above which the next push runs a full collection.
    private static let collectThreshold = Atomic<Int>(64 << 20)
    private static let minimumThreshold = 64 << 20

    static func createMetatable(_ lua: Lua) {
        let L = lua.L
        luaL_newmetatable(L, metatableName)
        lua_pushstring(L, "Tensor")
        lua_setfield(L, -2, "__name")
        lumen_remember_tensor_metatable(L, -1)
        lumen_pop(L, 1)
        lumen_newtable(L)
        lua_setfield(L, lumen_registryindex(), methodTableKey)
    }

    /// Pushes the table of tensor methods (`x:sum()` ...).
    static func pushMethodTable(_ lua: Lua) {
        lua_getfield(lua.L, lumen_registryindex(), methodTableKey)
    }

    /// Pushes `t` as a new userdata (retaining it).
    static func push(_ lua: Lua, _ t: Tensor) {
        lumen_push_tensor_box(lua.L, Unmanaged.passRetained(t).toOpaque())
        accountMemory(lua.L)
    }

    /// When live tensor memory has doubled since the last collection (and passed 64 MiB), run a
    /// full collection so unreachable tensors free their storage now.
    private static func accountMemory(_ L: OpaquePointer) {
        let live = MemoryStats.liveBytes
        guard live > collectThreshold.load(ordering: .relaxed) else { return }
        lumen_gc_collect(L)
        collectThreshold.store(Swift.max(minimumThreshold, MemoryStats.liveBytes * 2), ordering: .relaxed)
    }

    static let bindings: [BindingEntry] = [
        BindingEntry(.metamethod("__gc")) { lua in
            if let raw = luaL_testudata(lua.L, 1, metatableName),
               let box = raw.load(as: UnsafeMutableRawPointer?.self) {
                raw.storeBytes(of: nil, as: UnsafeMutableRawPointer?.self)
                Unmanaged<Tensor>.fromOpaque(box).release()
            }
            return 0
        },
        BindingEntry(.metamethod("__tostring")) { lua in
            lua.push(TensorFormatter.format(try lua.tensor(1, "tostring")))
            return 1
        },
        BindingEntry(.metamethod("__len")) { lua in
            let t = try lua.tensor(1, "len")
            lua.push(t.rank == 0 ? 0 : t.shape[0])
            return 1
        },
        BindingEntry(.metamethod("__unm")) { lua in
            lua.push(try lua.tensor(1, "neg").neg())
            return 1
        },
        arithmetic("__add", "add", { try $0.add($1) }, { try $0.add(scalar: $1) }, { try $1.add(scalar: $0) }),
        arithmetic("__sub", "sub", { try $0.sub($1) }, { try $0.sub(scalar: $1) }, { try $1.rsub(scalar: $0) }),
        arithmetic("__mul", "mul", { try $0.mul($1) }, { try $0.mul(scalar: $1) }, { try $1.mul(scalar: $0) }),
        arithmetic("__div", "div", { try $0.div($1) }, { try $0.div(scalar: $1) }, { try $1.rdiv(scalar: $0) }),
        arithmetic("__pow", "pow", { try $0.pow($1) }, { try $0.pow(scalar: $1) }, { try $1.rpow(scalar: $0) }),
    ]

    /// A binary operator metamethod accepting tensor∘tensor, tensor∘number and number∘tensor.
    static func arithmetic(_ meta: String, _ op: String,
                           _ tt: @escaping @Sendable (Tensor, Tensor) throws -> Tensor,
                           _ tn: @escaping @Sendable (Tensor, Double) throws -> Tensor,
                           _ nt: @escaping @Sendable (Double, Tensor) throws -> Tensor) -> BindingEntry {
        BindingEntry(.metamethod(meta)) { lua in
            lua.push(try binaryOperands(lua, op, tt, tn, nt))
            return 1
        }
    }

    /// Evaluates `a op b` where either side may be a number.
    static func binaryOperands(_ lua: Lua, _ op: String,
                               _ tt: (Tensor, Tensor) throws -> Tensor,
                               _ tn: (Tensor, Double) throws -> Tensor,
                               _ nt: (Double, Tensor) throws -> Tensor) throws -> Tensor {
        if let a = lua.optTensor(1) {
            if let b = lua.optTensor(2) { return try tt(a, b) }
            return try tn(a, try lua.number(2, op))
        }
        return try nt(try lua.number(1, op), try lua.tensor(2, op))
    }
}
