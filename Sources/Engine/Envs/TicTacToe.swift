/// TicTacToe-v0: 3x3, three in a row wins. Actions are cells 0...8 row-major (Lua 1..9); the
/// observation is the 3x3 canonical board (+1 the player to move, −1 the opponent). Two-player
/// turn handling, legal moves, winner, `clone()` for MCTS and the `opponent = "random"` mode are
/// described in `BoardGame`.
public enum TicTacToe {
    public static let id = "TicTacToe-v0"

    public static func make(options: EnvOptions = EnvOptions()) throws -> BoardGame {
        try BoardGame(id: id, rows: 3, cols: 3, connect: 3, drops: false, options: options)
    }
}
