/// The one strict JSON reader (RFC 8259) of the engine and of `lumen serve`, and string quoting.
/// Unlike Foundation's JSONSerialization it keeps object keys in file order and hands duplicates
/// to the caller, keeps each number's literal text (integers stay exact; `double` rounds
/// correctly), rejects invalid UTF-8 and unpaired surrogates, names the byte offset of a syntax
/// error, and bounds nesting depth so hostile input cannot exhaust the stack.
public enum JSONValue: Sendable {
    /// Key/value pairs in file order; duplicate keys are kept for the caller to reject or to
    /// resolve (`subscript` takes the first).
    case object([(key: String, value: JSONValue)])
    case array([JSONValue])
    case string(String)
    /// The number's literal text, already checked against the JSON grammar.
    case number(String)
    case bool(Bool)
    case null

    /// The JSON type name, for error messages: "an object", "a string", ...
    public var typeName: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .number: return "a number"
        case .bool: return "a boolean"
        case .null: return "null"
        }
    }

    /// Member `key` of an object, the first when the key is repeated (nil for a missing key or a
    /// non-object).
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first(where: { $0.key == key })?.value
    }

    /// A number's value as `Double(String)` reads its literal text (correctly rounded; beyond
    /// the Double range ±infinity). Nil for anything but a number.
    public var double: Double? {
        guard case .number(let text) = self else { return nil }
        return JSONValue.fastDecimal(text.utf8) ?? Double(text)
    }

    /// Clinger's fast path: a decimal like `-12.375` with at most 15 significant digits and at most
    /// 22 after the point is an exact integer over an exact power of ten, so one IEEE division
    /// gives the correctly rounded value `Double(String)` would, several times faster (request
    /// bodies of `lumen serve` hold thousands of such numbers). Nil otherwise (an exponent, more
    /// digits), for the full conversion.
    private static func fastDecimal(_ literal: String.UTF8View) -> Double? {
        var mantissa: UInt64 = 0
        var digits = 0, scale = 0
        var negative = false, seenPoint = false
        for b in literal {
            switch b {
            case UInt8(ascii: "-"): negative = true
            case UInt8(ascii: "."): seenPoint = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if mantissa != 0 || b != UInt8(ascii: "0") { digits += 1 }
                guard digits <= 15 else { return nil }
                mantissa = mantissa * 10 + UInt64(b - UInt8(ascii: "0"))
                if seenPoint { scale += 1 }
            default: return nil  // an exponent
            }
        }
        guard scale <= 22 else { return nil }
        let value = Double(mantissa) / powersOfTen[scale]
        return negative ? -value : value
    }

    /// 10^0 ... 10^22, each exact in a Double.
    private static let powersOfTen: [Double] = (0...22).map { k in (0..<k).reduce(1.0) { acc, _ in acc * 10 } }
}

/// A syntax error at a byte offset of the input.
public struct JSONError: Error, CustomStringConvertible {
    public let message: String
    public let offset: Int
    public var description: String { "\(message) at byte \(offset)" }
}

/// Recursive-descent parser over UTF-8 bytes (RFC 8259). Syntax errors throw `JSONError`.
public struct JSONReader {
    /// Deepest nesting accepted by default.
    public static let maxDepth = 64

    private let bytes: [UInt8]
    /// Longest array accepted (bounds the memory a short input can make the parser use).
    private let maxArrayLength: Int
    /// Deepest nesting accepted.
    private let maxDepth: Int
    private var i = 0

    private init(_ bytes: [UInt8], maxDepth: Int, maxArrayLength: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
        self.maxArrayLength = maxArrayLength
    }

