/// A configurable grid world for dynamic programming and tabular RL.
///
/// Actions UP 0, RIGHT 1, DOWN 2, LEFT 3 (Lua 1..4); states row·cols + col (Lua +1). A move goes
/// in the intended direction with probability 1 − slip and in each perpendicular direction with
/// probability slip/2; moves into a wall or off the grid stay put. Entering a goal or a pit gives
/// its reward and terminates; every other step gives `step_reward`. Truncated at 100 steps.
///
/// The default is Russell & Norvig's 4x3 world (AIMA fig. 17.1): 3 rows × 4 columns, start at
/// the bottom-left, a wall at (2, 2), +1 at (1, 4), −1 at (2, 4), step reward −0.04, slip 0.2.
/// Positions in options are `{row, col}` (1-based from Lua).
///
/// Make options: rows, cols, map (rows of `S` start, `.` floor, `#` wall, `G` goal, `P` pit),
/// start, goals (`{{row, col, reward?}}`), pits (same), walls (`{{row, col}}`), step_reward,
/// goal_reward (default 1), pit_reward (default −1), slip, max_episode_steps.
public final class GridWorld: TabularEnvironment {
    public static let optionNames = ["rows", "cols", "map", "start", "goals", "pits", "walls", "step_reward",
                                     "goal_reward", "pit_reward", "slip"]
    public static let actionNames = ["Up", "Right", "Down", "Left"]
    public let id = "GridWorld-v0"
    public let rows: Int
    public let cols: Int
    public let start: Int
    public let walls: Set<Int>
    /// Terminal cells and their rewards.
    public let terminals: [Int: Double]
    public let stepReward: Double
    public let slip: Double
    public let transitions: [[[Transition]]]
    public private(set) var state: Int
    public private(set) var lastAction: Int?
    public let rng = Generator()
    public let maxEpisodeSteps: Int? = 100

    public var stateCount: Int { rows * cols }
    public var actionCount: Int { 4 }
    public var observationSpace: Space { .discrete(stateCount) }
    public let actionSpace = Space.discrete(4)

