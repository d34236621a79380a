import Bindings
import CLua
import CLuaShim
import Engine

/// One worker's copy of the served model: its own Lua state with the model file loaded (via
/// `lumen.serving`). Not thread-safe: created, used and dropped on one worker thread only.
final class LuaModel {
    private let state: LuaState
    /// Registry reference to the `forward(...) -> names, tensors` closure.
    private let forwardRef: Int32
    /// What the model file declares (inputs/outputs may be absent).
    let declared: DeclaredSignature

    /// Loads `path` (and `weights`); a failure's message says what went wrong for the user.
    init(path: String, weights: String?) throws(StartupError) {
        do { state = try LuaState() } catch { throw StartupError("\(error)") }
        let L = state.L
        let base = lua_gettop(L)
        defer { lua_settop(L, base) }
        // require("lumen.serving").load(path, weights) -> forward, signature JSON
        lua_getglobal(L, "require")
        lua_pushstring(L, "lumen.serving")
        guard lumen_pcall(L, 1, 1, 0) == LUA_OK else { throw StartupError(LuaModel.popMessage(L)) }
        lua_getfield(L, -1, "load")
        lua_pushstring(L, path)
        if let weights { lua_pushstring(L, weights) } else { lua_pushnil(L) }
        guard lumen_pcall(L, 2, 2, 0) == LUA_OK else { throw StartupError(LuaModel.popMessage(L)) }
        let json = lumen_tostring(L, -1).map { String(cString: $0) } ?? "{}"
        do { declared = try DeclaredSignature(json: json) } catch { throw StartupError("model signature: \(error)") }
        lumen_pop(L, 1)
        forwardRef = luaL_ref(L, lumen_registryindex())
    }

    deinit { luaL_unref(state.L, lumen_registryindex(), forwardRef) }

    /// Runs one batched forward. `inputs` are in the model's input order, batch first. Returns
    /// the named outputs, or the Lua error message (the state stays usable either way).
    func forward(_ inputs: [Tensor]) -> Result<[NamedTensor], ForwardError> {
        let L = state.L
        let lua = state.lua
        let base = lua_gettop(L)
        defer { lua_settop(L, base) }
        lua_rawgeti(L, lumen_registryindex(), lua_Integer(forwardRef))
        for t in inputs { lua.push(t) }
        Interrupt.clear()
        guard lumen_pcall(L, Int32(inputs.count), 2, 0) == LUA_OK else {
            return .failure(ForwardError(message: LuaModel.popMessage(L)))
        }
        // Stack: names (array of strings), tensors (array of tensors).
        let count = Int(lua_rawlen(L, -1))
        var outputs: [NamedTensor] = []
        outputs.reserveCapacity(count)
        for k in 1...max(count, 1) where count > 0 {
            lua_rawgeti(L, -2, lua_Integer(k))
            let name = lumen_tostring(L, -1).map { String(cString: $0) } ?? "output_\(k)"
            lumen_pop(L, 1)
            lua_rawgeti(L, -1, lua_Integer(k))
            guard let tensor = lua.optTensor(-1) else {
                return .failure(ForwardError(message: "[serve] output \(k) is not a tensor"))
            }
            lumen_pop(L, 1)
            outputs.append(NamedTensor(name: name, tensor: tensor))
        }
        return .success(outputs)
    }

    private static func popMessage(_ L: OpaquePointer) -> String {
        let message = lumen_tostring(L, -1).map { String(cString: $0) } ?? "(error object is not a string)"
        lumen_pop(L, 1)
        return message
    }
}

struct NamedTensor: @unchecked Sendable {
    let name: String
    let tensor: Tensor
}

/// A Lua error raised while running the model on a batch.
struct ForwardError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// A problem found before the server listens (exit status 2).
struct StartupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
