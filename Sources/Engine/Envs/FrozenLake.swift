/// FrozenLake-v1 as Gymnasium defines it: cross a frozen lake from S to G without falling into a
/// hole H. Actions LEFT 0, DOWN 1, RIGHT 2, UP 3 (Lua 1..4); states row·ncol + col (Lua +1).
///
/// On a slippery lake (the default) the agent moves in the intended direction or in one of the two
/// perpendicular ones, each with probability 1/3 (`success_rate` changes the intended one's share;
/// the rest is split evenly). Reaching G gives 1 and terminates; a hole terminates with 0
/// (`reward_schedule = {goal, hole, frozen}` changes the rewards). Truncated at 100 steps
/// (200 on 8x8). `P[s][a]` lists `(prob, next_state, reward, terminated)`.
///
/// Make options: map_name ("4x4" | "8x8"), desc (rows as strings), is_slippery, success_rate,
/// reward_schedule.
public final class FrozenLake: TabularEnvironment {
    public static let maps: [String: [String]] = [
        "4x4": ["SFFF", "FHFH", "FFFH", "HFFG"],
        "8x8": ["SFFFFFFF", "FFFFFFFF", "FFFHFFFF", "FFFFFHFF", "FFFHFFFF", "FHHFFFHF", "FHFFHFHF", "FFFHFFFG"],
    ]
    public static let optionNames = ["map_name", "desc", "is_slippery", "success_rate", "reward_schedule"]
    public static let actionNames = ["Left", "Down", "Right", "Up"]

    public let id: String
    public let desc: [[Character]]
    public let nrow: Int
    public let ncol: Int
    public let isSlippery: Bool
    public let transitions: [[[Transition]]]
    public let initialStateDistribution: [Double]
    public private(set) var state = 0
    public private(set) var lastAction: Int?
    public let rng = Generator()
    public let maxEpisodeSteps: Int?

    public var stateCount: Int { nrow * ncol }
    public var actionCount: Int { 4 }
    public var observationSpace: Space { .discrete(stateCount) }
    public let actionSpace = Space.discrete(4)

    public init(id: String = "FrozenLake-v1", options: EnvOptions = EnvOptions()) throws {
        self.id = id
        try options.checkKnown(FrozenLake.optionNames, id)
        var rows: [String]
        if let given = try options.strings("desc", id) {
            rows = given
        } else {
            let name = try options.choice("map_name", id, ["4x4", "8x8"]) ?? (id.contains("8x8") ? "8x8" : "4x4")
            rows = FrozenLake.maps[name] ?? []
        }
        guard let width = rows.first?.count, width > 0, rows.allSatisfy({ $0.count == width }) else {
            throw EngineError(id, "option desc: expected equally long non-empty rows of S, F, H, G")
        }
        guard rows.count * width <= 100_000 else {
            throw EngineError(id, "option desc: at most 100000 cells; got \(rows.count)x\(width)")
        }
        let grid = rows.map(Array.init)
        for (r, row) in grid.enumerated() {
            if let bad = row.first(where: { !"SFHG".contains($0) }) {
                throw EngineError(id, "option desc: row \(r + 1) has '\(bad)'; cells are S (start), F (frozen), H (hole), G (goal)")
            }
        }
        guard grid.joined().contains("S") else { throw EngineError(id, "option desc: the map needs a start cell S") }
        desc = grid
        nrow = grid.count
        ncol = width
        isSlippery = try options.bool("is_slippery", id) ?? true
        let successRate = try options.double("success_rate", id, "in [0, 1]") { $0 >= 0 && $0 <= 1 } ?? 1.0 / 3.0
        let schedule = try options.doubles("reward_schedule", id, count: 3) ?? [1, 0, 0]
        maxEpisodeSteps = nrow * ncol >= 64 ? 200 : 100

        let starts = grid.joined().map { $0 == "S" ? 1.0 : 0.0 }
        let total = starts.reduce(0, +)
        initialStateDistribution = starts.map { $0 / total }

        let nrow = grid.count, ncol = width
        func move(_ row: Int, _ col: Int, _ a: Int) -> (Int, Int) {
            switch a {
            case 0: return (row, Swift.max(col - 1, 0))
            case 1: return (Swift.min(row + 1, nrow - 1), col)
            case 2: return (row, Swift.min(col + 1, ncol - 1))
            default: return (Swift.max(row - 1, 0), col)
            }
        }
        func outcome(_ row: Int, _ col: Int, _ a: Int) -> (Int, Double, Bool) {
            let (r, c) = move(row, col, a)
            let letter = grid[r][c]
            let reward = letter == "G" ? schedule[0] : letter == "H" ? schedule[1] : schedule[2]
            return (r * ncol + c, reward, letter == "G" || letter == "H")
        }
        var table: [[[Transition]]] = []
        for row in 0..<nrow {
            for col in 0..<ncol {
                let s = row * ncol + col
                var actions: [[Transition]] = []
                for a in 0..<4 {
                    if grid[row][col] == "G" || grid[row][col] == "H" {
                        actions.append([Transition(1.0, s, 0, true)])
                    } else if isSlippery {
                        var list: [Transition] = []
                        for b in [(a + 3) % 4, a, (a + 1) % 4] {
                            let p = successRate == 1.0 / 3.0 ? 1.0 / 3.0 : (b == a ? successRate : (1 - successRate) / 2)
                            let (next, r, done) = outcome(row, col, b)
                            list.append(Transition(p, next, r, done))
                        }
                        actions.append(list)
                    } else {
                        let (next, r, done) = outcome(row, col, a)
                        actions.append([Transition(1.0, next, r, done)])
                    }
                }
                table.append(actions)
            }
        }
        transitions = table
    }

    public func reset(options: EnvOptions) throws -> (SpaceValue, Info) {
        try options.checkKnown(["state"], id + ".reset")
        state = try options.index("state", id + ".reset", count: stateCount) ?? rng.categorical(initialStateDistribution)
        lastAction = nil
        return (.discrete(state), ["prob": .number(1)])
    }

    public func step(_ action: SpaceValue) throws -> Step {
        guard case .discrete(let a) = action else { throw EngineError(id + ".step", "expected a discrete action") }
        let t = sampleTransition(state, a)
        state = t.nextState
        lastAction = a
        return Step(.discrete(t.nextState), t.reward, terminated: t.terminated, info: ["prob": .number(t.probability)])
    }

    /// Gymnasium's text render: the last action, then the map with the agent's cell in brackets.
    public func render() -> String {
        var lines: [String] = []
        if let lastAction { lines.append("  (\(FrozenLake.actionNames[lastAction]))") }
        for r in 0..<nrow {
            var line = ""
            for c in 0..<ncol {
                let letter = String(desc[r][c])
                line += r * ncol + c == state ? "[\(letter)]" : " \(letter) "
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    public func properties() -> Info {
        ["state": .index(state), "map": .string(desc.map { String($0) }.joined(separator: "\n")),
         "nrow": .integer(nrow), "ncol": .integer(ncol)]
    }
}
