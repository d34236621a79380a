/// A minimal strict JSON reader and string quoting, enough for safetensors headers. Unlike
/// Foundation's JSONSerialization it keeps object keys in file order and reports duplicates to
/// the caller, and it bounds nesting depth so hostile input cannot exhaust the stack.
enum JSONValue {
    /// Key/value pairs in file order; duplicate keys are kept for the caller to reject.
    case object([(key: String, value: JSONValue)])
    case array([JSONValue])
    case string(String)
    /// The number's literal text, already checked against the JSON grammar.
    case number(String)
    case bool(Bool)
    case null

    /// The JSON type name, for error messages.
    var typeName: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .number: return "a number"
        case .bool: return "a boolean"
        case .null: return "null"
        }
    }
}

/// A syntax error at a byte offset of the input.
struct JSONError: Error, CustomStringConvertible {
    let message: String
    let offset: Int
    var description: String { "\(message) at byte \(offset)" }
}

/// Recursive-descent parser over UTF-8 bytes (RFC 8259). Syntax errors throw `JSONError`.
struct JSONReader {
    /// Deepest nesting accepted.
    static let maxDepth = 64

    private let bytes: [UInt8]
    /// Longest array accepted (bounds the memory a short input can make the parser use).
    private let maxArrayLength: Int
    private var i = 0

    private init(_ bytes: [UInt8], maxArrayLength: Int) {
        self.bytes = bytes
        self.maxArrayLength = maxArrayLength
    }

    /// Parses one JSON value surrounded by optional whitespace.
    static func parse(_ bytes: [UInt8], maxArrayLength: Int = .max) throws -> JSONValue {
        var reader = JSONReader(bytes, maxArrayLength: maxArrayLength)
        reader.skipWhitespace()
        let value = try reader.value(depth: 0)
        try reader.expectEnd()
        return value
    }

    /// Streams the members of a top-level object: `body(key, value)` runs as soon as each member
    /// is read, so the caller can check and convert it without the whole tree in memory. Returns
    /// nil after an object, or the parsed value when the input is valid JSON but not an object.
    /// Throws `JSONError` for bad syntax and rethrows what `body` throws.
    static func forEachMember(of bytes: [UInt8], maxArrayLength: Int = .max,
                              _ body: (String, JSONValue) throws -> Void) throws -> JSONValue? {
        var reader = JSONReader(bytes, maxArrayLength: maxArrayLength)
        reader.skipWhitespace()
        guard reader.i < bytes.count, bytes[reader.i] == UInt8(ascii: "{") else {
            let value = try reader.value(depth: 0)
            try reader.expectEnd()
            return value
        }
        try reader.members(depth: 0, body)
        try reader.expectEnd()
        return nil
    }

    private mutating func expectEnd() throws {
        skipWhitespace()
        guard i == bytes.count else { throw error("unexpected \(describeCurrent()) after the value") }
    }

    private func error(_ message: String) -> JSONError { JSONError(message: message, offset: i) }

    private func describeCurrent() -> String {
        guard i < bytes.count else { return "end of input" }
        let c = bytes[i]
        return c >= 0x20 && c < 0x7F ? "'\(Character(Unicode.Scalar(c)))'" : "byte 0x\(String(c, radix: 16))"
    }

    private mutating func skipWhitespace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    private mutating func value(depth: Int) throws -> JSONValue {
        guard depth < JSONReader.maxDepth else { throw error("nesting deeper than \(JSONReader.maxDepth) levels") }
        guard i < bytes.count else { throw error("unexpected end of input") }
        switch bytes[i] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: throw error("unexpected \(describeCurrent())")
        }
    }

    private mutating func literal(_ word: String) throws {
        for c in word.utf8 {
            guard i < bytes.count, bytes[i] == c else { throw error("invalid literal (expected \(word))") }
            i += 1
        }
    }

    private mutating func expect(_ c: UInt8, _ what: String) throws {
        guard i < bytes.count, bytes[i] == c else { throw error("expected \(what); got \(describeCurrent())") }
        i += 1
    }

    private mutating func object(depth: Int) throws -> JSONValue {
        var pairs: [(key: String, value: JSONValue)] = []
        try members(depth: depth) { key, value in pairs.append((key, value)) }
        return .object(pairs)
    }

    /// Reads an object's members (the reader is at its `{`), handing each to `body`.
    private mutating func members(depth: Int, _ body: (String, JSONValue) throws -> Void) throws {
        i += 1  // {
        skipWhitespace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return }
        while true {
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else {
                throw error("expected a string key; got \(describeCurrent())")
            }
            let key = try string()
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "':'")
            skipWhitespace()
            try body(key, try value(depth: depth + 1))
            skipWhitespace()
            guard i < bytes.count else { throw error("unterminated object") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            try expect(UInt8(ascii: "}"), "',' or '}'")
            return
        }
    }

    private mutating func array(depth: Int) throws -> JSONValue {
        i += 1  // [
        var items: [JSONValue] = []
        skipWhitespace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
        while true {
            skipWhitespace()
            guard items.count < maxArrayLength else { throw error("array longer than \(maxArrayLength) elements") }
            items.append(try value(depth: depth + 1))
            skipWhitespace()
            guard i < bytes.count else { throw error("unterminated array") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            try expect(UInt8(ascii: "]"), "',' or ']'")
            return .array(items)
        }
    }

    private mutating func number() throws -> String {
        let start = i
        func digits(_ r: inout JSONReader) -> Int {
            let s = r.i
            while r.i < r.bytes.count, r.bytes[r.i] >= UInt8(ascii: "0"), r.bytes[r.i] <= UInt8(ascii: "9") { r.i += 1 }
            return r.i - s
        }
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        if i < bytes.count, bytes[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            guard digits(&self) > 0 else { throw error("invalid number") }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard digits(&self) > 0 else { throw error("invalid number: no digits after '.'") }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digits(&self) > 0 else { throw error("invalid number: no digits in exponent") }
        }
        return String(decoding: bytes[start..<i], as: UTF8.self)
    }

    private mutating func hex4() throws -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard i < bytes.count else { throw error("unterminated \\u escape") }
            let c = bytes[i]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default: throw error("invalid hex digit in \\u escape")
            }
            v = v << 4 | UInt32(d)
            i += 1
        }
        return v
    }

    private mutating func string() throws -> String {
        let start = i
        i += 1  // opening quote
        var out: [UInt8] = []
        while true {
            guard i < bytes.count else { i = start; throw error("unterminated string") }
            let c = bytes[i]
            i += 1
            switch c {
            case UInt8(ascii: "\""):
                guard let s = String(validating: out, as: UTF8.self) else { i = start; throw error("string is not valid UTF-8") }
                return s
            case UInt8(ascii: "\\"):
                guard i < bytes.count else { throw error("unterminated escape") }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if code >= 0xD800 && code < 0xDC00 {
                        guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                            throw error("unpaired surrogate in \\u escape")
                        }
                        i += 2
                        let low = try hex4()
                        guard low >= 0xDC00 && low < 0xE000 else { throw error("unpaired surrogate in \\u escape") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw error("unpaired surrogate in \\u escape") }
                    UTF8.encode(scalar) { out.append($0) }
                default:
                    i -= 1
                    throw error("invalid escape \\\(describeCurrent())")
                }
            case 0..<0x20:
                i -= 1
                throw error("unescaped control character in string")
            default:
                out.append(c)
            }
        }
    }
}

/// Writing JSON strings.
enum JSONWriter {
    /// `s` as a JSON string literal with quotes; escapes `"`, `\` and control characters and
    /// leaves other characters as UTF-8.
    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
