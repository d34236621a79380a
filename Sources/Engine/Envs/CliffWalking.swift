/// CliffWalking-v0 (Sutton & Barto, example 6.6) as Gymnasium defines it: a 4x12 grid, start at
/// the bottom-left, goal at the bottom-right, the cells between them are a cliff.
/// Actions UP 0, RIGHT 1, DOWN 2, LEFT 3 (Lua 1..4); states row·12 + col (Lua +1).
///
/// Every step costs -1; stepping into the cliff costs -100 and sends the agent back to the start
/// (not terminal). Reaching the goal terminates. No time limit (give `max_episode_steps` to
/// `make` for one). `P[s][a]` lists `(prob, next_state, reward, terminated)`.
public final class CliffWalking: GridEnvironment {
    public static let actionNames = ["Up", "Right", "Down", "Left"]
    public let nrow = 4
    public let ncol = 12
    public let goalState = 47

    /// True for the cliff cells: row 3, columns 1...10.
    public static func isCliff(_ row: Int, _ col: Int) -> Bool { row == 3 && col >= 1 && col <= 10 }
    public func isCliff(_ row: Int, _ col: Int) -> Bool { CliffWalking.isCliff(row, col) }

    public init(options: EnvOptions = EnvOptions()) throws {
        let id = "CliffWalking-v0"
        try options.checkKnown([], id)
        let grid = GridNavigation(rows: 4, cols: 12, moves: GridNavigation.upRightDownLeft)
        let startState = 36, goalState = 47
        let table = grid.transitionTable { s, a in
            let next = grid.move(s, a)
            let (r, c) = grid.position(next)
            if CliffWalking.isCliff(r, c) { return [Transition(1.0, startState, -100, false)] }
            return [Transition(1.0, next, -1, next == goalState)]
        }
        super.init(id: id, grid: grid, transitions: table, startState: startState, maxEpisodeSteps: nil,
                   renderedActionNames: nil)
    }

    override func stepInfo(_ transition: Transition) -> Info {
        var info = super.stepInfo(transition)
        if transition.reward <= -100 { info["cliff"] = .bool(true) }
        return info
    }

    /// Gymnasium's text render: x the agent, C the cliff, T the goal, o the other cells.
    override func cellText(row: Int, col: Int, state: Int) -> String {
        state == self.state ? " x " : state == goalState ? " T " : isCliff(row, col) ? " C " : " o "
    }

    override public func properties() -> Info { ["state": .index(state), "nrow": .integer(nrow), "ncol": .integer(ncol)] }
}
