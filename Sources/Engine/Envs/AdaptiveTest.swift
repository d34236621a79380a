#if canImport(Glibc)
import Glibc
#endif

/// AdaptiveTest-v0: adaptive test flow for one device under test (DUT) per episode.
///
/// A semiconductor test program is a sequence of tests of different cost (tester seconds) and
/// defect coverage. Each device may carry latent defect mechanisms (independently, with
/// prevalence `prevalence[m]`). Test k detects a present mechanism m with probability
/// `coverage[k][m]`, and fails a good device with probability `false_fail` (overkill). Every test
/// that runs also reports a parametric reading (a z-score): N(0, 1) shifted by
/// `shift · Σ_m coverage[k][m]` over the present mechanisms, so readings hint at defects the
/// test did not catch — the information an adaptive flow exploits.
///
/// Actions (Lua 1..3): 0 RUN the next test, 1 SKIP it, 2 STOP and bin (ship the device as good).
/// A failing test bins the device as bad and ends the episode; running out of tests ships it.
/// Rewards: −cost of each test run (`time_weight` per second); on shipping a defective device
/// −escape_cost; on binning a good device (a false fail) −overkill_cost.
///
/// Observation (float32, 2K + 2): for each test [ran (0/1), reading (0 if not run)], then the
/// position (tests done or skipped / K) and the time spent / total time of the full flow.
/// Info at the end: `bin` ("pass" | "fail"), `defective`, `escape`, `overkill`, `test_time`.
///
/// Make options: costs, prevalence, coverage (K rows of M detection probabilities), false_fail,
/// shift, escape_cost (default 100), overkill_cost (default 20), time_weight (default 1).
public final class AdaptiveTest: Environment {
    public static let optionNames = ["costs", "prevalence", "coverage", "false_fail", "shift", "escape_cost",
                                     "overkill_cost", "time_weight"]
    public static let actionNames = ["run", "skip", "stop"]
    public let id = "AdaptiveTest-v0"
    public let costs: [Double]
    public let prevalence: [Double]
    public let coverage: [[Double]]
    public let falseFail: Double
    public let shift: Double
    public let escapeCost: Double
    public let overkillCost: Double
    public let timeWeight: Double
    public let rng = Generator()
    public var maxEpisodeSteps: Int? { nil }

    /// Hidden state of the device: which mechanisms it carries.
    public private(set) var defects: [Bool] = []
    public private(set) var next = 0
    public private(set) var ran: [Bool] = []
    public private(set) var readings: [Double] = []
    public private(set) var timeSpent = 0.0
    public private(set) var outcome: String?

    public var testCount: Int { costs.count }
    public var isDefective: Bool { defects.contains(true) }
    public var observationSpace: Space { .box(low: -Double.infinity, high: Double.infinity, shape: [2 * testCount + 2]) }
    public let actionSpace = Space.discrete(3)

    public init(options: EnvOptions = EnvOptions()) throws {
        try options.checkKnown(AdaptiveTest.optionNames, id)
        costs = try options.doubles("costs", id) ?? [1.0, 2.0, 1.5, 3.0, 0.5, 4.0]
        prevalence = try options.doubles("prevalence", id) ?? [0.04, 0.02, 0.01]
        coverage = try options.matrix("coverage", id) ?? [
            [0.60, 0.10, 0.00],
            [0.30, 0.50, 0.10],
            [0.20, 0.20, 0.20],
            [0.10, 0.60, 0.30],
            [0.00, 0.00, 0.40],
            [0.40, 0.30, 0.70],
        ]
        guard !costs.isEmpty, costs.allSatisfy({ $0 >= 0 }) else { throw EngineError(id, "option costs: expected non-negative test times") }
        guard prevalence.allSatisfy({ $0 >= 0 && $0 <= 1 }) else { throw EngineError(id, "option prevalence: probabilities must lie in [0, 1]") }
        let mechanisms = prevalence.count
        guard coverage.count == costs.count, coverage.allSatisfy({ $0.count == mechanisms }) else {
            throw EngineError(id, "option coverage: expected \(costs.count) rows (tests) of \(prevalence.count) values (mechanisms); got \(coverage.count) rows of \(coverage.first?.count ?? 0)")
        }
        guard coverage.joined().allSatisfy({ $0 >= 0 && $0 <= 1 }) else { throw EngineError(id, "option coverage: probabilities must lie in [0, 1]") }
        falseFail = try options.double("false_fail", id, "in [0, 1]") { $0 >= 0 && $0 <= 1 } ?? 0.002
        shift = try options.double("shift", id) ?? 1.5
        escapeCost = try options.double("escape_cost", id) ?? 100
        overkillCost = try options.double("overkill_cost", id) ?? 20
        timeWeight = try options.double("time_weight", id) ?? 1
    }

