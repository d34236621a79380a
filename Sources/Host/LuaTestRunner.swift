import Bindings

/// `lumen test [paths]`: runs Lua test files with lumen/testing.lua; exit 1 if any failed.
enum LuaTestRunner {
    static func run(_ state: LuaState, paths: [String]) -> Int32 {
        let list = "{" + paths.map { luaString($0) }.joined(separator: ", ") + "}"
        switch state.evaluate("return require('lumen.testing').run(\(list))") {
        case .success(let values):
            return values.first == "0" ? 0 : 1
        case .failure(let error):
            report(error.message)
            return 1
        }
    }

    static func luaString(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
