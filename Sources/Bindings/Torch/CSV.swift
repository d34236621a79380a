import CLua
import CLuaShim
import Engine
#if canImport(Glibc)
import Glibc
#endif

/// `lumen_internal.read_csv(path, header, delimiter, quote, types)`: the fast path behind
/// `data.read_csv` (lumen/data.lua). RFC 4180 parsing: fields separated by `delimiter`, records by
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

    // MARK: reading the file

    static func readFile(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw EngineError("read_csv", "cannot read file \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw EngineError("read_csv", "cannot read file \(path): \(String(cString: strerror(errno)))") }
        guard info.st_mode & S_IFMT == S_IFREG else { throw EngineError("read_csv", "cannot read file \(path): not a regular file") }
        var out: [UInt8] = []
        out.reserveCapacity(Int(info.st_size))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw EngineError("read_csv", "cannot read file \(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }

    // MARK: parsing records

    static func parse(_ bytes: [UInt8], path: String, header: Bool, delimiter: UInt8, quote: UInt8) throws -> Table {
        var table = Table()
        try bytes.withUnsafeBufferPointer { buf in
            let n = buf.count
            var i = 0
            if n >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF { i = 3 }
            var line = 1
            var firstRecord = true
            let cr: UInt8 = 13, lf: UInt8 = 10
            while i < n {
                // Blank lines separate nothing; skip them.
                if buf[i] == lf { i += 1; line += 1; continue }
                if buf[i] == cr { i += 1; if i < n && buf[i] == lf { i += 1 }; line += 1; continue }
                let recordLine = line
                let recordStart = table.fields.count
                while true {
                    let column = table.fields.count - recordStart + 1
                    if i < n && buf[i] == quote {
                        let openLine = line
                        i += 1
                        let start = i
                        var escaped = false
                        var closed = false
                        while i < n {
                            let c = buf[i]
                            if c == quote {
                                if i + 1 < n && buf[i + 1] == quote { escaped = true; i += 2; continue }
                                closed = true
                                break
                            }
                            if c == lf || (c == cr && !(i + 1 < n && buf[i + 1] == lf)) { line += 1 }
                            i += 1
                        }
                        guard closed else {
                            throw EngineError("read_csv", "\(path):\(openLine): column \(column): unterminated quoted field (the quote opened on line \(openLine) is never closed)")
                        }
                        let end = i
                        i += 1
                        if escaped {
                            let arenaStart = table.arena.count
                            var k = start
                            while k < end {
                                table.arena.append(buf[k])
                                k += buf[k] == quote ? 2 : 1
                            }
                            table.fields.append(Field(start: arenaStart, end: table.arena.count, inArena: true))
                        } else {
                            table.fields.append(Field(start: start, end: end, inArena: false))
                        }
                        if i < n && buf[i] != delimiter && buf[i] != lf && buf[i] != cr {
                            throw EngineError("read_csv", "\(path):\(line): column \(column): unexpected character \(describe(buf[i])) after a closing quote (a quote inside a quoted field is written as \"\")")
                        }
                    } else {
                        let start = i
                        while i < n {
                            let c = buf[i]
                            if c == delimiter || c == lf || c == cr { break }
                            i += 1
                        }
                        table.fields.append(Field(start: start, end: i, inArena: false))
                    }
                    if i < n && buf[i] == delimiter { i += 1; continue }
                    // End of the record.
                    if i < n && buf[i] == cr { i += 1 }
                    if i < n && buf[i] == lf { i += 1 }
                    line += 1
                    break
                }
                let count = table.fields.count - recordStart
                if firstRecord {
                    firstRecord = false
                    table.ncols = count
                    // Room for every line's fields up front (one pass over the bytes for newlines).
                    var newlines = 0
                    for k in i..<n where buf[k] == lf { newlines += 1 }
                    table.lines.reserveCapacity(newlines + 1)
                    if header {
                        table.header = Array(table.fields[recordStart...])
                        table.fields.removeAll()
                        table.fields.reserveCapacity((newlines + 1) * count)
                        continue
                    }
                    table.fields.reserveCapacity((newlines + 2) * count)
                }
                guard count == table.ncols else {
                    let source = header ? "the header" : "the first record"
                    throw EngineError("read_csv", "\(path):\(recordLine): expected \(table.ncols) fields (as in \(source)); got \(count)")
                }
                table.lines.append(recordLine)
            }
        }
        if table.ncols == 0 { throw EngineError("read_csv", "\(path): file is empty (no header and no records)") }
        return table
    }

    static func describe(_ byte: UInt8) -> String {
        if byte >= 32 && byte < 127 { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x" + String(byte, radix: 16)
    }

    // MARK: typing columns

    /// Field bytes with surrounding spaces and tabs trimmed.
    @inline(__always)
    static func trimmed(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> (Int, Int) {
        var s = start, e = end
        while s < e && (p[s] == 32 || p[s] == 9) { s += 1 }
        while e > s && (p[e - 1] == 32 || p[e - 1] == 9) { e -= 1 }
        return (s, e)
    }

    static func parseInt(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int64? {
        let (s0, e) = trimmed(p, start, end)
        var s = s0
        guard s < e else { return nil }
        var negative = false
        if p[s] == 45 || p[s] == 43 { negative = p[s] == 45; s += 1 }
        guard s < e else { return nil }
        var value: Int64 = 0
        while s < e {
            let d = Int64(p[s]) - 48
            guard d >= 0 && d <= 9 else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = negative ? m.subtractingReportingOverflow(d) : m.addingReportingOverflow(d)
            if o1 || o2 { return nil }
            value = a
            s += 1
        }
        return value
    }

    /// Exact powers of ten as doubles (10^0 ... 10^22).
    static let powersOfTen: [Double] = (0...22).map { k in (0..<k).reduce(1.0) { acc, _ in acc * 10 } }

    /// A number (decimal with optional fraction and exponent, or what strtod reads as inf/nan);
    /// empty → NaN; nil if the field is not a number. Plain decimals with at most 19 significant
    /// digits and a small exponent are converted exactly without strtod (Clinger's fast path: an
    /// exact integer times or divided by an exact power of ten rounds once, correctly).
    static func parseDouble(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Double? {
        let (s, e) = trimmed(p, start, end)
        if s == e { return Double.nan }
        var i = s
        var negative = false
        if p[i] == 45 || p[i] == 43 { negative = p[i] == 45; i += 1 }
        var mantissa: UInt64 = 0
        var significant = 0
        var exponent = 0
        var truncated = false
        var anyDigit = false
        while i < e, p[i] &- 48 < 10 {
            let d = UInt64(p[i] &- 48)
            if significant < 19 { mantissa = mantissa * 10 + d; if mantissa != 0 { significant += 1 } }
            else { exponent += 1; if d != 0 { truncated = true } }
            anyDigit = true
            i += 1
        }
        if i < e && p[i] == 46 {
            i += 1
            while i < e, p[i] &- 48 < 10 {
                let d = UInt64(p[i] &- 48)
                if significant < 19 { mantissa = mantissa * 10 + d; if mantissa != 0 { significant += 1 }; exponent -= 1 }
                else if d != 0 { truncated = true }
                anyDigit = true
                i += 1
            }
        }
        if !anyDigit { return slowDouble(p, s, e) }   // inf, nan, or not a number
        if i < e && (p[i] == 101 || p[i] == 69) {
            i += 1
            var expNegative = false
            if i < e && (p[i] == 45 || p[i] == 43) { expNegative = p[i] == 45; i += 1 }
            var value = 0
            var expDigits = false
            while i < e, p[i] &- 48 < 10 {
                if value < 100_000 { value = value * 10 + Int(p[i] &- 48) }
                expDigits = true
                i += 1
            }
            guard expDigits else { return nil }
            exponent += expNegative ? -value : value
        }
        guard i == e else { return nil }
        if !truncated && mantissa <= (1 << 53) && exponent >= -22 && exponent <= 22 {
            var v = Double(mantissa)
            v = exponent < 0 ? v / powersOfTen[-exponent] : v * powersOfTen[exponent]
            return negative ? -v : v
        }
        return slowDouble(p, s, e)
    }

    /// strtod over the whole trimmed field (nil unless all of it is consumed; no hexadecimal).
    static func slowDouble(_ p: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> Double? {
        let length = e - s
        if length > 400 { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { tmp -> Double? in
            guard let base = tmp.baseAddress else { return nil }
            for k in 0..<length { base[k] = CChar(bitPattern: p[s + k]) }
            base[length] = 0
            // strtod would also read hexadecimal floats; CSV numbers are decimal.
            for k in 0..<length where base[k] == 120 || base[k] == 88 { return nil }
            var endPointer: UnsafeMutablePointer<CChar>? = nil
            let v = strtod(base, &endPointer)
            guard let endPointer, endPointer == base + length else { return nil }
            return v
        }
    }

    static func text(_ table: Table, _ f: Field, _ file: UnsafeBufferPointer<UInt8>) -> String {
        if f.inArena { return String(decoding: table.arena[f.start..<f.end], as: UTF8.self) }
        return String(decoding: UnsafeBufferPointer(rebasing: file[f.start..<f.end]), as: UTF8.self)
    }

    static func quoted(_ s: String) -> String {
        let short = s.count > 40 ? String(s.prefix(40)) + "..." : s
        return "\"" + short + "\""
    }

    /// A column whose type is inferred: integers if every field is one, else numbers if every
    /// field is a number or empty (NaN), else text.
    enum Inferred {
        case ints([Int64]), doubles([Double]), text
    }

    /// Infers and converts column `j` in one pass.
    static func infer(_ table: Table, _ j: Int, file: UnsafePointer<UInt8>, arena: UnsafePointer<UInt8>) -> Inferred {
        let rows = table.lines.count
        var ints: [Int64] = []
        var doubles: [Double] = []
        var allInt = rows > 0
        if allInt { ints.reserveCapacity(rows) } else { doubles.reserveCapacity(rows) }
        for r in 0..<rows {
            let f = table.fields[r * table.ncols + j]
            let p = f.inArena ? arena : file
            if allInt {
                if let v = parseInt(p, f.start, f.end) { ints.append(v); continue }
                allInt = false
                doubles.reserveCapacity(rows)
                doubles.append(contentsOf: ints.lazy.map { Double($0) })
                ints = []
            }
            guard let v = parseDouble(p, f.start, f.end) else { return .text }
            doubles.append(v)
        }
        return allInt ? .ints(ints) : .doubles(doubles)
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
