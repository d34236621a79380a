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

    /// A Lua string literal holding `s` exactly (quotes, backslashes, newlines, NULs escaped).
    static func luaString(_ s: String) -> String {
        var out = "\""
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += "\\\""
            case UInt8(ascii: "\\"): out += "\\\\"
            case UInt8(ascii: "\n"): out += "\\n"
            case UInt8(ascii: "\r"): out += "\\r"
            case 0: out += "\\0"
            case 128...: out += "\\\(byte)"  // three decimal digits: unambiguous
            default: out.unicodeScalars.append(Unicode.Scalar(byte))
            }
        }
        return out + "\""
    }
}
