/// A two-player, zero-sum, k-in-a-row board game with alternating turns: the engine behind
/// TicTacToe-v0 and ConnectFour-v0 (see those files), built for self-play and tree search.
///
/// Players are numbered 1 (moves first, `X`, +1 on the board) and 2 (`O`, −1). The observation
/// is the canonical board: the board from the view of the player to move (+1 own stones, −1 the
/// opponent's), so one network can play both sides. A step places a stone for the player to
/// move; the reward is from the mover's view: +1 for a win, 0 otherwise (a draw is 0). Illegal
/// moves (an occupied cell, a full column) are errors naming the legal ones.
///
/// With `opponent = "random"` the game becomes a single-agent environment: after each move of
/// the agent (player `agent_player`, default 1) the opponent answers with a uniformly random
/// legal move from the environment's generator, and a loss gives −1.
///
/// Info: `current_player`, `legal_actions`, `action_mask`, `winner` (0 while undecided or on a
/// draw). `clone()` copies the position for MCTS. Reset option `board` (cells row-major, 0 empty,
/// 1 and 2 (or −1) the players' stones) starts from a position.
public final class BoardGame: Environment {
    public enum Opponent: String, Sendable { case none, random }

    public let id: String
    public let rows: Int
    public let cols: Int
    /// Stones in a row needed to win.
    public let connect: Int
    /// Stones drop to the lowest empty cell of a column (Connect Four); actions are columns.
    public let drops: Bool
    /// +1 player 1, −1 player 2, 0 empty; row-major, row 0 at the top.
    public private(set) var board: [Int]
    /// +1 when player 1 is to move, −1 for player 2.
    public private(set) var toMove = 1
    /// +1 or −1 once someone has won, else 0.
    public private(set) var winnerSign = 0
    public private(set) var isOver = false
    public private(set) var lastMove: Int?
    public let opponent: Opponent
    /// +1 when the agent plays first against the built-in opponent, −1 otherwise.
    public let agentSign: Int
    public let rng = Generator()
    public var maxEpisodeSteps: Int? { nil }

    public init(id: String, rows: Int, cols: Int, connect: Int, drops: Bool, options: EnvOptions, extraOptions: [String] = []) throws {
        try options.checkKnown(["opponent", "agent_player"] + extraOptions, id)
        self.id = id
        self.rows = rows
        self.cols = cols
        self.connect = connect
        self.drops = drops
        board = Array(repeating: 0, count: rows * cols)
        opponent = Opponent(rawValue: try options.choice("opponent", id, ["none", "random"]) ?? "none") ?? .none
        agentSign = (try options.int("agent_player", id, in: 1...2) ?? 1) == 1 ? 1 : -1
    }

    public var observationSpace: Space { .box(low: -1, high: 1, shape: [rows, cols]) }
    public var actionSpace: Space { .discrete(drops ? cols : rows * cols) }

    /// The player to move as a number: 1 or 2.
    public var currentPlayer: Int { toMove == 1 ? 1 : 2 }
    /// The winner as a number: 1 or 2, or 0 (none yet, or a draw).
    public var winner: Int { winnerSign == 0 ? 0 : (winnerSign == 1 ? 1 : 2) }
    public var isDraw: Bool { isOver && winnerSign == 0 }

    /// The board from the view of the player to move.
    public var canonicalBoard: [Int] { board.map { $0 * toMove } }

    public func legalActions() -> [Int]? {
        if isOver { return [] }
        if drops { return (0..<cols).filter { board[$0] == 0 } }
        return board.indices.filter { board[$0] == 0 }
    }

    public var observation: SpaceValue { .vector(canonicalBoard.map(Double.init)) }

    private var info: Info {
        let legal = legalActions() ?? []
        let n = drops ? cols : rows * cols
        var mask = [Bool](repeating: false, count: n)
        for a in legal { mask[a] = true }
        var info: Info = ["current_player": .integer(currentPlayer), "legal_actions": .indices(legal),
                          "action_mask": .mask(mask), "winner": .integer(winner)]
        if let lastMove { info["last_move"] = .index(lastMove) }
        return info
    }

