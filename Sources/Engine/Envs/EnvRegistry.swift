/// A registered environment: its id, a one-line summary, its make options and its factory.
public struct EnvEntry: Sendable {
    public let id: String
    public let summary: String
    let factory: @Sendable (EnvOptions) throws -> any Environment

    init(_ id: String, _ summary: String, _ factory: @escaping @Sendable (EnvOptions) throws -> any Environment) {
        self.id = id
        self.summary = summary
        self.factory = factory
    }
}

/// Gymnasium's `make`: environments by id.
///
///     let env = try EnvRegistry.make("FrozenLake-v1", options: ["is_slippery": false])
///
/// Every environment also takes the make option `max_episode_steps` (a number, or 0 for no
/// limit) overriding its time limit, and accepts (and ignores) Gymnasium's `render_mode`:
/// `render()` always returns text.
public enum EnvRegistry {
    public static let entries: [EnvEntry] = [
        EnvEntry("CartPole-v1", "balance a pole on a cart (Discrete(2); Box(4))") { try CartPole(options: $0) },
        EnvEntry("Pendulum-v1", "swing up a pendulum (Box(1) torque; Box(3))") { try Pendulum(options: $0) },
        EnvEntry("FrozenLake-v1", "cross a frozen lake, slippery by default (Discrete(4); Discrete(16))") {
            try FrozenLake(id: "FrozenLake-v1", options: $0)
        },
        EnvEntry("FrozenLake8x8-v1", "FrozenLake on the 8x8 map (Discrete(4); Discrete(64))") {
            try FrozenLake(id: "FrozenLake8x8-v1", options: $0)
        },
        EnvEntry("CliffWalking-v0", "walk along a cliff, Sutton & Barto 6.6 (Discrete(4); Discrete(48))") { try CliffWalking(options: $0) },
        EnvEntry("GridWorld-v0", "configurable grid world, Russell & Norvig 4x3 by default (Discrete(4))") { try GridWorld(options: $0) },
        EnvEntry("Bandit-v0", "k-armed bandit, Gaussian or Bernoulli arms (Discrete(k))") { try Bandit(id: "Bandit-v0", options: $0) },
        EnvEntry("GaussianBandit-v0", "k-armed testbed with Gaussian arms (Discrete(k))") {
            try Bandit(id: "GaussianBandit-v0", kind: .gaussian, options: $0)
        },
        EnvEntry("BernoulliBandit-v0", "k-armed bandit with Bernoulli arms (Discrete(k))") {
            try Bandit(id: "BernoulliBandit-v0", kind: .bernoulli, options: $0)
        },
        EnvEntry("TicTacToe-v0", "two-player tic-tac-toe, canonical board (Discrete(9); Box(3,3))") { try TicTacToe.make(options: $0) },
        EnvEntry("ConnectFour-v0", "two-player Connect Four, canonical board (Discrete(7); Box(6,7))") { try ConnectFour.make(options: $0) },
        EnvEntry("AdaptiveTest-v0", "adaptive test flow for a device under test (Discrete(3): run/skip/stop)") { try AdaptiveTest(options: $0) },
        EnvEntry("EquipmentScheduling-v0", "dispatch jobs to machines with setups (Discrete(slots+1))") { try EquipmentScheduling(options: $0) },
        EnvEntry("EquipmentTwin-v0", "process chamber digital twin with drift (Box(2) setpoints; Box(5))") { try EquipmentTwin(options: $0) },
        EnvEntry("StockTrading-v0", "trade a GBM-priced asset (Discrete(3): hold/buy/sell)") { try StockTrading(options: $0) },
        EnvEntry("CoopForage-v0", "cooperative foraging, partial observability (MultiDiscrete per agent)") { try CoopForage(options: $0) },
        EnvEntry("MatrixGame-v0", "repeated cooperative matrix game (MultiDiscrete([3, 3]))") { try MatrixGame(id: "MatrixGame-v0", options: $0) },
        EnvEntry("ClimbingGame-v0", "the climbing game (MultiDiscrete([3, 3]))") {
            try MatrixGame(id: "ClimbingGame-v0", game: "climbing", options: $0)
        },
        EnvEntry("PenaltyGame-v0", "the penalty game (MultiDiscrete([3, 3]))") {
            try MatrixGame(id: "PenaltyGame-v0", game: "penalty", options: $0)
        },
    ]

    /// The registered ids, in registration order.
    public static var ids: [String] { entries.map(\.id) }

    /// The environment `id` built with `options` and wrapped in `Env`.
    public static func make(_ id: String, options: EnvOptions = EnvOptions()) throws -> Env {
        guard let entry = entries.first(where: { $0.id == id }) else {
            let lower = id.lowercased()
            let stem = lower.split(separator: "-").first.map(String.init) ?? lower
            let close = entries.filter { $0.id.lowercased().hasPrefix(stem) || $0.id.lowercased().split(separator: "-").first.map(String.init) == stem }
            let hint = close.isEmpty ? "" : " (did you mean \(close.map { "\"\($0.id)\"" }.joined(separator: " or "))?)"
            throw EngineError("envs.make", "no environment named \"\(id)\"\(hint); known: \(ids.joined(separator: ", "))")
        }
        var opts = options
        // Gymnasium's render_mode: every environment renders text, so any mode is accepted.
        if let mode = opts["render_mode"] {
            guard case .string = mode else { throw EngineError(id, "option render_mode: expected a string such as \"ansi\"") }
            opts["render_mode"] = nil
        }
        var limit: Int?? = nil
        if opts["max_episode_steps"] != nil {
            let steps = try opts.int("max_episode_steps", id, in: 0...Int.max) ?? 0
            limit = .some(steps == 0 ? nil : steps)
            opts["max_episode_steps"] = nil
        }
        let base = try entry.factory(opts)
        return Env(base, maxEpisodeSteps: limit)
    }
}