    public init(options: EnvOptions = EnvOptions()) throws {
        let id = self.id
        try options.checkKnown(GridWorld.optionNames, id)
        let goalReward = try options.double("goal_reward", id) ?? 1
        let pitReward = try options.double("pit_reward", id) ?? -1
        var rows: Int, cols: Int
        var start: (Int, Int)
        var walls = Set<Int>()
        var terminals: [Int: Double] = [:]
        if let map = try options.strings("map", id) {
            guard let width = map.first?.count, width > 0, map.allSatisfy({ $0.count == width }) else {
                throw EngineError(id, "option map: expected equally long non-empty rows")
            }
            rows = map.count; cols = width
            start = (rows - 1, 0)
            for (r, line) in map.enumerated() {
                for (c, ch) in line.enumerated() {
                    switch ch {
                    case "S": start = (r, c)
                    case "#": walls.insert(r * cols + c)
                    case "G": terminals[r * cols + c] = goalReward
                    case "P": terminals[r * cols + c] = pitReward
                    case ".": break
                    default: throw EngineError(id, "option map: row \(r + 1) has '\(ch)'; cells are S, ., #, G, P")
                    }
                }
            }
        } else if options["rows"] != nil || options["cols"] != nil {
            rows = try options.int("rows", id, in: 1...1000) ?? 4
            cols = try options.int("cols", id, in: 1...1000) ?? 4
            start = (rows - 1, 0)
            if options["goals"] == nil { terminals[cols - 1] = goalReward }
        } else {
            rows = 3; cols = 4
            start = (2, 0)
            walls = [1 * 4 + 1]
            if options["goals"] == nil && options["pits"] == nil { terminals = [3: goalReward, 1 * 4 + 3: pitReward] }
        }
        guard rows * cols >= 1, rows * cols <= 100_000 else {
            throw EngineError(id, "the grid needs 1 to 100000 cells; got \(rows)x\(cols)")
        }
        if let s = try options.position("start", id, rows: rows, cols: cols) { start = s }
        if let list = try options.positions("walls", id, rows: rows, cols: cols) {
            walls = Set(list.map { $0.row * cols + $0.col })
        }
        if let goals = try options.positions("goals", id, rows: rows, cols: cols, extras: 1) {
            terminals = terminals.filter { $0.value < 0 }
            for g in goals { terminals[g.row * cols + g.col] = g.extra.first ?? goalReward }
        }
        if let pits = try options.positions("pits", id, rows: rows, cols: cols, extras: 1) {
            for p in pits { terminals[p.row * cols + p.col] = p.extra.first ?? pitReward }
        }
        let startState = start.0 * cols + start.1
        guard !walls.contains(startState) else { throw EngineError(id, "the start cell is a wall") }
        for t in terminals.keys where walls.contains(t) {
            throw EngineError(id, "cell {\(t / cols + options.indexBase), \(t % cols + options.indexBase)} is both a wall and a goal/pit")
        }
        self.rows = rows; self.cols = cols
        self.start = startState
        self.walls = walls
        self.terminals = terminals
        // Russell & Norvig's world keeps its step reward and slip; a custom layout defaults to neither.
        let classic = options["map"] == nil && options["rows"] == nil && options["cols"] == nil
        stepReward = try options.double("step_reward", id) ?? (classic ? -0.04 : 0)
        slip = try options.double("slip", id, "in [0, 1]") { $0 >= 0 && $0 <= 1 } ?? (classic ? 0.2 : 0)
        state = startState

        let deltas = [(-1, 0), (0, 1), (1, 0), (0, -1)]
        let stepReward = self.stepReward, slip = self.slip
        var table: [[[Transition]]] = []
        for s in 0..<(rows * cols) {
            if terminals[s] != nil || walls.contains(s) {
                table.append(Array(repeating: [Transition(1, s, 0, terminals[s] != nil)], count: 4))
                continue
            }
            let row = s / cols, col = s % cols
            var actions: [[Transition]] = []
            for a in 0..<4 {
                var merged: [Int: Double] = [:]
                var order: [Int] = []
                for (b, p) in [(a, 1 - slip), ((a + 1) % 4, slip / 2), ((a + 3) % 4, slip / 2)] where p > 0 {
                    let r = row + deltas[b].0, c = col + deltas[b].1
                    var next = s
                    if r >= 0, r < rows, c >= 0, c < cols, !walls.contains(r * cols + c) { next = r * cols + c }
                    if merged[next] == nil { order.append(next) }
                    merged[next, default: 0] += p
                }
                actions.append(order.map { next in
                    Transition(merged[next] ?? 0, next, terminals[next] ?? stepReward, terminals[next] != nil)
                })
            }
            table.append(actions)
        }
        transitions = table
    }

    public func reset(options: EnvOptions) throws -> (SpaceValue, Info) {
        try options.checkKnown(["state"], id + ".reset")
        state = try options.index("state", id + ".reset", count: stateCount) ?? start
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

    /// The grid: A the agent, # walls, G/P goals and pits (by the sign of their reward), . floor.
    public func render() -> String {
        var lines: [String] = []
        if let lastAction { lines.append("  (\(GridWorld.actionNames[lastAction]))") }
        for r in 0..<rows {
            var line = ""
            for c in 0..<cols {
                let s = r * cols + c
                let ch = s == state ? "A" : walls.contains(s) ? "#" : terminals[s].map { $0 >= 0 ? "G" : "P" } ?? "."
                line += " \(ch) "
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    public func properties() -> Info {
        ["state": .index(state), "rows": .integer(rows), "cols": .integer(cols), "start": .index(start),
         "walls": .indices(walls.sorted()), "terminals": .indices(terminals.keys.sorted()),
         "step_reward": .number(stepReward), "slip": .number(slip)]
    }
}
