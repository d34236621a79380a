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
public final class FrozenLake: GridEnvironment {
    public static let maps: [String: [String]] = [
        "4x4": ["SFFF", "FHFH", "FFFH", "HFFG"],
        "8x8": ["SFFFFFFF", "FFFFFFFF", "FFFHFFFF", "FFFFFHFF", "FFFHFFFF", "FHHFFFHF", "FHFFHFHF", "FFFHFFFG"],
    ]
    public static let optionNames = ["map_name", "desc", "is_slippery", "success_rate", "reward_schedule"]
    public static let actionNames = ["Left", "Down", "Right", "Up"]

    public let desc: [[Character]]
    public let nrow: Int
    public let ncol: Int
    public let isSlippery: Bool
    public let initialStateDistribution: [Double]

    public init(id: String = "FrozenLake-v1", options: EnvOptions = EnvOptions()) throws {
        try options.checkKnown(FrozenLake.optionNames, id)
        var rows: [String]
        if let given = try options.strings("desc", id) {
            rows = given
        } else {
            let name = try options.choice("map_name", id, ["4x4", "8x8"]) ?? (id.contains("8x8") ? "8x8" : "4x4")
            rows = FrozenLake.maps[name] ?? []
        }
        guard let width = GridNavigation.width(of: rows) else {
            throw EngineError(id, "option desc: expected equally long non-empty rows of S, F, H, G")
        }
        guard rows.count * width <= 100_000 else {
            throw EngineError(id, "option desc: at most 100000 cells; got \(rows.count)x\(width)")
        }
        let map = rows.map(Array.init)
        for (r, row) in map.enumerated() {
            if let bad = row.first(where: { !"SFHG".contains($0) }) {
                throw EngineError(id, "option desc: row \(r + 1) has '\(bad)'; cells are S (start), F (frozen), H (hole), G (goal)")
            }
        }
        let cells = Array(map.joined())
        guard let firstStart = cells.firstIndex(of: "S") else { throw EngineError(id, "option desc: the map needs a start cell S") }
        desc = map
        nrow = map.count
        ncol = width
        let isSlippery = try options.bool("is_slippery", id) ?? true
        self.isSlippery = isSlippery
        let successRate = try options.double("success_rate", id, "in [0, 1]") { $0 >= 0 && $0 <= 1 } ?? 1.0 / 3.0
        let schedule = try options.doubles("reward_schedule", id, count: 3) ?? [1, 0, 0]

        let starts = cells.map { $0 == "S" ? 1.0 : 0.0 }
        let total = starts.reduce(0, +)
        initialStateDistribution = starts.map { $0 / total }

        let grid = GridNavigation(rows: map.count, cols: width, moves: GridNavigation.leftDownRightUp)
        /// Where direction `b` from `s` ends, its reward and whether that ends the episode.
        func outcome(_ s: Int, _ b: Int, probability: Double) -> Transition {
            let next = grid.move(s, b)
            let letter = cells[next]
            let reward = letter == "G" ? schedule[0] : letter == "H" ? schedule[1] : schedule[2]
            return Transition(probability, next, reward, letter == "G" || letter == "H")
        }
        let table = grid.transitionTable { s, a in
            if cells[s] == "G" || cells[s] == "H" { return [Transition(1.0, s, 0, true)] }
            guard isSlippery else { return [outcome(s, a, probability: 1.0)] }
            let (before, after) = GridNavigation.perpendicular(a)
            return [before, a, after].map { b in
                outcome(s, b, probability: successRate == 1.0 / 3.0 ? 1.0 / 3.0 : (b == a ? successRate : (1 - successRate) / 2))
            }
        }
        super.init(id: id, grid: grid, transitions: table, startState: firstStart, state: 0,
                   maxEpisodeSteps: map.count * width >= 64 ? 200 : 100, renderedActionNames: FrozenLake.actionNames)
    }

    /// A start cell drawn from `initialStateDistribution` (uniform over the S cells).
    override func initialState() -> Int { rng.categorical(initialStateDistribution) }

    /// Gymnasium's text render: the agent's cell in brackets.
    override func cellText(row: Int, col: Int, state: Int) -> String {
        let letter = String(desc[row][col])
        return state == self.state ? "[\(letter)]" : " \(letter) "
    }

    override public func properties() -> Info {
        ["state": .index(state), "map": .string(desc.map { String($0) }.joined(separator: "\n")),
         "nrow": .integer(nrow), "ncol": .integer(ncol)]
    }
}
