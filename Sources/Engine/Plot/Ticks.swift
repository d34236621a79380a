#if canImport(Glibc)
import Glibc
#endif

/// Axis tick positions on "nice" values (1, 2 or 5 times a power of ten) and their labels.
enum Ticks {
    /// A 1-2-5 step as mantissa × 10^exponent, so multiples can be formed exactly.
    struct Step {
        let mantissa: Double  // 1, 2, 5 (or 10)
        let exponent: Int
        var value: Double { exponent < 0 ? mantissa / pow(10, Double(-exponent)) : mantissa * pow(10, Double(exponent)) }

        /// k × step, correctly rounded (3 × 0.1 gives 0.3, not 0.30000000000000004).
        func multiple(_ k: Double) -> Double {
            let v = exponent < 0 ? k * mantissa / pow(10, Double(-exponent)) : k * mantissa * pow(10, Double(exponent))
            return v == 0 ? 0 : v
        }
    }

    /// The nice step (1, 2, 5 × 10^k) at least `rough`.
    static func nice(_ rough: Double) -> Step {
        guard rough > 0 && rough.isFinite else { return Step(mantissa: 1, exponent: 0) }
        var exponent = Int(floor(log10(rough)))
        let f = rough / pow(10, Double(exponent))
        // Tolerate rounding in f (e.g. 2.0000000000000004).
        var m: Double = f <= 1 + 1e-9 ? 1 : f <= 2 + 1e-9 ? 2 : f <= 5 + 1e-9 ? 5 : 10
        if m == 10 { m = 1; exponent += 1 }
        return Step(mantissa: m, exponent: exponent)
    }

    static func niceStep(_ rough: Double) -> Double { nice(rough).value }

    /// The smallest of 1, 2, 5, 10, 20, 50, ... at least `rough` (for "label every k-th").
    static func niceCount(_ rough: Double) -> Int {
        guard rough > 1 else { return 1 }
        return Swift.max(1, Int(Swift.min(1e9, nice(rough).value).rounded()))
    }

    /// "nan", "inf" or "-inf".
    static func nonFinite(_ v: Double) -> String { v.isNaN ? "nan" : v > 0 ? "inf" : "-inf" }

    /// The next larger nice step (1 -> 2 -> 5 -> 10).
    static func larger(_ step: Step) -> Step {
        switch step.mantissa {
        case 1: return Step(mantissa: 2, exponent: step.exponent)
        case 2: return Step(mantissa: 5, exponent: step.exponent)
        default: return Step(mantissa: 1, exponent: step.exponent + 1)
        }
    }

    /// The finest nice step giving at most `maxCount` intervals over [a, b] (`widen`: counted
    /// on the range rounded out to whole steps; otherwise between the ticks inside).
    private static func step(_ a: Double, _ b: Double, maxCount: Int, widen: Bool) -> Step {
        let count = Double(Swift.max(1, maxCount))
        var step = nice((b - a) / (count + 1))
        for _ in 0..<8 {
            let s = step.value
            let intervals = widen ? ceil(b / s - 1e-9) - floor(a / s + 1e-9) : floor(b / s + 1e-9) - ceil(a / s - 1e-9)
            if intervals <= count { break }
            step = larger(step)
        }
        return step
    }

    /// Ticks covering [lo, hi] with at most `maxCount` intervals, the range widened to whole
    /// steps: returns the widened range, the step, and the ticks.
    static func linear(_ lo: Double, _ hi: Double, maxCount: Int = 6) -> (lo: Double, hi: Double, step: Double, ticks: [Double]) {
        let (a, b) = usableRange(lo, hi)
        let step = step(a, b, maxCount: maxCount, widen: true)
        let s = step.value
        let first = floor(a / s + 1e-9), last = ceil(b / s - 1e-9)
        guard last - first >= 1 && last - first <= 1000 else { return (a, b, b - a, [a, b]) }
        let ticks = Swift.stride(from: first, through: last, by: 1).map { step.multiple($0) }
        return (ticks[0], ticks[ticks.count - 1], s, ticks)
    }

    /// Ticks inside [lo, hi] (the range is kept), at most `maxCount` intervals apart.
    static func inside(_ lo: Double, _ hi: Double, maxCount: Int = 6) -> (lo: Double, hi: Double, step: Double, ticks: [Double]) {
        let (a, b) = usableRange(lo, hi)
        let step = step(a, b, maxCount: maxCount, widen: false)
        let s = step.value
        let first = ceil(a / s - 1e-9), last = floor(b / s + 1e-9)
        guard last - first >= 0 && last - first <= 1000 else { return (a, b, b - a, [a, b]) }
        return (a, b, s, Swift.stride(from: first, through: last, by: 1).map { step.multiple($0) })
    }