    public var observation: SpaceValue {
        var v: [Double] = []
        v.reserveCapacity(2 * testCount + 2)
        for k in 0..<testCount { v.append(ran[k] ? 1 : 0); v.append(Double(Float(readings[k]))) }
        v.append(Double(Float(Double(next) / Double(testCount))))
        let total = costs.reduce(0, +)
        v.append(Double(Float(total > 0 ? timeSpent / total : 0)))
        return .vector(v)
    }

    public func reset(options: EnvOptions) throws -> (SpaceValue, Info) {
        let op = id + ".reset"
        try options.checkKnown(["defects"], op)
        if let given = try options.ints("defects", op, count: prevalence.count) {
            defects = given.map { $0 != 0 }
        } else {
            defects = prevalence.map { rng.bernoulli($0) }
        }
        next = 0
        ran = Array(repeating: false, count: testCount)
        readings = Array(repeating: 0, count: testCount)
        timeSpent = 0
        outcome = nil
        return (observation, [:])
    }

    private func finish(_ bin: String, reward: Double) -> Step {
        let escape = bin == "pass" && isDefective
        let overkill = bin == "fail" && !isDefective
        outcome = bin
        var r = reward
        if escape { r -= escapeCost }
        if overkill { r -= overkillCost }
        return Step(observation, r, terminated: true,
                    info: ["bin": .string(bin), "defective": .bool(isDefective), "escape": .bool(escape),
                           "overkill": .bool(overkill), "test_time": .number(timeSpent)])
    }

    public func step(_ action: SpaceValue) throws -> Step {
        guard case .discrete(let a) = action else { throw EngineError(id + ".step", "expected a discrete action") }
        switch a {
        case 2:
            return finish("pass", reward: 0)
        case 1:
            next += 1
            if next >= testCount { return finish("pass", reward: 0) }
            return Step(observation, 0, terminated: false)
        default:
            let k = next
            let cost = costs[k]
            timeSpent += cost
            ran[k] = true
            var detected = false
            var mean = 0.0
            for m in 0..<prevalence.count where defects[m] {
                mean += shift * coverage[k][m]
                if rng.bernoulli(coverage[k][m]) { detected = true }
            }
            readings[k] = mean + rng.normal()
            let fails = detected || (!isDefective && rng.bernoulli(falseFail))
            next += 1
            if fails { return finish("fail", reward: -timeWeight * cost) }
            if next >= testCount { return finish("pass", reward: -timeWeight * cost) }
            return Step(observation, -timeWeight * cost, terminated: false)
        }
    }

    public func render() -> String {
        var lines = ["device under test: \(outcome.map { "binned \($0)" } ?? "in test"), time \(signedFixed(timeSpent, 1)) s"]
        for k in 0..<testCount {
            let status = ran[k] ? "ran, reading \(signedFixed(readings[k], 2))" : (k < next ? "skipped" : "pending")
            lines.append("  test \(k + 1) (\(signedFixed(costs[k], 1)) s): \(status)\(k == next && outcome == nil ? "  <- next" : "")")
        }
        return lines.joined(separator: "\n")
    }

    public func properties() -> Info {
        ["defects": .numbers(defects.map { $0 ? 1 : 0 }), "defective": .bool(isDefective), "next_test": .index(next),
         "test_time": .number(timeSpent), "costs": .numbers(costs), "coverage": .matrix(coverage),
         "prevalence": .numbers(prevalence)]
    }
}
