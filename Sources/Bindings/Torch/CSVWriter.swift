import CLua
import CLuaShim
import Engine
#if canImport(Glibc)
import Glibc
#endif

// Writing tensors and string arrays as CSV columns (`lumen_internal.write_csv`), for `CSVReader`.
extension CSVReader {
    // MARK: writing

    /// Appends `text` to `out`, quoted (with quotes doubled) when it holds the delimiter, a quote
    /// or a line break.
    static func appendField(_ text: UnsafeBufferPointer<UInt8>, _ delimiter: UInt8, to out: inout [UInt8]) {
        var needsQuotes = false
        for c in text where c == delimiter || c == 34 || c == 10 || c == 13 { needsQuotes = true; break }
        if !needsQuotes { out.append(contentsOf: text); return }
        out.append(34)
        for c in text {
            out.append(c)
            if c == 34 { out.append(34) }
        }
        out.append(34)
    }

    static func appendText(_ s: String, _ delimiter: UInt8, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { appendField($0, delimiter, to: &out) }
    }

    /// Shortest text that reads back as the same value; NaN is an empty field.
    static func appendNumber(_ v: Double, to out: inout [UInt8]) {
        if v.isNaN { return }
        out.append(contentsOf: v.description.utf8)
    }

    /// One column to write: text for each row.
    enum OutColumn {
        case float32(Tensor), float64(Tensor), int64(Tensor), lua(Int32)
    }

    static func writeColumns(_ lua: Lua) throws -> Int32 {
        let op = "write_csv"
        let path = try lua.string(1, op, "path")
        let delimiter = try singleByte(lua.string(4, op, "delimiter"), "delimiter")
        let L = lua.L
        let ncols = Int(lua_rawlen(L, 2))
        guard lua_type(L, 2) == LUA_TTABLE, lua_type(L, 3) == LUA_TTABLE, lua_checkstack(L, Int32(min(ncols, 1 << 20)) + 8) != 0 else {
            throw EngineError(op, "expected (path, names, columns, delimiter) with at most a million columns")
        }
        var names: [String] = []
        var columns: [OutColumn] = []
        var rows: Int? = nil
        for j in 1...max(ncols, 1) where ncols > 0 {
            lua_rawgeti(L, 2, lua_Integer(j))
            names.append(try lua.string(-1, op, "name"))
            lumen_pop(L, 1)
            lua_rawgeti(L, 3, lua_Integer(j))
            let count: Int
            if let t = lua.optTensor(-1) {
                guard t.rank == 1 else { throw EngineError(op, "column \"\(names[j - 1])\" must be 1-D; got shape \(shapeString(t.shape))") }
                let c = try t.detach().contiguous()
                switch c.dtype {
                case .float32: columns.append(.float32(c))
                case .float64: columns.append(.float64(c))
                case .int64: columns.append(.int64(c))
                default: columns.append(.int64(try c.to(.int64)))
                }
                count = t.shape[0]
                lumen_pop(L, 1)
            } else if lua_type(L, -1) == LUA_TTABLE {
                // Left on the stack while writing; remembered by its absolute index.
                columns.append(.lua(lua_absindex(L, -1)))
                count = Int(lua_rawlen(L, -1))
            } else {
                throw EngineError(op, "column \"\(names[j - 1])\" must be a tensor or a Lua array; got \(lua.typeName(-1))")
            }
            if let r = rows, r != count {
                throw EngineError(op, "column \"\(names[j - 1])\" has \(count) rows but column \"\(names[0])\" has \(r)")
            }
            rows = count
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw EngineError(op, "cannot write file \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var out: [UInt8] = []
        out.reserveCapacity(1 << 20)
        func flush() throws {
            var done = 0
            while done < out.count {
                let n = out.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw EngineError(op, "cannot write file \(path): \(String(cString: strerror(errno)))")
                }
                done += n
            }
            out.removeAll(keepingCapacity: true)
        }
        for (j, name) in names.enumerated() {
            if j > 0 { out.append(delimiter) }
            appendText(name, delimiter, to: &out)
        }
        out.append(10)
        for r in 0..<(rows ?? 0) {
            for (j, column) in columns.enumerated() {
                if j > 0 { out.append(delimiter) }
                switch column {
                case .float32(let t):
                    let v = (t.storage.bytes.assumingMemoryBound(to: Float.self) + t.offset)[r]
                    if !v.isNaN { out.append(contentsOf: v.description.utf8) }
                case .float64(let t):
                    appendNumber((t.storage.bytes.assumingMemoryBound(to: Double.self) + t.offset)[r], to: &out)
                case .int64(let t):
                    out.append(contentsOf: String((t.storage.bytes.assumingMemoryBound(to: Int64.self) + t.offset)[r]).utf8)
                case .lua(let index):
                    lua_rawgeti(L, index, lua_Integer(r + 1))
                    defer { lumen_pop(L, 1) }
                    switch lua_type(L, -1) {
                    case LUA_TNUMBER:
                        var isInteger: Int32 = 0
                        let i = lua_tointegerx(L, -1, &isInteger)
                        if lua_isinteger(L, -1) != 0 && isInteger != 0 { out.append(contentsOf: String(i).utf8) }
                        else { appendNumber(lua_tonumberx(L, -1, nil), to: &out) }
                    case LUA_TSTRING:
                        var length = 0
                        if let p = lua_tolstring(L, -1, &length) {
                            p.withMemoryRebound(to: UInt8.self, capacity: max(length, 1)) {
                                appendField(UnsafeBufferPointer(start: $0, count: length), delimiter, to: &out)
                            }
                        }
                    case LUA_TBOOLEAN:
                        out.append(contentsOf: (lua_toboolean(L, -1) != 0 ? "true" : "false").utf8)
                    case LUA_TNIL:
                        break
                    default:
                        throw EngineError(op, "column \"\(names[j])\" row \(r + 1): cannot write a \(lua.typeName(-1))")
                    }
                }
            }
            out.append(10)
            if out.count >= 1 << 20 { try flush() }
        }
        try flush()
        return 0
    }
}
