/// CliffWalking-v0 (Sutton & Barto, example 6.6) as Gymnasium defines it: a 4x12 grid, start at
/// the bottom-left, goal at the bottom-right, the cells between them are a cliff.
/// Actions UP 0, RIGHT 1, DOWN 2, LEFT 3 (Lua 1..4); states row·12 + col (Lua +1).
///
/// Every step costs -1; stepping into the cliff costs -100 and sends the agent back to the start
/// (not terminal). Reaching the goal terminates. No time limit (give `max_episode_steps` to
/// `make` for one). `P[s][a]` lists `(prob, next_state, reward, terminated)`.
public final class CliffWalking: TabularEnvironment {
    public static let actionNames = ["Up", "Right", "Down", "Left"]
    public let id = "CliffWalking-v0"
    public let nrow = 4
    public let ncol = 12
    public let startState = 36
    public let goalState = 47
    public let transitions: [[[Transition]]]
    public private(set) var state = 36
    public private(set) var lastAction: Int?
    public let rng = Generator()
    public let maxEpisodeSteps: Int? = nil

    public var stateCount: Int { nrow * ncol }
    public var actionCount: Int { 4 }
    public var observationSpace: Space { .discrete(stateCount) }
    public let actionSpace = Space.discrete(4)

    /// True for the cliff cells: row 3, columns 1...10.
    public func isCliff(_ row: Int, _ col: Int) -> Bool { row == 3 && col >= 1 && col <= 10 }

    public init(options: EnvOptions = EnvOptions()) throws {
        try options.checkKnown([], id)
        let deltas = [(-1, 0), (0, 1), (1, 0), (0, -1)]
        let nrow = 4, ncol = 12, startState = 36, goalState = 47
        func isCliff(_ row: Int, _ col: Int) -> Bool { row == 3 && col >= 1 && col <= 10 }
        var table: [[[Transition]]] = []
        for s in 0..<(nrow * ncol) {
            let row = s / ncol, col = s % ncol
            table.append(deltas.map { dr, dc in
                let r = Swift.min(Swift.max(row + dr, 0), nrow - 1)
                let c = Swift.min(Swift.max(col + dc, 0), ncol - 1)
                if isCliff(r, c) { return [Transition(1.0, startState, -100, false)] }
                let next = r * ncol + c
                return [Transition(1.0, next, -1, next == goalState)]
            })
        }
        transitions = table
    }

    public func reset(options: EnvOptions) throws -> (SpaceValue, Info) {
        try options.checkKnown(["state"], id + ".reset")
        state = try options.index("state", id + ".reset", count: stateCount) ?? startState
        lastAction = nil
        return (.discrete(state), ["prob": .number(1)])
    }

    public func step(_ action: SpaceValue) throws -> Step {
        guard case .discrete(let a) = action else { throw EngineError(id + ".step", "expected a discrete action") }
        let t = sampleTransition(state, a)
        state = t.nextState
        lastAction = a
        var info: Info = ["prob": .number(t.probability)]
        if t.reward <= -100 { info["cliff"] = .bool(true) }
        return Step(.discrete(t.nextState), t.reward, terminated: t.terminated, info: info)
    }

    /// Gymnasium's text render: x the agent, C the cliff, T the goal, o the other cells.
    public func render() -> String {
        var lines: [String] = []
        for r in 0..<nrow {
            var line = ""
            for c in 0..<ncol {
                let s = r * ncol + c
                line += s == state ? " x " : s == goalState ? " T " : isCliff(r, c) ? " C " : " o "
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    public func properties() -> Info { ["state": .index(state), "nrow": .integer(nrow), "ncol": .integer(ncol)] }
}
