import Foundation

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
