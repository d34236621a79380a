import CLua
import CLuaShim
import Engine
#if canImport(Glibc)
import Glibc
#endif

// Turning field bytes into numbers and inferring column types, for `CSVReader`.
extension CSVReader {
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
}
