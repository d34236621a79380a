#if canImport(Glibc)
import Glibc
#endif

public struct TestTimeOptions: Sendable {
    /// Number of lots over the whole period.
    public var lots = 2000
    public var weeks = 52
    public var products = 4
    public var testers = 6
    public var seed: UInt64 = 0

    public init() {}
}

/// A tester replacement or upgrade: from `week` (0-based) on, `tester` (0-based) runs at `factor`.
public struct TesterChange: Sendable, Equatable {
    public let week: Int
    public let tester: Int
    public let factor: Double
}

public struct TestTimeSet {
    /// Lots in arrival order; every per-lot array has one entry per lot.
    public let hours: [Double]
    /// Test time per unit in seconds.
    public let perUnit: [Double]
    public let units: [Int]
    /// 0-based day, week and weekday (0 = Monday) of each lot.
    public let day: [Int]
    public let week: [Int]
    public let weekday: [Int]
    /// 0-based product and tester ids.
    public let product: [Int]
    public let tester: [Int]
    /// Mean lot test time per day (hours; a day without lots repeats the day before) and the
    /// number of lots per day.
    public let daily: [Double]
    public let dailyLots: [Int]
    /// Mean lot test time per week (hours).
    public let weekly: [Double]
    public let changes: [TesterChange]
}

/// Lot test times over weeks, as a test floor sees them: each lot's time is its units × the
/// per-unit test time of its product's current test program × its tester's speed, plus setup.
/// Per-unit time trends up as test content is added and drops at program releases; the product
/// mix drifts (old products wind down, new ones ramp); weekends and Monday start-ups stretch lot
/// times (weekly seasonality); testers differ and some are upgraded or replaced mid-way.
public enum TestTimes {
    static let op = "test_times"

    public static func generate(_ o: TestTimeOptions) throws -> TestTimeSet {
        try DataCheck.range(op, "lots", o.lots, 1...5_000_000)
        try DataCheck.range(op, "weeks", o.weeks, 1...10_000)
        try DataCheck.range(op, "products", o.products, 1...64)
        try DataCheck.range(op, "testers", o.testers, 1...256)
        var rng = DataRNG(seed: o.seed)
        let days = o.weeks * 7, weeks = Double(o.weeks)

        // Products: base per-unit time (s), lot size, introduction and wind-down weeks.
        struct Product { var base: Double; var units: Double; var start: Double; var end: Double; var growth: Double }
        var products: [Product] = []
        for p in 0..<o.products {
            let start = p == 0 ? -10 : weeks * (0.15 + 0.7 * Double(p) / Double(max(o.products, 2))) * rng.uniform(0.8, 1.1)
            let end = p == 0 && o.products > 1 ? weeks * rng.uniform(0.55, 0.9) : weeks + 100
            products.append(Product(base: rng.uniform(1.0, 4.0), units: rng.uniform(2500, 8000), start: start, end: end,
                                    growth: rng.uniform(0.002, 0.008)))
        }
        // Program releases: per product, weeks where the per-unit time drops.
        var releases = [[(week: Double, cut: Double)]](repeating: [], count: o.products)
        for p in 0..<o.products {
            let count = rng.poisson(weeks / 20)
            releases[p] = (0..<count).map { _ in (rng.uniform(0, weeks), rng.uniform(0.08, 0.18)) }.sorted { $0.week < $1.week }
        }
        // Testers: speed factors, with upgrades or replacements at some weeks.
        var speed = (0..<o.testers).map { _ in rng.uniform(0.9, 1.25) }
        var changes: [TesterChange] = []
        for t in 0..<o.testers where rng.bernoulli(0.4) && o.weeks >= 4 {
            changes.append(TesterChange(week: rng.int(in: 1...(o.weeks - 1)), tester: t,
                                        factor: rng.bernoulli(0.75) ? rng.uniform(0.75, 0.9) : rng.uniform(1.1, 1.3)))
        }
        changes.sort { ($0.week, $0.tester) < ($1.week, $1.tester) }

        // Arrivals: fewer lots start on weekends.
        let weekdayWeight = [1.0, 1.05, 1.05, 1.0, 0.95, 0.6, 0.45]
        let dayWeights = (0..<days).map { weekdayWeight[$0 % 7] }
        var lotDays = (0..<o.lots).map { _ in rng.categorical(dayWeights) }
        lotDays.sort()
        let weekdayStretch = [1.06, 1.0, 0.98, 0.99, 1.02, 1.12, 1.18]

        var hours: [Double] = [], perUnit: [Double] = [], units: [Int] = [], product: [Int] = [], tester: [Int] = []
        var changeIndex = 0
        for (i, d) in lotDays.enumerated() {
            if i & 4095 == 0 { try Interrupt.check(op) }
            let w = Double(d) / 7
            while changeIndex < changes.count && changes[changeIndex].week <= d / 7 {
                speed[changes[changeIndex].tester] = changes[changeIndex].factor
                changeIndex += 1
            }
            let mix = products.map { p -> Double in
                let ramp = 1 / (1 + exp(-(w - p.start) / 1.5))
                let fade = 1 / (1 + exp((w - p.end) / 2))
                return ramp * fade + 1e-6
            }
            let p = rng.categorical(mix)
            var unitTime = products[p].base * (1 + products[p].growth * w)
            for r in releases[p] where r.week <= w { unitTime *= 1 - r.cut }
            let t = rng.int(o.testers)
            let size = max(100, Int(products[p].units * rng.uniform(0.8, 1.1)))
            let retest = 1 + max(0, rng.normal(0.04, 0.02))
            let perUnitNow = unitTime * speed[t] * exp(rng.normal(0, 0.03))
            // Two sites test in parallel; setup and index time on top.
            let h = (Double(size) * perUnitNow * retest / 2 / 3600 + rng.uniform(0.3, 0.7)) * weekdayStretch[d % 7]
                * exp(rng.normal(0, 0.04))
            hours.append(h); perUnit.append(perUnitNow); units.append(size); product.append(p); tester.append(t)
        }

        var daily = [Double](repeating: 0, count: days), dailyLots = [Int](repeating: 0, count: days)
        var weekly = [Double](repeating: 0, count: o.weeks), weeklyLots = [Int](repeating: 0, count: o.weeks)
        for (i, d) in lotDays.enumerated() {
            daily[d] += hours[i]; dailyLots[d] += 1
            weekly[d / 7] += hours[i]; weeklyLots[d / 7] += 1
        }
        let firstDay = dailyLots.firstIndex { $0 > 0 } ?? 0
        var last = dailyLots[firstDay] > 0 ? daily[firstDay] / Double(dailyLots[firstDay]) : 0
        for d in 0..<days {
            if dailyLots[d] > 0 { daily[d] /= Double(dailyLots[d]); last = daily[d] } else { daily[d] = last }
        }
        var lastWeek = 0.0
        for w in 0..<o.weeks {
            if weeklyLots[w] > 0 { weekly[w] /= Double(weeklyLots[w]); lastWeek = weekly[w] } else { weekly[w] = lastWeek }
        }
        return TestTimeSet(hours: hours, perUnit: perUnit, units: units, day: lotDays, week: lotDays.map { $0 / 7 },
                           weekday: lotDays.map { $0 % 7 }, product: product, tester: tester, daily: daily,
                           dailyLots: dailyLots, weekly: weekly, changes: changes)
    }
}
