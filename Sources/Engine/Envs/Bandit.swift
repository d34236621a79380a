/// A k-armed bandit (Sutton & Barto ch. 2): pulling arm a (Lua 1..k) pays a random reward.
///
/// Gaussian arms (the default, the 10-armed testbed) pay N(q*(a), std²) with q*(a) ~ N(0, 1)
/// drawn at each reset; Bernoulli arms pay 1 with probability p(a) ~ U(0, 1). Give `means` or
/// `probs` to fix the arms instead. The single observation is state 0 (Lua 1). Truncated after
/// `steps` pulls (default 1000). Each step's info has `regret` (q* of the best arm minus q* of
/// the pulled one) and `optimal` (the pulled arm was a best one); `properties()` has `means`,
/// `optimal_arm` and `optimal_value`.
///
/// Make options: arms (default 10), kind ("gaussian" | "bernoulli"), means, probs, std (default
/// 1), mean_std (spread of drawn Gaussian means, default 1), mean_offset (default 0), steps.
public final class Bandit: Environment {
    public enum Kind: String, Sendable { case gaussian, bernoulli }
    public static let optionNames = ["arms", "kind", "means", "probs", "std", "mean_std", "mean_offset", "steps"]

    public let id: String
    public let kind: Kind
    public let arms: Int
    public let std: Double
    public let meanStd: Double
    public let meanOffset: Double
    private let fixedMeans: [Double]?
    /// Expected reward of each arm (q*), fixed or drawn at reset.
    public private(set) var means: [Double]
    public private(set) var cumulativeRegret = 0.0
    public private(set) var pulls: [Int]
    public let rng = Generator()
    public let maxEpisodeSteps: Int?

    public var observationSpace: Space { .discrete(1) }
    public var actionSpace: Space { .discrete(arms) }

    public init(id: String = "Bandit-v0", kind defaultKind: Kind = .gaussian, options: EnvOptions = EnvOptions()) throws {
        self.id = id
        try options.checkKnown(Bandit.optionNames, id)
        var kind = defaultKind
        if let k = try options.choice("kind", id, ["gaussian", "bernoulli"]) { kind = Kind(rawValue: k) ?? kind }
        if options["probs"] != nil { kind = .bernoulli }
        var fixed: [Double]? = try options.doubles("means", id)
        if let probs = try options.doubles("probs", id) {
            guard probs.allSatisfy({ $0 >= 0 && $0 <= 1 }) else { throw EngineError(id, "option probs: probabilities must lie in [0, 1]") }
            fixed = probs
        }
        if kind == .bernoulli, let f = fixed, !f.allSatisfy({ $0 >= 0 && $0 <= 1 }) {
            throw EngineError(id, "option means: Bernoulli arms need means in [0, 1]")
        }
        let arms = try options.int("arms", id, in: 1...1_000_000) ?? fixed?.count ?? 10
        if let f = fixed, f.count != arms {
            throw EngineError(id, "option arms (\(arms)) differs from the number of given means (\(f.count))")
        }
        guard arms >= 1 else { throw EngineError(id, "a bandit needs at least one arm") }
        self.kind = kind
        self.arms = arms
        fixedMeans = fixed
        std = try options.double("std", id, ">= 0") { $0 >= 0 } ?? 1
        meanStd = try options.double("mean_std", id, ">= 0") { $0 >= 0 } ?? 1
        meanOffset = try options.double("mean_offset", id) ?? 0
        maxEpisodeSteps = try options.int("steps", id, in: 1...Int.max) ?? 1000
        means = fixed ?? Array(repeating: 0, count: arms)
        pulls = Array(repeating: 0, count: arms)
    }

    /// The arm with the highest expected reward (the first of equals).
    public var optimalArm: Int {
        var best = 0
        for a in means.indices where means[a] > means[best] { best = a }
        return best
    }

    public var optimalValue: Double { means[optimalArm] }

    /// Expected regret of pulling `arm` once: q*(best) − q*(arm).
    public func regret(_ arm: Int) -> Double { optimalValue - means[arm] }

    public func reset(options: EnvOptions) throws -> (SpaceValue, Info) {
        try options.checkKnown([], id + ".reset")
        if fixedMeans == nil {
            switch kind {
            case .gaussian: means = (0..<arms).map { _ in rng.normal(meanOffset, meanStd) }
            case .bernoulli: means = rng.uniform(0, 1, count: arms)
            }
        }
        cumulativeRegret = 0
        pulls = Array(repeating: 0, count: arms)
        return (.discrete(0), ["optimal_arm": .index(optimalArm)])
    }

    /// One pull of `arm` (0-based) without the episode bookkeeping: a reward draw.
    public func pull(_ arm: Int) -> Double {
        switch kind {
        case .gaussian: return rng.normal(means[arm], std)
        case .bernoulli: return rng.bernoulli(means[arm]) ? 1 : 0
        }
    }

    public func step(_ action: SpaceValue) throws -> Step {
        guard case .discrete(let a) = action else { throw EngineError(id + ".step", "expected a discrete action") }
        let reward = pull(a)
        let r = regret(a)
        cumulativeRegret += r
        pulls[a] += 1
        return Step(.discrete(0), reward, terminated: false,
                    info: ["regret": .number(r), "cumulative_regret": .number(cumulativeRegret), "optimal": .bool(r == 0)])
    }

    public func render() -> String {
        var lines = ["\(arms)-armed \(kind.rawValue) bandit (* marks the best arm)"]
        for a in 0..<arms {
            lines.append("  arm \(a + 1): mean \(signedFixed(means[a], 3)), pulled \(pulls[a])\(a == optimalArm ? "  *" : "")")
        }
        return lines.joined(separator: "\n")
    }

    public func properties() -> Info {
        ["means": .numbers(means), "optimal_arm": .index(optimalArm), "optimal_value": .number(optimalValue),
         "cumulative_regret": .number(cumulativeRegret), "pulls": .numbers(pulls.map(Double.init)),
         "kind": .string(kind.rawValue), "arms": .integer(arms)]
    }
}
