import Foundation

/// Character classes and normalization shared by the tokenizers and text metrics, defined as
/// the reference implementations define them (BERT's tokenization.py, Python's str.split).
/// Foundation supplies only the canonical decomposition (NFD), which the standard library does
/// not expose.
enum TextUnicode {
    /// BERT's whitespace: space, tab, newline, carriage return, or category Zs.
    static func isBertWhitespace(_ c: Unicode.Scalar) -> Bool {
        c == " " || c == "\t" || c == "\n" || c == "\r" || c.properties.generalCategory == .spaceSeparator
    }

    /// BERT's control characters: categories Cc, Cf, Cn, Co, Cs except tab, newline, return.
    static func isBertControl(_ c: Unicode.Scalar) -> Bool {
        if c == "\t" || c == "\n" || c == "\r" { return false }
        switch c.properties.generalCategory {
        case .control, .format, .unassigned, .privateUse, .surrogate: return true
        default: return false
        }
    }

    /// BERT's punctuation: every non-alphanumeric ASCII symbol, and Unicode categories P*.
    static func isBertPunctuation(_ c: Unicode.Scalar) -> Bool {
        let v = c.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) { return true }
        switch c.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
             .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// The CJK Unified Ideograph blocks BERT isolates as single tokens.
    static func isCJK(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
             0x2B820...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }

    /// Python's str.isspace() (what str.split() splits on).
    static func isPythonSpace(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// The word's canonical decomposition (NFD) without its nonspacing marks (category Mn):
    /// "Ça" → "Ca", "naïve" → "naive".
    static func stripAccents(_ s: String) -> String {
        if s.unicodeScalars.allSatisfy({ $0.isASCII }) { return s }
        var out = String.UnicodeScalarView()
        for c in s.decomposedStringWithCanonicalMapping.unicodeScalars where c.properties.generalCategory != .nonspacingMark {
            out.append(c)
        }
        return String(out)
    }

    /// Unicode letters (categories L*), as regex \p{L}.
    static func isLetter(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    /// Unicode numbers (categories N*), as regex \p{N}.
    static func isNumber(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }
}

/// Reading whole text files for vocabularies and corpora.
enum TextFile {
    /// Files above this size are refused (a vocabulary or merges file is a few megabytes).
    static let maxBytes = 1 << 30

    /// The file's bytes as UTF-8 text; invalid UTF-8 is an error naming the line.
    static func read(_ path: String, op: String) throws -> String {
        let reader = try FileIO.Reader(path: path, op: op)
        guard reader.size <= maxBytes else { throw EngineError(op, "\(path) is too large (\(reader.size) bytes)") }
        let bytes = try reader.bytes(count: reader.size, at: 0)
        if let s = String(validating: bytes, as: UTF8.self) { return s }
        // Find the first bad line for the message.
        var line = 1, start = 0
        for (i, b) in bytes.enumerated() where b == UInt8(ascii: "\n") {
            if String(validating: bytes[start..<i], as: UTF8.self) == nil { break }
            line += 1
            start = i + 1
        }
        throw EngineError(op, "\(path) line \(line): not valid UTF-8 text")
    }

    /// Lines without their terminators ("\n" or "\r\n"); a final newline does not add a line.
    static func lines(_ text: String) -> [String] {
        var out: [String] = []
        let bytes = Array(text.utf8)
        var start = 0
        for i in 0...bytes.count where i == bytes.count || bytes[i] == UInt8(ascii: "\n") {
            if i == bytes.count && start == i { break }
            var end = i
            if end > start && bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            out.append(String(decoding: bytes[start..<end], as: UTF8.self))
            start = i + 1
        }
        return out
    }

    /// Writes `text` atomically.
    static func write(_ text: String, to path: String, op: String) throws {
        try FileIO.writeAtomically(path: path, op: op) { w in try w.write(Array(text.utf8)) }
    }
}
