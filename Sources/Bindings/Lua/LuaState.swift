import CLua
import CLuaShim
import Engine
import Foundation

/// One Lua 5.4 interpreter with Lumen's namespaces (`torch`, `nn`, `optim`, ...) installed.
/// Not thread-safe: use one state per thread.
public final class LuaState {
    public let L: OpaquePointer

    /// Result of running a chunk: values rendered as strings, or the error with traceback.
    public enum Outcome: Equatable {
        case ok
        case error(String)
    }

    public init() throws {
        guard let L = luaL_newstate() else { throw EngineError("lua", "could not create a Lua state") }
        self.L = L
        luaL_openlibs(L)
        lumen_set_dispatcher(BindingTable.dispatcher)
        install()
        try loadStandardLibrary()
    }

    deinit { lua_close(L) }

    public var lua: Lua { Lua(L) }

    /// Installs every binding: namespace functions, tensor methods and metamethods.
    private func install() {
        TensorUserdata.createMetatable(lua)
        for (id, entry) in BindingTable.entries.enumerated() {
            switch entry.place {
            case .namespace(let table, let name):
                setField(global: table, name, id)
            case .method(let name, let alsoFunction):
                TensorUserdata.pushMethodTable(lua)
                lumen_push_binding(L, Int32(id))
                lua_setfield(L, -2, name)
                lumen_pop(L, 1)
                if alsoFunction { setField(global: "torch", name, id) }
            case .metamethod(let name):
                lua_getfield(L, lumen_registryindex(), TensorUserdata.metatableName)
                lumen_push_binding(L, Int32(id))
                lua_setfield(L, -2, name)
                lumen_pop(L, 1)
            }
        }
    }

    /// `global[name] = binding id`, creating the global table if needed.
    private func setField(global table: String, _ name: String, _ id: Int) {
        if lua_getglobal(L, table) != LUA_TTABLE {
            lumen_pop(L, 1)
            lumen_newtable(L)
            lua_pushvalue(L, -1)
            lua_setglobal(L, table)
        }
        lumen_push_binding(L, Int32(id))
        lua_setfield(L, -2, name)
        lumen_pop(L, 1)
    }

    /// Folder of the Lua standard library shipped as resources (`lumen/*.lua`).
    public static var libraryPath: String {
        Bundle.module.resourceURL!.appendingPathComponent("lua").path
    }

    /// Puts the shipped library on `package.path` and runs its prelude (`lumen/init.lua`).
    private func loadStandardLibrary() throws {
        let root = LuaState.libraryPath
        let code = """
        package.path = \(luaQuoted(root + "/?.lua")) .. ";" .. \(luaQuoted(root + "/?/init.lua")) .. ";" .. package.path
        require "lumen"
        """
        if case .error(let message) = run(code, chunkName: "=(lumen prelude)") {
            throw EngineError("lua", "could not load the Lumen Lua library: \(message)")
        }
    }

    /// Runs a chunk of code; its results are discarded.
    @discardableResult
    public func run(_ code: String, chunkName: String = "=(command line)") -> Outcome {
        Interrupt.clear()
        let status = code.withCString { lumen_dostring(L, $0, strlen($0), chunkName, 0) }
        return outcome(status)
    }

    /// Runs a file with `arg` set as lua.c does (`arg[0]` = script, `arg[1..]` = arguments).
    public func runFile(_ path: String, arguments: [String] = []) -> Outcome {
        Interrupt.clear()
        lua_createtable(L, Int32(arguments.count), 1)
        lua_pushstring(L, path)
        lua_rawseti(L, -2, 0)
        for (k, a) in arguments.enumerated() {
            lua_pushstring(L, a)
            lua_rawseti(L, -2, lua_Integer(k + 1))
        }
        lua_setglobal(L, "arg")
        let status = luaL_loadfilex(L, path, nil)
        if status != LUA_OK { return outcome(status) }
        for a in arguments { lua_pushstring(L, a) }
        return outcome(lumen_docall(L, Int32(arguments.count), 0))
    }

    private func outcome(_ status: Int32) -> Outcome {
        if status == LUA_OK { return .ok }
        let message = lumen_tostring(L, -1).map { String(cString: $0) } ?? "(error object is not a string)"
        lumen_pop(L, 1)
        return .error(message)
    }

    /// Evaluates `code` and returns each result converted by Lua's `tostring` (for tests/REPL).
    public func evaluate(_ code: String) -> Result<[String], LuaError> {
        Interrupt.clear()
        let base = lua_gettop(L)
        let status = code.withCString { lumen_dostring(L, $0, strlen($0), "=(eval)", LUA_MULTRET) }
        if status != LUA_OK {
            let message = lumen_tostring(L, -1).map { String(cString: $0) } ?? "?"
            lua_settop(L, base)
            return .failure(LuaError(message: message))
        }
        var values: [String] = []
        for i in (base + 1)...max(base + 1, lua_gettop(L)) where i <= lua_gettop(L) {
            values.append(String(cString: luaL_tolstring(L, i, nil)))
            lumen_pop(L, 1)
        }
        lua_settop(L, base)
        return .success(values)
    }
}

public struct LuaError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// A Lua string literal for `s`.
func luaQuoted(_ s: String) -> String {
    var out = "\""
    for c in s.unicodeScalars {
        switch c {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        default: out.unicodeScalars.append(c)
        }
    }
    return out + "\""
}
