import CLua
import CLuaShim
import Engine
#if canImport(Glibc)
import Glibc
#endif

// Reading a CSV file into records of field ranges (RFC 4180), for `CSVReader`.
extension CSVReader {
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
}