    public func reset(options: EnvOptions) throws -> (SpaceValue, Info) {
        let op = id + ".reset"
        try options.checkKnown(["board"], op)
        board = Array(repeating: 0, count: rows * cols)
        toMove = 1; winnerSign = 0; isOver = false; lastMove = nil
        if let given = try options.ints("board", op, count: rows * cols) {
            guard given.allSatisfy({ [-1, 0, 1, 2].contains($0) }) else {
                throw EngineError(op, "option board: cells must be 0 (empty), 1 or 2 (players; -1 also means player 2)")
            }
            board = given.map { $0 == 2 ? -1 : $0 }
            let ones = board.filter { $0 == 1 }.count, twos = board.filter { $0 == -1 }.count
            guard ones == twos || ones == twos + 1 else {
                throw EngineError(op, "option board: player 1 has \(ones) stones and player 2 \(twos); player 1 moves first, so it has as many or one more")
            }
            toMove = ones == twos ? 1 : -1
            for cell in board.indices where board[cell] != 0 && wins(at: cell) {
                winnerSign = board[cell]; isOver = true
            }
            if !board.contains(0) { isOver = true }
        }
        if opponent == .random && agentSign == -1 && !isOver && toMove == 1 { _ = playRandomOpponent() }
        return (observation, info)
    }

    /// The cell a move lands on (the lowest empty cell of a column when stones drop).
    private func target(_ action: Int) -> Int? {
        if !drops { return board[action] == 0 ? action : nil }
        for r in stride(from: rows - 1, through: 0, by: -1) where board[r * cols + action] == 0 { return r * cols + action }
        return nil
    }

    /// True when the stone at `cell` completes `connect` in a row.
    public func wins(at cell: Int) -> Bool {
        let sign = board[cell]
        guard sign != 0 else { return false }
        let r0 = cell / cols, c0 = cell % cols
        for (dr, dc) in [(0, 1), (1, 0), (1, 1), (1, -1)] {
            var count = 1
            for dir in [1, -1] {
                var r = r0 + dir * dr, c = c0 + dir * dc
                while r >= 0, r < rows, c >= 0, c < cols, board[r * cols + c] == sign {
                    count += 1
                    r += dir * dr; c += dir * dc
                }
            }
            if count >= connect { return true }
        }
        return false
    }

    /// Places a stone for the player to move; returns true when the game ended.
    private func play(_ action: Int) throws -> Bool {
        guard let cell = target(action) else {
            throw EngineError(id + ".step", drops ? "column \(action) is full" : "cell \(action) is occupied")
        }
        board[cell] = toMove
        lastMove = action
        if wins(at: cell) {
            winnerSign = toMove; isOver = true
        } else if !board.contains(0) {
            isOver = true
        }
        toMove = -toMove
        return isOver
    }

    private func playRandomOpponent() -> Int? {
        guard let legal = legalActions(), !legal.isEmpty else { return nil }
        let move = legal[rng.integer(below: legal.count)]
        _ = try? play(move)
        return move
    }

    public func step(_ action: SpaceValue) throws -> Step {
        guard case .discrete(let a) = action else { throw EngineError(id + ".step", "expected a discrete action") }
        guard !isOver else { throw EngineError(id + ".step", "the game is over; call reset()") }
        let mover = toMove
        if try play(a) {
            var i = info
            i["mover"] = .integer(mover == 1 ? 1 : 2)
            return Step(observation, winnerSign == mover ? 1 : 0, terminated: true, info: i)
        }
        var opponentMove: Int?
        if opponent == .random { opponentMove = playRandomOpponent() }
        var i = info
        if let opponentMove { i["opponent_action"] = .index(opponentMove) }
        let reward: Double = isOver && winnerSign == -mover ? -1 : 0
        return Step(observation, reward, terminated: isOver, info: i)
    }

    public func render() -> String {
        var lines: [String] = []
        for r in 0..<rows {
            lines.append((0..<cols).map { c -> String in
                let v = board[r * cols + c]
                if v == 1 { return "X" }
                if v == -1 { return "O" }
                return drops ? "." : String(r * cols + c + 1)
            }.joined(separator: " "))
        }
        if drops { lines.append((1...cols).map(String.init).joined(separator: " ")) }
        let status = isOver ? (winner == 0 ? "draw" : "player \(winner) (\(winner == 1 ? "X" : "O")) wins")
                            : "player \(currentPlayer) (\(toMove == 1 ? "X" : "O")) to move"
        lines.append(status)
        return lines.joined(separator: "\n")
    }

    public func properties() -> Info {
        var p = info
        p["board"] = .numbers(board.map(Double.init))
        p["canonical_board"] = .numbers(canonicalBoard.map(Double.init))
        p["is_over"] = .bool(isOver)
        p["rows"] = .integer(rows)
        p["cols"] = .integer(cols)
        return p
    }

    public func clone() -> (any Environment)? {
        guard let c = try? BoardGame(id: id, rows: rows, cols: cols, connect: connect, drops: drops,
                                     options: EnvOptions(["opponent": .string(opponent.rawValue),
                                                          "agent_player": .number(agentSign == 1 ? 1 : 2)]))
        else { return nil }
        c.board = board; c.toMove = toMove; c.winnerSign = winnerSign; c.isOver = isOver; c.lastMove = lastMove
        try? c.rng.setState(rng.stateWords)
        return c
    }
}
