/// ConnectFour-v0: 6 rows × 7 columns, stones drop to the lowest empty cell, four in a row
/// (horizontal, vertical or diagonal) wins. Actions are columns 0...6 (Lua 1..7); the observation
/// is the 6x7 canonical board (row 1 at the top). See `BoardGame` for turns, legal moves, the
/// winner, `clone()` and the `opponent = "random"` mode. Make options `rows`, `cols`, `connect`
/// change the board (e.g. 5x4 with connect 3 for quick experiments).
public enum ConnectFour {
    public static let id = "ConnectFour-v0"

    public static func make(options: EnvOptions = EnvOptions()) throws -> BoardGame {
        let rows = try options.int("rows", id, in: 1...20) ?? 6
        let cols = try options.int("cols", id, in: 1...20) ?? 7
        let connect = try options.int("connect", id, in: 2...20) ?? 4
        return try BoardGame(id: id, rows: rows, cols: cols, connect: connect, drops: true, options: options,
                             extraOptions: ["rows", "cols", "connect"])
    }
}
