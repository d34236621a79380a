import CLua
import CLuaShim
import Engine
#if canImport(Glibc)
import Glibc
#endif

/// `lumen_internal.read_csv(path, header, delimiter, quote, types)`: the fast path behind
/// `data.read_csv` (lumen/data/csv.lua). RFC 4180 parsing: fields separated by `delimiter`, records by
/// LF, CRLF or CR; a field may be quoted, with `""` standing for one quote inside it, and may then
/// hold delimiters and line breaks. Blank lines are skipped; a UTF-8 byte-order mark is dropped.
///
/// Column types come from `types` (column name, or 1-based position without a header → type name)
/// or are inferred: all integers → int64, all numbers (empty fields read as NaN) → float32, else
/// strings. Returns (columns: name → tensor or array of strings, names in file order). Every error
/// names the file, the line and the column.
enum CSVReader {
    enum ColumnType: Equatable {
        case float32, float64, int64, int32, string

        init?(name: String) {
            switch name.lowercased() {
            case "float32", "float", "number": self = .float32
            case "float64", "double": self = .float64
            case "int64", "int", "integer", "long": self = .int64
            case "int32": self = .int32
            case "string", "str", "text": self = .string
            default: return nil
            }
        }

        static let names = "float32 (float, number), float64 (double), int64 (int, integer, long), int32, string"
    }

    /// One field: a byte range of the file, or of the arena when the field held `""` escapes.
    struct Field {
        var start: Int
        var end: Int
        var inArena: Bool
    }

    struct Table {
        var ncols = 0
        var fields: [Field] = []
        /// Line on which each data record starts (1-based).
        var lines: [Int] = []
        var header: [Field] = []
        var arena: [UInt8] = []
    }

    // MARK: the binding

    /// Reads the `types` table at `i`: keys are column names (or positions), values type names.
    static func declaredTypes(_ lua: Lua, _ i: Int32) throws -> [(key: String, position: Int?, type: ColumnType)] {
        guard lua_type(lua.L, i) == LUA_TTABLE else { return [] }
        var out: [(key: String, position: Int?, type: ColumnType)] = []
        let t = lua_absindex(lua.L, i)
        lua_pushnil(lua.L)
        while lua_next(lua.L, t) != 0 {
            defer { lumen_pop(lua.L, 1) }
            var key = "", position: Int? = nil
            if lua_type(lua.L, -2) == LUA_TSTRING {
                key = String(cString: lua_tolstring(lua.L, -2, nil))
            } else if lua_type(lua.L, -2) == LUA_TNUMBER {
                var ok: Int32 = 0
                let v = lua_tointegerx(lua.L, -2, &ok)
                guard ok != 0 else { throw EngineError("read_csv", "option columns: keys must be column names or positions") }
                position = Int(v)
                key = String(v)
            } else {
                throw EngineError("read_csv", "option columns: keys must be column names or positions; got \(lua.typeName(-2))")
            }
            guard lua_type(lua.L, -1) == LUA_TSTRING else {
                throw EngineError("read_csv", "option columns: type of column \"\(key)\" must be a string such as \"float32\"; got \(lua.typeName(-1))")
            }
            let name = String(cString: lua_tolstring(lua.L, -1, nil))
            guard let type = ColumnType(name: name) else {
                throw EngineError("read_csv", "option columns: unknown type \"\(name)\" for column \"\(key)\" (expected \(ColumnType.names))")
            }
            out.append((key, position, type))
        }
        return out
    }

    static func singleByte(_ s: String, _ what: String) throws -> UInt8 {
        let bytes = Array(s.utf8)
        guard bytes.count == 1, bytes[0] != 10, bytes[0] != 13 else {
            throw EngineError("read_csv", "option \(what) must be one character (not a line break); got \"\(s)\"")
        }
        return bytes[0]
    }