    /// A finite, non-empty range (a single value gets ±10% or ±1 around it).
    static func usableRange(_ lo: Double, _ hi: Double) -> (Double, Double) {
        var (a, b) = (Swift.min(lo, hi), Swift.max(lo, hi))
        if !(a.isFinite && b.isFinite) { (a, b) = (0, 1) }
        if a == b || (b - a) < Swift.max(abs(a), abs(b)) * 1e-12 {
            let pad = a == 0 ? 1 : abs(a) * 0.1
            (a, b) = (a - pad, b + pad)
        }
        return (a, b)
    }

    /// Log-axis ticks inside [lo, hi] (both > 0): labelled powers of ten (every k-th decade
    /// when there are many), or 1-2-5 values when fewer than three decades fall inside; minor
    /// ticks at 2...9 × 10^k.
    static func log(_ lo: Double, _ hi: Double, maxCount: Int = 6) -> (major: [Double], minor: [Double]) {
        guard lo > 0 && hi > lo && lo.isFinite && hi.isFinite else { return ([], []) }
        let a = Int(floor(log10(lo))), b = Int(ceil(log10(hi)))
        func within(_ v: Double) -> Bool { v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9) }
        var decades = (a...b).map { pow(10, Double($0)) }.filter(within)
        var minor: [Double] = []
        for d in a...b { for m in 2...9 { minor.append(Double(m) * pow(10, Double(d))) } }
        minor = minor.filter(within)
        if decades.count < 3 {
            let candidates = (a...b).flatMap { d in [1.0, 2, 5].map { $0 * pow(10, Double(d)) } }.filter(within)
            return (candidates.count >= 2 ? candidates : [lo, hi], minor)
        }
        let every = Swift.max(1, Int((Double(decades.count - 1) / Double(Swift.max(1, maxCount))).rounded(.up)))
        if every > 1 {
            decades = decades.enumerated().filter { $0.offset % every == 0 }.map(\.element)
            minor = []
        }
        return (decades, minor)
    }

    /// A tick label for `v` on an axis stepping by `step`: fixed notation with the step's
    /// decimals, or `2.5e6` style for very large or small magnitudes.
    static func label(_ v: Double, step: Double) -> String {
        let magnitude = abs(v)
        if v != 0 && (magnitude >= 1e6 || magnitude < 1e-4 || step < 1e-5) { return scientific(v, step: step) }
        return fixed(v, decimals: decimals(step))
    }

    /// Decimal places needed to show multiples of `step` (a 1-2-5 step needs -exponent).
    static func decimals(_ step: Double) -> Int {
        guard step > 0 && step.isFinite else { return 0 }
        return Swift.max(0, Swift.min(12, -Int(Swift.max(-400, floor(log10(step) + 1e-9)))))
    }

    /// A log-axis label: `0.01`, `1`, `100`, or `1e-5` / `1e5` beyond that.
    static func logLabel(_ v: Double) -> String {
        guard v.isFinite && v > 0 else { return nonFinite(v) }
        let e = log10(v)
        let r = e.rounded()
        if abs(e - r) < 1e-9 {
            if r >= 5 || r <= -4 { return "1e\(Int(r))" }
            return fixed(v, decimals: Swift.max(0, -Int(r)))
        }
        if v >= 1e5 || v < 1e-3 { return scientific(v, step: pow(10, floor(e))) }
        return fixed(v, decimals: Swift.max(0, -Int(floor(e + 1e-9))))
    }

    /// `v` with `decimals` digits after the point, without a sign on zero.
    static func fixed(_ v: Double, decimals: Int) -> String {
        guard v.isFinite else { return nonFinite(v) }
        let d = Swift.max(0, Swift.min(12, decimals))
        let scaled = (abs(v) * pow(10, Double(d))).rounded()
        guard scaled < 9e15 else { return scientific(v, step: abs(v)) }
        let n = Int64(scaled)
        var digits = String(n)
        if d > 0 {
            if digits.count <= d { digits = String(repeating: "0", count: d - digits.count + 1) + digits }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -d))
        }
        return (v < 0 && n != 0 ? "-" : "") + digits
    }

    /// `v` as mantissa and power of ten (`2.5e-7`), with enough mantissa decimals for `step`.
    static func scientific(_ v: Double, step: Double) -> String {
        guard v.isFinite else { return nonFinite(v) }
        if v == 0 { return "0" }
        var e = Int(floor(log10(abs(v))))
        let ratio = log10(step / pow(10, Double(e)))
        var d = ratio.isFinite ? Swift.max(0, Swift.min(3, -Int(Swift.max(-10, Swift.min(10, floor(ratio + 1e-9)))))) : 0
        var text = fixed(v / pow(10, Double(e)), decimals: d)
        if text.hasPrefix("10") || text.hasPrefix("-10") {
            e += 1
            d = Swift.max(0, d - 1)
            text = fixed(v / pow(10, Double(e)), decimals: d)
        }
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return "\(text)e\(e)"
    }
}
