/// The grid arithmetic the grid worlds (FrozenLake, CliffWalking, GridWorld) share: cells are
/// numbered row by row (`state = row · cols + col`, 0-based) and an action moves one cell in its
/// direction. The environments differ only in what a cell holds (holes, cliffs, walls, goals),
/// their slips and rewards, which they give as the outcomes of each (state, action).
public struct GridNavigation: Sendable {
    public let rows: Int
    public let cols: Int
    /// (row, col) step of each action, in the environment's action numbering.
    public let moves: [(row: Int, col: Int)]

    /// Gymnasium's FrozenLake numbering: LEFT 0, DOWN 1, RIGHT 2, UP 3.
    public static let leftDownRightUp: [(row: Int, col: Int)] = [(0, -1), (1, 0), (0, 1), (-1, 0)]
    /// CliffWalking's and GridWorld's numbering: UP 0, RIGHT 1, DOWN 2, LEFT 3.
    public static let upRightDownLeft: [(row: Int, col: Int)] = [(-1, 0), (0, 1), (1, 0), (0, -1)]

    public init(rows: Int, cols: Int, moves: [(row: Int, col: Int)]) {
        self.rows = rows
        self.cols = cols
        self.moves = moves
    }

    public var stateCount: Int { rows * cols }

    public func state(_ row: Int, _ col: Int) -> Int { row * cols + col }

    public func position(_ state: Int) -> (row: Int, col: Int) { (state / cols, state % cols) }

    /// The cell `action` leads to from `state`, or nil when the move would leave the grid.
    public func neighbour(_ state: Int, _ action: Int) -> Int? {
        let (row, col) = position(state)
        let r = row + moves[action].row, c = col + moves[action].col
        guard r >= 0, r < rows, c >= 0, c < cols else { return nil }
        return self.state(r, c)
    }

    /// The cell `action` leads to from `state`; a move off the grid stays put.
    public func move(_ state: Int, _ action: Int) -> Int { neighbour(state, action) ?? state }

    /// The two actions perpendicular to `action` (both numberings go round the compass), as the
    /// slips of a slippery grid: `(action + 3) % 4` and `(action + 1) % 4`.
    public static func perpendicular(_ action: Int) -> (before: Int, after: Int) { ((action + 3) % 4, (action + 1) % 4) }

    /// `P[s][a]` for every cell and action, `outcomes(s, a)` giving one entry's outcome list.
    public func transitionTable(_ outcomes: (_ state: Int, _ action: Int) -> [Transition]) -> [[[Transition]]] {
        (0..<stateCount).map { s in moves.indices.map { a in outcomes(s, a) } }
    }

    /// The width of a map given as equally long non-empty rows (nil when it is not one).
    public static func width(of map: [String]) -> Int? {
        guard let width = map.first?.count, width > 0, map.allSatisfy({ $0.count == width }) else { return nil }
        return width
    }
}

/// The state, reset, step and text render the grid worlds share; each subclass builds its
/// transition table on a `GridNavigation` and says how a cell is drawn.
public class GridEnvironment: TabularEnvironment {
    public let id: String
    public let grid: GridNavigation
    public let transitions: [[[Transition]]]
    public private(set) var state: Int
    public private(set) var lastAction: Int?
    /// Where `reset` puts the agent when given no state (FrozenLake draws among its S cells instead).
    public let startState: Int
    public let rng = Generator()
    public let maxEpisodeSteps: Int?
    /// Action names for the render's first line (`  (Left)`); nil draws only the grid.
    let renderedActionNames: [String]?

    public var stateCount: Int { grid.stateCount }
    public var actionCount: Int { grid.moves.count }
    public var observationSpace: Space { .discrete(stateCount) }
    public let actionSpace = Space.discrete(4)

    /// `state` is the state before the first reset (default `startState`).
    init(id: String, grid: GridNavigation, transitions: [[[Transition]]], startState: Int, state: Int? = nil,
         maxEpisodeSteps: Int?, renderedActionNames: [String]?) {
        self.id = id
        self.grid = grid
        self.transitions = transitions
        self.startState = startState
        self.state = state ?? startState
        self.maxEpisodeSteps = maxEpisodeSteps
        self.renderedActionNames = renderedActionNames
    }

    /// The state an episode starts in when `reset` is given none.
    func initialState() -> Int { startState }

    /// The info of a step that took `transition`.
    func stepInfo(_ transition: Transition) -> Info { ["prob": .number(transition.probability)] }

    /// One cell of the render, 3 characters wide.
    func cellText(row: Int, col: Int, state: Int) -> String { state == self.state ? " A " : " . " }

    public func reset(options: EnvOptions) throws -> (SpaceValue, Info) {
        try options.checkKnown(["state"], id + ".reset")
        state = try options.index("state", id + ".reset", count: stateCount) ?? initialState()
        lastAction = nil
        return (.discrete(state), ["prob": .number(1)])
    }

    public func step(_ action: SpaceValue) throws -> Step {
        guard case .discrete(let a) = action else { throw EngineError(id + ".step", "expected a discrete action") }
        let t = sampleTransition(state, a)
        state = t.nextState
        lastAction = a
        return Step(.discrete(t.nextState), t.reward, terminated: t.terminated, info: stepInfo(t))
    }

    /// Gymnasium's text render: the last action (when named), then the grid a row a line.
    public func render() -> String {
        var lines: [String] = []
        if let lastAction, let names = renderedActionNames { lines.append("  (\(names[lastAction]))") }
        for r in 0..<grid.rows {
            lines.append((0..<grid.cols).map { c in cellText(row: r, col: c, state: grid.state(r, c)) }.joined())
        }
        return lines.joined(separator: "\n")
    }

    public func properties() -> Info { ["state": .index(state)] }
}
