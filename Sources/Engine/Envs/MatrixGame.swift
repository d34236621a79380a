/// Repeated cooperative matrix games for multi-agent learning (Claus & Boutilier 1998): two
/// agents choose actions at once and share the payoff `payoff[a1][a2]`.
///
/// - `climbing`: [[11, −30, 0], [−30, 7, 6], [0, 0, 5]] — the optimum (1, 1) (Lua {1, 1}) is
///   guarded by heavy penalties, so independent learners drift to a safe suboptimum.
/// - `penalty` (k = −10 by default): [[10, 0, k], [0, 2, 0], [k, 0, 10]] — two optima that
///   need coordination, punished by k when miscoordinated.
/// - any `payoff` matrix (rows: agent 1's actions, columns: agent 2's).
///
/// Joint action MultiDiscrete([rows, cols]) (Lua `{a1, a2}`, 1-based). The observation is the
/// previous joint action, one-hot per agent (zeros before the first round). The game lasts
/// `rounds` rounds (default 10) and then terminates. Info: `payoff`, `optimal` (the joint
/// action reached the best payoff).
///
/// Make options: game ("climbing" | "penalty"), k (penalty), payoff, rounds.
public final class MatrixGame: Environment {
    public static let optionNames = ["game", "k", "payoff", "rounds"]
    public let id: String
    public let payoff: [[Double]]
    public let rounds: Int
    public let rng = Generator()
    public var maxEpisodeSteps: Int? { nil }
    public private(set) var round = 0
    public private(set) var lastJoint: [Int]?

    public var rows: Int { payoff.count }
    public var cols: Int { payoff.first?.count ?? 0 }
    public var observationSpace: Space { .box(low: 0, high: 1, shape: [rows + cols]) }
    public var actionSpace: Space { .multiDiscrete([rows, cols]) }
    public var bestPayoff: Double { payoff.joined().max() ?? 0 }

    public static func climbing() -> [[Double]] { [[11, -30, 0], [-30, 7, 6], [0, 0, 5]] }
    public static func penalty(_ k: Double = -10) -> [[Double]] { [[10, 0, k], [0, 2, 0], [k, 0, 10]] }

    public init(id: String = "MatrixGame-v0", game defaultGame: String? = nil, options: EnvOptions = EnvOptions()) throws {
        self.id = id
        try options.checkKnown(MatrixGame.optionNames, id)
        let k = try options.double("k", id) ?? -10
        if let given = try options.matrix("payoff", id) {
            payoff = given
        } else {
            switch try options.choice("game", id, ["climbing", "penalty"]) ?? defaultGame ?? "climbing" {
            case "penalty": payoff = MatrixGame.penalty(k)
            default: payoff = MatrixGame.climbing()
            }
        }
        guard payoff.count <= 1000, let width = payoff.first?.count, width >= 1, width <= 1000 else {
            throw EngineError(id, "option payoff: expected 1 to 1000 rows of 1 to 1000 payoffs")
        }
        rounds = try options.int("rounds", id, in: 1...1_000_000) ?? 10
    }

    public var observation: SpaceValue {
        var v = [Double](repeating: 0, count: rows + cols)
        if let j = lastJoint { v[j[0]] = 1; v[rows + j[1]] = 1 }
        return .vector(v)
    }

    public func reset(options: EnvOptions) throws -> (SpaceValue, Info) {
        try options.checkKnown([], id + ".reset")
        round = 0
        lastJoint = nil
        return (observation, [:])
    }

    public func step(_ action: SpaceValue) throws -> Step {
        guard case .multiDiscrete(let joint) = action, joint.count == 2 else {
            throw EngineError(id + ".step", "expected one action per agent")
        }
        lastJoint = joint
        round += 1
        let r = payoff[joint[0]][joint[1]]
        return Step(observation, r, terminated: round >= rounds,
                    info: ["payoff": .number(r), "optimal": .bool(r == bestPayoff), "round": .integer(round)])
    }

    public func render() -> String {
        var lines = ["round \(round)/\(rounds)" + (lastJoint.map { ", last joint action {\($0[0] + 1), \($0[1] + 1)}" } ?? "")]
        for (i, row) in payoff.enumerated() {
            lines.append(row.enumerated().map { j, v in
                let cell = formatNumber(v)
                let mark = lastJoint.map { $0[0] == i && $0[1] == j } ?? false
                return mark ? "[\(cell)]" : " \(cell) "
            }.joined(separator: " "))
        }
        return lines.joined(separator: "\n")
    }

    public func properties() -> Info {
        ["payoff": .matrix(payoff), "round": .integer(round), "best_payoff": .number(bestPayoff)]
    }
}
