#if canImport(Glibc)
import Glibc
#endif

/// A value of a space: an observation or an action.
///
/// Discrete values are 0-based in Swift (`0..<n`); the Lua bindings add one (`1..n`).
public enum SpaceValue: Equatable, Sendable {
    /// A member of `Discrete(n)`.
    case discrete(Int)
    /// A member of a `Box`, row-major over the box's shape.
    case vector([Double])
    /// A member of `MultiDiscrete(nvec)`, row-major over its shape.
    case multiDiscrete([Int])

    /// The value as written in messages, with discrete values shifted by `base` (1 for Lua).
    public func describe(base: Int = 0) -> String {
        switch self {
        case .discrete(let i): return "\(i &+ base)"
        case .vector(let v): return "{" + v.map { formatNumber($0) }.joined(separator: ", ") + "}"
        case .multiDiscrete(let v): return "{" + v.map { "\($0 &+ base)" }.joined(separator: ", ") + "}"
        }
    }

    /// Every component as a Double (discrete values unshifted).
    public var doubles: [Double] {
        switch self {
        case .discrete(let i): return [Double(i)]
        case .vector(let v): return v
        case .multiDiscrete(let v): return v.map(Double.init)
        }
    }
}

/// A number as messages print it: integers without a fraction, others with 6 significant digits.
func formatNumber(_ x: Double) -> String {
    if x.isNaN { return "nan" }
    if x.isInfinite { return x > 0 ? "inf" : "-inf" }
    if x == x.rounded(), abs(x) < 1e15 { return String(Int(x)) }
    var buffer = [CChar](repeating: 0, count: 32)
    _ = withVaList([x]) { vsnprintf(&buffer, 32, "%.6g", $0) }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Gymnasium's spaces: the set an observation or action belongs to.
///
///     let s = Space.discrete(2)                              // actions 0, 1 (Lua: 1, 2)
///     let b = Space.box(low: -2, high: 2, shape: [1])        // float32 box
///     let m = Space.multiDiscrete([3, 3])                    // two agents, three actions each
///     let a = s.sample(using: generator)
public enum Space: Equatable, Sendable, CustomStringConvertible {
    case discrete(Int)
    /// Bounds per element (row-major over `shape`); infinite bounds allowed. float32 values.
    case box(low: [Double], high: [Double], shape: [Int])
    /// Component `i` lies in `0..<nvec[i]`; `shape` orders the components (usually `[nvec.count]`).
    case multiDiscrete(nvec: [Int], shape: [Int])

    /// A box whose every element shares the bounds `low ... high`.
    public static func box(low: Double, high: Double, shape: [Int]) -> Space {
        let n = shape.reduce(1, *)
        return .box(low: Array(repeating: low, count: n), high: Array(repeating: high, count: n), shape: shape)
    }

    /// A one-dimensional MultiDiscrete space.
    public static func multiDiscrete(_ nvec: [Int]) -> Space { .multiDiscrete(nvec: nvec, shape: [nvec.count]) }

    /// Shape of one value: `[]` for Discrete.
    public var shape: [Int] {
        switch self {
        case .discrete: return []
        case .box(_, _, let shape), .multiDiscrete(_, let shape): return shape
        }
    }

    /// Number of scalars in one value (1 for Discrete).
    public var flatCount: Int {
        switch self {
        case .discrete: return 1
        case .box(let low, _, _): return low.count
        case .multiDiscrete(let nvec, _): return nvec.count
        }
    }

    /// Gymnasium's spelling: `Discrete(2)`, `Box(-2.0, 2.0, (1,), float32)`, `MultiDiscrete([3 3])`.
    public var description: String {
        switch self {
        case .discrete(let n): return "Discrete(\(n))"
        case .box(let low, let high, let shape):
            let s = "(" + shape.map(String.init).joined(separator: ",") + (shape.count == 1 ? ",)" : ")")
            func bound(_ v: [Double]) -> String {
                if let f = v.first, v.allSatisfy({ $0 == f }) { return formatNumber(f) }
                let shown = v.prefix(8).map(formatNumber).joined(separator: ", ")
                return "[" + shown + (v.count > 8 ? ", ... (\(v.count) values)]" : "]")
            }
            return "Box(\(bound(low)), \(bound(high)), \(s), float32)"
        case .multiDiscrete(let nvec, _):
            return "MultiDiscrete([" + nvec.map(String.init).joined(separator: ", ") + "])"
        }
    }

    /// The valid range in words, with discrete values shifted by `base` (for messages).
    public func rangeDescription(base: Int = 0) -> String {
        switch self {
        case .discrete(let n): return "an integer in \(base)..\(n - 1 + base) (\(description))"
        case .box(let low, let high, _):
            if let l = low.first, let h = high.first, low.allSatisfy({ $0 == l }), high.allSatisfy({ $0 == h }) {
                return "\(flatCount) number\(flatCount == 1 ? "" : "s") in [\(formatNumber(l)), \(formatNumber(h))] (\(description))"
            }
            return "\(flatCount) numbers within \(description)"
        case .multiDiscrete(let nvec, _):
            let parts = nvec.map { "\(base)..\($0 - 1 + base)" }.joined(separator: ", ")
            return "\(nvec.count) integers in {\(parts)} (\(description))"
        }
    }

    /// A random member. Discrete and MultiDiscrete are uniform; a Box is uniform where bounded on
    /// both sides, normal where unbounded, shifted exponential where bounded on one side (as
    /// Gymnasium samples), rounded to float32.
    public func sample(using g: Generator) -> SpaceValue {
        switch self {
        case .discrete(let n):
            return .discrete(n > 0 ? Int(g.withState { $0.bounded(UInt64(n)) }) : 0)
        case .multiDiscrete(let nvec, _):
            return .multiDiscrete(g.withState { rng in nvec.map { $0 > 0 ? Int(rng.bounded(UInt64($0))) : 0 } })
        case .box(let low, let high, _):
            let values: [Double] = g.withState { rng in
                (0..<low.count).map { i -> Double in
                    let l = low[i], h = high[i]
                    let v: Double
                    switch (l.isFinite, h.isFinite) {
                    case (true, true): v = l + (h - l) * rng.nextDouble()
                    case (false, false): v = rng.gaussianPair().0
                    case (true, false): v = l - log(rng.nextDoubleOpenZero())
                    case (false, true): v = h + log(rng.nextDoubleOpenZero())
                    }
                    let f = Double(Float(v))
                    return Swift.min(Swift.max(f, l), h)
                }
            }
            return .vector(values)
        }
    }

    /// True when `value` belongs to the space (Box bounds checked on the value as given).
    public func contains(_ value: SpaceValue) -> Bool {
        switch (self, value) {
        case (.discrete(let n), .discrete(let i)): return i >= 0 && i < n
        case (.box(let low, let high, _), .vector(let v)):
            guard v.count == low.count else { return false }
            for i in 0..<v.count where !(v[i] >= low[i] && v[i] <= high[i]) { return false }
            return true
        case (.multiDiscrete(let nvec, _), .multiDiscrete(let v)):
            guard v.count == nvec.count else { return false }
            for i in 0..<v.count where v[i] < 0 || v[i] >= nvec[i] { return false }
            return true
        default: return false
        }
    }

    /// Checks an action: the right kind and size, discrete values in range, box values finite
    /// (out-of-bounds box values are accepted here; environments clip them, as Gymnasium's do).
    /// The error names `op` (the environment), the action and the valid range; discrete values
    /// are shown shifted by `base`.
    public func validate(_ value: SpaceValue, op: String, base: Int = 0) throws {
        func fail(_ why: String) -> EngineError {
            EngineError(op, "invalid action \(value.describe(base: base)): \(why); expected \(rangeDescription(base: base))")
        }
        switch (self, value) {
        case (.discrete(let n), .discrete(let i)):
            if i < 0 || i >= n { throw fail("out of range") }
        case (.box(let low, _, _), .vector(let v)):
            if v.count != low.count { throw fail("\(v.count) value\(v.count == 1 ? "" : "s") given") }
            if let k = v.firstIndex(where: { !$0.isFinite }) { throw fail("value \(k + 1) is not finite") }
        case (.multiDiscrete(let nvec, _), .multiDiscrete(let v)):
            if v.count != nvec.count { throw fail("\(v.count) value\(v.count == 1 ? "" : "s") given") }
            if let k = (0..<v.count).first(where: { v[$0] < 0 || v[$0] >= nvec[$0] }) {
                throw fail("component \(k + 1) is out of range")
            }
        case (.discrete, _): throw fail("not an integer")
        case (.box, _): throw fail("expected numbers")
        case (.multiDiscrete, _): throw fail("expected a list of integers")
        }
    }

    /// The space of `n` stacked values (Gymnasium's `batch_space`): Discrete(k) becomes
    /// MultiDiscrete of n×k, a Box gains a leading dim, MultiDiscrete gains a leading dim.
    public func batched(_ n: Int) -> Space {
        switch self {
        case .discrete(let k): return .multiDiscrete(nvec: Array(repeating: k, count: n), shape: [n])
        case .box(let low, let high, let shape):
            return .box(low: Array([[Double]](repeating: low, count: n).joined()),
                        high: Array([[Double]](repeating: high, count: n).joined()), shape: [n] + shape)
        case .multiDiscrete(let nvec, let shape):
            return .multiDiscrete(nvec: Array([[Int]](repeating: nvec, count: n).joined()), shape: [n] + shape)
        }
    }
}
