#if canImport(Glibc)
import Glibc
#endif

/// The random source of the domain data generators: a private xoshiro256** stream seeded from
/// the call's `seed`, so a generator's output depends on its seed and options only, never on
/// `torch.manual_seed` or on other calls. Sub-streams (`fork`) give each sample its own stream,
/// so samples can be generated on both cores and still come out bit-identical.
public struct DataRNG: Sendable {
    var state: Xoshiro256
    private var spareNormal: Double?

    public init(seed: UInt64) {
        state = Xoshiro256(seed: seed)
    }

    /// A stream for sample `index` of a call seeded with `seed` (independent of draw order).
    public init(seed: UInt64, stream index: Int) {
        var x = seed ^ 0xD1B5_4A32_D192_ED03
        _ = Xoshiro256.splitmix64(&x)
        x = x &+ UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15
        state = Xoshiro256(seed: Xoshiro256.splitmix64(&x))
    }

    /// A new independent stream drawn from this one.
    public mutating func fork() -> DataRNG { DataRNG(seed: next()) }

    public mutating func next() -> UInt64 { state.next() }

    /// Uniform in [0, 1).
    public mutating func uniform() -> Double { state.nextDouble() }

    /// Uniform in [a, b).
    public mutating func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * state.nextDouble() }

    /// Uniform integer in `0..<n` (n ≥ 1).
    public mutating func int(_ n: Int) -> Int { n <= 1 ? 0 : Int(state.bounded(UInt64(n))) }

    /// Uniform integer in `range`.
    public mutating func int(in range: ClosedRange<Int>) -> Int { range.lowerBound + int(range.count) }

    /// True with probability `p`.
    public mutating func bernoulli(_ p: Double) -> Bool { state.nextDouble() < p }

    /// N(mean, std²).
    public mutating func normal(_ mean: Double = 0, _ std: Double = 1) -> Double {
        if let z = spareNormal { spareNormal = nil; return mean + std * z }
        let (a, b) = state.gaussianPair()
        spareNormal = b
        return mean + std * a
    }

    /// exp(N(log median, sigma²)).
    public mutating func logNormal(median: Double, sigma: Double) -> Double { median * exp(normal(0, sigma)) }

    /// A uniformly chosen element (the array must not be empty).
    public mutating func choice<T>(_ items: [T]) -> T { items[int(items.count)] }

    /// An index drawn with probability proportional to `weights` (non-negative, positive sum).
    public mutating func categorical(_ weights: [Double]) -> Int {
        let total = weights.reduce(0, +)
        var u = uniform() * total
        for (i, w) in weights.enumerated() {
            if u < w { return i }
            u -= w
        }
        return weights.lastIndex(where: { $0 > 0 }) ?? 0
    }

    /// Fisher–Yates shuffle in place.
    public mutating func shuffle<T>(_ items: inout [T]) {
        guard items.count > 1 else { return }
        for i in stride(from: items.count - 1, to: 0, by: -1) {
            items.swapAt(i, int(i + 1))
        }
    }

    /// A Poisson count with mean `lambda` (Knuth for small means, a rounded normal above 30).
    public mutating func poisson(_ lambda: Double) -> Int {
        guard lambda > 0 else { return 0 }
        if lambda > 30 { return max(0, Int(normal(lambda, lambda.squareRoot()).rounded())) }
        let limit = exp(-lambda)
        var k = 0, p = uniform()
        while p > limit { k += 1; p *= uniform() }
        return k
    }
}

/// Helpers shared by the generators.
enum DataCheck {
    /// Throws unless `value` lies in `range`, naming the option.
    static func range<T: Comparable>(_ op: String, _ name: String, _ value: T, _ range: ClosedRange<T>) throws {
        guard range.contains(value) else {
            throw EngineError(op, "\(name) must be in \(range.lowerBound)...\(range.upperBound); got \(value)")
        }
    }

    /// Throws when `count` elements would exceed the generators' size budget (2^28 elements,
    /// 1 GiB of float32), before anything is allocated.
    static func budget(_ op: String, _ count: Int, _ what: String) throws {
        guard count <= 1 << 28 else {
            throw EngineError(op, "\(what) would hold \(count) elements; the limit is \(1 << 28)")
        }
    }
}

/// Counts per class that follow `proportions` exactly up to rounding (largest remainder), for
/// class-balance options that must be honoured in every draw, not only on average.
func exactCounts(total: Int, proportions: [Double]) -> [Int] {
    let sum = proportions.reduce(0, +)
    let raw = proportions.map { Double(total) * $0 / sum }
    var counts = raw.map { Int($0.rounded(.down)) }
    var left = total - counts.reduce(0, +)
    let order = raw.indices.sorted { (raw[$0] - Double(counts[$0]), -$0) > (raw[$1] - Double(counts[$1]), -$1) }
    var k = 0
    while left > 0 && !order.isEmpty {
        counts[order[k % order.count]] += 1
        left -= 1
        k += 1
    }
    return counts
}

/// Labels 0..<K with exactly `counts[k]` of class k, shuffled.
func shuffledLabels(counts: [Int], rng: inout DataRNG) -> [Int] {
    var labels: [Int] = []
    labels.reserveCapacity(counts.reduce(0, +))
    for (k, c) in counts.enumerated() { labels.append(contentsOf: repeatElement(k, count: c)) }
    rng.shuffle(&labels)
    return labels
}