    static let bindings: [BindingEntry] = [
        BindingEntry(.namespace("lumen_internal", "read_csv")) { lua in
            let path = try lua.string(1, "read_csv", "path")
            let header = lua.isNoneOrNil(2) ? true : lua.boolean(2)
            let delimiter = try singleByte(lua.optString(3, "read_csv") ?? ",", "delimiter")
            let quote = try singleByte(lua.optString(4, "read_csv") ?? "\"", "quote")
            guard delimiter != quote else { throw EngineError("read_csv", "delimiter and quote must differ") }
            let declared = try declaredTypes(lua, 5)

            let bytes = try readFile(path)
            let table = try parse(bytes, path: path, header: header, delimiter: delimiter, quote: quote)
            let ncols = table.ncols, rows = table.lines.count

            try bytes.withUnsafeBufferPointer { fileBuffer in
                try table.arena.withUnsafeBufferPointer { arenaBuffer in
                    // An empty arena may have no address; point at the file then (never read).
                    guard let file = fileBuffer.baseAddress else { return }
                    let arena = arenaBuffer.baseAddress ?? file

                    var names: [String] = []
                    if header {
                        var seen: [String: Int] = [:]
                        for (j, f) in table.header.enumerated() {
                            var name = text(table, f, fileBuffer)
                            if name.isEmpty { name = "unnamed_\(j + 1)" }
                            if let previous = seen[name] {
                                throw EngineError("read_csv", "\(path):1: column \(j + 1): duplicate column name \(quoted(name)) (also column \(previous))")
                            }
                            seen[name] = j + 1
                            names.append(name)
                        }
                    }
                    var types = [ColumnType?](repeating: nil, count: ncols)
                    for d in declared {
                        if header {
                            guard let j = names.firstIndex(of: d.key) else {
                                throw EngineError("read_csv", "\(path): column \(quoted(d.key)) given in option columns is not in the header (columns: \(names.joined(separator: ", ")))")
                            }
                            types[j] = d.type
                        } else {
                            guard let p = d.position, p >= 1, p <= ncols else {
                                throw EngineError("read_csv", "\(path): column \(quoted(d.key)) given in option columns does not exist: without a header, columns are positions 1..\(ncols)")
                            }
                            types[p - 1] = d.type
                        }
                    }

                    func label(_ j: Int) -> String { header ? "column \(j + 1) (\(quoted(names[j])))" : "column \(j + 1)" }

                    lua_createtable(lua.L, header ? 0 : Int32(ncols), header ? Int32(ncols) : 0)
                    for j in 0..<ncols {
                        var type: ColumnType
                        if let declared = types[j] {
                            type = declared
                        } else {
                            switch infer(table, j, file: file, arena: arena) {
                            case .ints(let values):
                                let t = try Tensor(shape: [rows], dtype: .int64, zeroed: false, op: "read_csv")
                                values.withUnsafeBufferPointer { src in
                                    if let base = src.baseAddress { t.storage.bytes.assumingMemoryBound(to: Int64.self).update(from: base, count: rows) }
                                }
                                lua.push(t)
                                if header { lua_setfield(lua.L, -2, names[j]) } else { lua_rawseti(lua.L, -2, lua_Integer(j + 1)) }
                                continue
                            case .doubles(let values):
                                let t = try Tensor(shape: [rows], dtype: .float32, zeroed: false, op: "read_csv")
                                let out = t.storage.bytes.assumingMemoryBound(to: Float.self)
                                for r in 0..<rows { out[r] = Float(values[r]) }
                                lua.push(t)
                                if header { lua_setfield(lua.L, -2, names[j]) } else { lua_rawseti(lua.L, -2, lua_Integer(j + 1)) }
                                continue
                            case .text:
                                type = .string
                            }
                        }
                        if type == .string {
                            lua_createtable(lua.L, Int32(rows), 0)
                            for r in 0..<rows {
                                let f = table.fields[r * ncols + j]
                                let p = f.inArena ? arena : file
                                (p + f.start).withMemoryRebound(to: CChar.self, capacity: max(f.end - f.start, 1)) {
                                    _ = lua_pushlstring(lua.L, $0, f.end - f.start)
                                }
                                lua_rawseti(lua.L, -2, lua_Integer(r + 1))
                            }
                        } else {
                            let dtype: DType = switch type {
                            case .float64: .float64
                            case .int64: .int64
                            case .int32: .int32
                            default: .float32
                            }
                            let t = try Tensor(shape: [rows], dtype: dtype, zeroed: false, op: "read_csv")
                            for r in 0..<rows {
                                let f = table.fields[r * ncols + j]
                                let p = f.inArena ? arena : file
                                func fail(_ expected: String) -> EngineError {
                                    let given = String(decoding: UnsafeBufferPointer(start: p + f.start, count: f.end - f.start), as: UTF8.self)
                                    return EngineError("read_csv", "\(path):\(table.lines[r]): \(label(j)): expected \(expected); got \(given.isEmpty ? "an empty field" : quoted(given))")
                                }
                                switch type {
                                case .float32, .float64:
                                    guard let v = parseDouble(p, f.start, f.end) else { throw fail("a number") }
                                    if type == .float32 { t.storage.bytes.assumingMemoryBound(to: Float.self)[r] = Float(v) }
                                    else { t.storage.bytes.assumingMemoryBound(to: Double.self)[r] = v }
                                case .int64:
                                    guard let v = parseInt(p, f.start, f.end) else { throw fail("an integer") }
                                    t.storage.bytes.assumingMemoryBound(to: Int64.self)[r] = v
                                case .int32:
                                    guard let v = parseInt(p, f.start, f.end), let w = Int32(exactly: v) else { throw fail("a 32-bit integer") }
                                    t.storage.bytes.assumingMemoryBound(to: Int32.self)[r] = w
                                case .string:
                                    break
                                }
                            }
                            lua.push(t)
                        }
                        if header { lua_setfield(lua.L, -2, names[j]) } else { lua_rawseti(lua.L, -2, lua_Integer(j + 1)) }
                    }
                    lua_createtable(lua.L, Int32(ncols), 0)
                    for j in 0..<ncols {
                        if header { lua.push(names[j]) } else { lua.push(j + 1) }
                        lua_rawseti(lua.L, -2, lua_Integer(j + 1))
                    }
                }
            }
            return 2
        },
        BindingEntry(.namespace("lumen_internal", "write_csv")) { lua in try writeColumns(lua) },
    ]
}
