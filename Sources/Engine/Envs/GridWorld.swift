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
public final class GridWorld: GridEnvironment {
    public static let optionNames = ["rows", "cols", "map", "start", "goals", "pits", "walls", "step_reward",
                                     "goal_reward", "pit_reward", "slip"]
    public static let actionNames = ["Up", "Right", "Down", "Left"]
    public let rows: Int
    public let cols: Int
    public var start: Int { startState }
    public let walls: Set<Int>
    /// Terminal cells and their rewards.
    public let terminals: [Int: Double]
    public let stepReward: Double
    public let slip: Double

    public init(options: EnvOptions = EnvOptions()) throws {
        let id = "GridWorld-v0"
        try options.checkKnown(GridWorld.optionNames, id)
        let goalReward = try options.double("goal_reward", id) ?? 1
        let pitReward = try options.double("pit_reward", id) ?? -1
        var rows: Int, cols: Int
        var start: (Int, Int)
        var walls = Set<Int>()
        var terminals: [Int: Double] = [:]
        if let map = try options.strings("map", id) {
            guard let width = GridNavigation.width(of: map) else {
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
        self.walls = walls
        self.terminals = terminals
        // Russell & Norvig's world keeps its step reward and slip; a custom layout defaults to neither.
        let classic = options["map"] == nil && options["rows"] == nil && options["cols"] == nil
        let stepReward = try options.double("step_reward", id) ?? (classic ? -0.04 : 0)
        let slip = try options.double("slip", id, "in [0, 1]") { $0 >= 0 && $0 <= 1 } ?? (classic ? 0.2 : 0)
        self.stepReward = stepReward
        self.slip = slip

        let grid = GridNavigation(rows: rows, cols: cols, moves: GridNavigation.upRightDownLeft)
        let table = grid.transitionTable { s, a in
            if terminals[s] != nil || walls.contains(s) { return [Transition(1, s, 0, terminals[s] != nil)] }
            // Outcomes landing on the same cell (e.g. two moves into walls) are merged, in first-seen order.
            var merged: [Int: Double] = [:]
            var order: [Int] = []
            let (before, after) = GridNavigation.perpendicular(a)
            for (b, p) in [(a, 1 - slip), (after, slip / 2), (before, slip / 2)] where p > 0 {
                var next = grid.move(s, b)
                if walls.contains(next) { next = s }
                if merged[next] == nil { order.append(next) }
                merged[next, default: 0] += p
            }
            return order.map { next in
                Transition(merged[next] ?? 0, next, terminals[next] ?? stepReward, terminals[next] != nil)
            }
        }
        super.init(id: id, grid: grid, transitions: table, startState: startState, maxEpisodeSteps: 100,
                   renderedActionNames: GridWorld.actionNames)
    }

    /// A the agent, # walls, G/P goals and pits (by the sign of their reward), . floor.
    override func cellText(row: Int, col: Int, state: Int) -> String {
        let ch = state == self.state ? "A" : walls.contains(state) ? "#" : terminals[state].map { $0 >= 0 ? "G" : "P" } ?? "."
        return " \(ch) "
    }

    override public func properties() -> Info {
        ["state": .index(state), "rows": .integer(rows), "cols": .integer(cols), "start": .index(start),
         "walls": .indices(walls.sorted()), "terminals": .indices(terminals.keys.sorted()),
         "step_reward": .number(stepReward), "slip": .number(slip)]
    }
}
