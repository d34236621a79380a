import Foundation

/// A parsed JSON document. Objects keep their keys in the order given (a request has few keys,
/// so lookups scan). Numbers are Doubles, as in JavaScript.
enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    /// Field `key` of an object (nil for a missing key or a non-object).
    subscript(key: String) -> JSONValue? {
        guard case .object(let fields) = self else { return nil }
        return fields.first(where: { $0.key == key })?.value
    }

    /// "an object", "a string", ... for error messages.
    var kind: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// Strict JSON (RFC 8259) parser over bytes. Errors name the byte offset and what was expected,
/// so a client can find its mistake; nesting is limited so hostile input cannot exhaust the stack.
struct JSONParser {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static let maxDepth = 128

    /// Parses one complete document (whitespace around it allowed).
    static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        // A trailing NUL lets number parsing hand the digits to strtod in place.
        var terminated = bytes
        terminated.append(0)
        return try terminated.withUnsafeBufferPointer { buffer in
            var parser = JSONParser(bytes: buffer, end: buffer.count - 1)
            parser.skipWhitespace()
            if parser.pos == parser.end { throw Failure(description: "malformed JSON: the body is empty") }
            let value = try parser.value(depth: 0)
            parser.skipWhitespace()
            if parser.pos != parser.end { throw parser.failure("unexpected \(parser.describeCurrent()) after the JSON value") }
            return value
        }
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private let end: Int
    private var pos = 0

    private init(bytes: UnsafeBufferPointer<UInt8>, end: Int) {
        self.bytes = bytes
        self.end = end
    }

    private func failure(_ what: String) -> Failure {
        Failure(description: "malformed JSON at byte \(pos): \(what)")
    }

    private func describeCurrent() -> String {
        if pos >= end { return "end of input" }
        let b = bytes[pos]
        if b >= 0x20 && b < 0x7F { return "character '\(Character(UnicodeScalar(b)))'" }
        return "byte 0x\(String(b, radix: 16))"
    }

    private mutating func skipWhitespace() {
        while pos < end, bytes[pos] == 0x20 || bytes[pos] == 0x0A || bytes[pos] == 0x0D || bytes[pos] == 0x09 { pos += 1 }
    }