    /// Parses one JSON value surrounded by optional whitespace.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = JSONReader.maxDepth,
                             maxArrayLength: Int = .max) throws -> JSONValue {
        var reader = JSONReader(bytes, maxDepth: maxDepth, maxArrayLength: maxArrayLength)
        try reader.start()
        let value = try reader.value(depth: 0)
        try reader.expectEnd()
        return value
    }

    /// Streams the members of a top-level object: `body(key, value)` runs as soon as each member
    /// is read, so the caller can check and convert it without the whole tree in memory. Returns
    /// nil after an object, or the parsed value when the input is valid JSON but not an object.
    /// Throws `JSONError` for bad syntax and rethrows what `body` throws.
    public static func forEachMember(of bytes: [UInt8], maxDepth: Int = JSONReader.maxDepth,
                                     maxArrayLength: Int = .max,
                                     _ body: (String, JSONValue) throws -> Void) throws -> JSONValue? {
        var reader = JSONReader(bytes, maxDepth: maxDepth, maxArrayLength: maxArrayLength)
        try reader.start()
        guard bytes[reader.i] == UInt8(ascii: "{") else {
            let value = try reader.value(depth: 0)
            try reader.expectEnd()
            return value
        }
        try reader.members(depth: 0, body)
        try reader.expectEnd()
        return nil
    }

    /// Skips leading whitespace; an input with nothing else is an error.
    private mutating func start() throws {
        skipWhitespace()
        guard i < bytes.count else { throw error("the input is empty; expected a value") }
    }

    private mutating func expectEnd() throws {
        skipWhitespace()
        guard i == bytes.count else { throw error("unexpected \(describeCurrent()) after the JSON value") }
    }

    private func error(_ message: String) -> JSONError { JSONError(message: message, offset: i) }

    private func describeCurrent() -> String {
        guard i < bytes.count else { return "end of input" }
        let c = bytes[i]
        return c >= 0x20 && c < 0x7F ? "character '\(Character(Unicode.Scalar(c)))'" : "byte 0x\(String(c, radix: 16))"
    }

    private mutating func skipWhitespace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    private mutating func value(depth: Int) throws -> JSONValue {
        guard depth < maxDepth else { throw error("nesting deeper than \(maxDepth) levels") }
        guard i < bytes.count else { throw error("unexpected end of input; expected a value") }
        switch bytes[i] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: throw error("unexpected \(describeCurrent()); expected a value")
        }
    }

    private mutating func literal(_ word: String) throws {
        for c in word.utf8 {
            guard i < bytes.count, bytes[i] == c else { throw error("unexpected \(describeCurrent()) in the literal \(word)") }
            i += 1
        }
    }

    private mutating func expect(_ c: UInt8, _ what: String) throws {
        guard i < bytes.count, bytes[i] == c else { throw error("unexpected \(describeCurrent()); expected \(what)") }
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
                throw error("unexpected \(describeCurrent()); expected a string key")
            }
            let key = try string()
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "':'")
            skipWhitespace()
            try body(key, try value(depth: depth + 1))
            skipWhitespace()
            if i < bytes.count, bytes[i] == UInt8(ascii: ",") { i += 1; continue }
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
            if i < bytes.count, bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            try expect(UInt8(ascii: "]"), "',' or ']'")
            return .array(items)
        }
    }

    /// A number's literal text, checked against the grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)?
    /// ([eE] [+-]? [0-9]+)?` (so no leading zeros, no bare '.', no '+').
    private mutating func number() throws -> String {
        let start = i
        func digits(_ r: inout JSONReader) -> Int {
            let s = r.i
            while r.i < r.bytes.count, r.bytes[r.i] >= UInt8(ascii: "0"), r.bytes[r.i] <= UInt8(ascii: "9") { r.i += 1 }
            return r.i - s
        }
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") else {
            throw error("unexpected \(describeCurrent()); expected a digit")
        }
        if bytes[i] == UInt8(ascii: "0") { i += 1 } else { _ = digits(&self) }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard digits(&self) > 0 else { throw error("unexpected \(describeCurrent()); expected a digit after '.'") }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digits(&self) > 0 else { throw error("unexpected \(describeCurrent()); expected a digit in the exponent") }
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
                    // A high surrogate must be followed by a \u low surrogate; the pair is one scalar.
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
                    throw error("invalid escape: '\\' followed by \(describeCurrent())")
                }
            case 0..<0x20:
                i -= 1
                throw error("unescaped control character in a string (escape it)")
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