    private mutating func value(depth: Int) throws -> JSONValue {
        guard depth < JSONParser.maxDepth else { throw failure("nesting deeper than \(JSONParser.maxDepth) levels") }
        guard pos < end else { throw failure("unexpected end of input; expected a value") }
        switch bytes[pos] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw failure("unexpected \(describeCurrent()); expected a value")
        }
    }

    private mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        let matches = pos + n <= end && (0..<n).allSatisfy { bytes[pos + $0] == word.utf8Start[$0] }
        guard matches else { throw failure("unexpected \(describeCurrent()); expected a value") }
        pos += n
    }

    private mutating func object(depth: Int) throws -> JSONValue {
        pos += 1
        var fields: [(key: String, value: JSONValue)] = []
        skipWhitespace()
        if pos < end && bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(fields) }
        while true {
            skipWhitespace()
            guard pos < end, bytes[pos] == UInt8(ascii: "\"") else { throw failure("unexpected \(describeCurrent()); expected a string key") }
            let key = try string()
            skipWhitespace()
            guard pos < end, bytes[pos] == UInt8(ascii: ":") else { throw failure("unexpected \(describeCurrent()); expected ':'") }
            pos += 1
            skipWhitespace()
            fields.append((key, try value(depth: depth + 1)))
            skipWhitespace()
            guard pos < end else { throw failure("unexpected end of input; expected ',' or '}'") }
            if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
            if bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(fields) }
            throw failure("unexpected \(describeCurrent()); expected ',' or '}'")
        }
    }

    private mutating func array(depth: Int) throws -> JSONValue {
        pos += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if pos < end && bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(items) }
        while true {
            skipWhitespace()
            items.append(try value(depth: depth + 1))
            skipWhitespace()
            guard pos < end else { throw failure("unexpected end of input; expected ',' or ']'") }
            if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
            if bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(items) }
            throw failure("unexpected \(describeCurrent()); expected ',' or ']'")
        }
    }

    /// A number per JSON's grammar (checked here), converted by strtod (correctly rounded).
    private mutating func number() throws -> Double {
        let start = pos
        func digits() -> Int {
            let from = pos
            while pos < end, bytes[pos] >= UInt8(ascii: "0"), bytes[pos] <= UInt8(ascii: "9") { pos += 1 }
            return pos - from
        }
        if bytes[pos] == UInt8(ascii: "-") { pos += 1 }
        guard pos < end, bytes[pos] >= UInt8(ascii: "0"), bytes[pos] <= UInt8(ascii: "9") else {
            throw failure("unexpected \(describeCurrent()); expected a digit")
        }
        if bytes[pos] == UInt8(ascii: "0") { pos += 1 } else { _ = digits() }
        if pos < end, bytes[pos] == UInt8(ascii: ".") {
            pos += 1
            guard digits() > 0 else { throw failure("unexpected \(describeCurrent()); expected a digit after '.'") }
        }
        if pos < end, bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E") {
            pos += 1
            if pos < end, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            guard digits() > 0 else { throw failure("unexpected \(describeCurrent()); expected a digit in the exponent") }
        }
        if let exact = fastDecimal(start, pos) { return exact }
        let base = bytes.baseAddress! + start
        return base.withMemoryRebound(to: CChar.self, capacity: pos - start) { strtod($0, nil) }
    }

    /// Clinger's fast path: a decimal like `-12.375` with at most 15 significant digits and a
    /// scale of at most 10^22 is an exact integer times or over an exact power of ten, so one
    /// IEEE multiply or divide gives the correctly rounded value strtod would. Nil otherwise.
    private func fastDecimal(_ from: Int, _ to: Int) -> Double? {
        var i = from
        let negative = bytes[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var scale = 0
        var seenPoint = false
        while i < to {
            let b = bytes[i]
            if b == UInt8(ascii: ".") {
                seenPoint = true
            } else if b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") {
                if mantissa != 0 || b != UInt8(ascii: "0") { digits += 1 }
                guard digits <= 15 else { return nil }
                mantissa = mantissa * 10 + UInt64(b - UInt8(ascii: "0"))
                if seenPoint { scale += 1 }
            } else {
                return nil  // an exponent: leave it to strtod
            }
            i += 1
        }
        guard scale <= 22 else { return nil }
        let value = Double(mantissa) / JSONParser.powersOfTen[scale]
        return negative ? -value : value
    }

    private static let powersOfTen: [Double] = (0...22).map { k in (0..<k).reduce(1.0) { acc, _ in acc * 10 } }

    private mutating func string() throws -> String {
        pos += 1
        var out: [UInt8] = []
        while true {
            guard pos < end else { throw failure("unterminated string") }
            let b = bytes[pos]
            if b == UInt8(ascii: "\"") { pos += 1; break }
            if b < 0x20 { throw failure("control character in a string (escape it)") }
            if b != UInt8(ascii: "\\") { out.append(b); pos += 1; continue }
            pos += 1
            guard pos < end else { throw failure("unterminated string") }
            let escaped = bytes[pos]
            pos += 1
            switch escaped {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escaped)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar), pos + 1 < end,
                   bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u") {
                    pos += 2
                    let low = try hex4()
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low &- 0xDC00) & 0x3FF
                }
                out.append(contentsOf: Array(String(UnicodeScalar(scalar).map(Character.init) ?? "\u{FFFD}").utf8))
            default:
                pos -= 1
                throw failure("invalid escape \\\(describeCurrent())")
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private mutating func hex4() throws -> UInt32 {
        guard pos + 4 <= end else { throw failure("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard let d = hexDigit(bytes[pos]) else { throw failure("invalid hex digit in \\u escape") }
            v = v * 16 + d
            pos += 1
        }
        return v
    }

    private func hexDigit(_ b: UInt8) -> UInt32? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(b - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(b - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(b - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }
}

/// Appends JSON text to a byte buffer (responses are written directly, without a tree).
struct JSONWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    mutating func raw(_ s: String) { bytes.append(contentsOf: s.utf8) }

    mutating func string(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            case 0..<0x20: raw(String(format: "\\u%04x", b))
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// The shortest text that reads back as the same Float; NaN and infinities (not JSON) as null.
    mutating func number(_ v: Float) {
        if v.isFinite { raw(v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : v.description) } else { raw("null") }
    }

    mutating func number(_ v: Double) { raw(JSONWriter.text(v)) }

    /// A Double as JSON text: integers without a fraction, NaN and infinities as null.
    static func text(_ v: Double) -> String {
        guard v.isFinite else { return "null" }
        return v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : v.description
    }

    mutating func integers(_ list: [Int]) {
        raw("[")
        for (i, v) in list.enumerated() {
            if i > 0 { raw(",") }
            raw(String(v))
        }
        raw("]")
    }

    /// `{"key": ...` — call `key` then the value writer; `first` controls the comma.
    mutating func key(_ name: String, first: Bool = false) {
        if !first { raw(",") }
        string(name)
        raw(":")
    }

    /// Writes `{"error": message}`.
    static func error(_ message: String) -> [UInt8] {
        var w = JSONWriter()
        w.raw("{")
        w.key("error", first: true)
        w.string(message)
        w.raw("}")
        return w.bytes
    }
}
