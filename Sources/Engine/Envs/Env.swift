/// An environment ready for use: what `EnvRegistry.make` returns and what the Lua `env` objects
/// hold. Wraps the dynamics (`base`) with the behaviour every environment shares, as Gymnasium's
/// `make` wraps with `OrderEnforcing`, `PassiveEnvChecker` and `TimeLimit`:
///
/// - `reset(seed:)` reseeds the environment's generator (and the action-space sampler, from a
///   seed derived from the same number, so random policies replay too). Without a seed the
///   streams continue; the first streams are drawn from `Generator.default`, so
///   `torch.manual_seed` makes unseeded runs reproduce.
/// - `step` before `reset`, or after the episode ended, is an error naming the environment.
/// - Actions are validated against `actionSpace` (and the legal moves of board games); a bad
///   action is an `EngineError` naming the environment, the action and the valid range.
///   `indexBase` (1 for Lua) shifts the indices shown in messages.
/// - After `maxEpisodeSteps` steps, `truncated` is set (Gymnasium's `TimeLimit`).
public final class Env {
    public let base: any Environment
    public var maxEpisodeSteps: Int?
    /// Shift of discrete values in messages: 0 in Swift, 1 when driven from Lua.
    public var indexBase = 0
    /// Steps taken in the current episode.
    public private(set) var elapsedSteps = 0
    /// Sum of rewards of the current episode.
    public private(set) var episodeReturn = 0.0
    /// True before the first reset and after an episode ends.
    public private(set) var needsReset = true
    private var ended: String?
    /// The generator behind `sampleAction` (and Lua's `action_space:sample()`).
    public let spaceRng: Generator
    /// `<id>.step`: the op named by step errors.
    public let stepOp: String

    public init(_ base: any Environment, maxEpisodeSteps: Int?? = nil) {
        self.base = base
        observationSpace = base.observationSpace
        actionSpace = base.actionSpace
        self.maxEpisodeSteps = maxEpisodeSteps ?? base.maxEpisodeSteps
        spaceRng = Generator(seed: Generator.default.nextSeed())
        base.rng.manualSeed(Generator.default.nextSeed())
        stepOp = base.id + ".step"
    }

    private init(copying other: Env, base: any Environment) {
        self.base = base
        observationSpace = other.observationSpace
        actionSpace = other.actionSpace
        maxEpisodeSteps = other.maxEpisodeSteps
        indexBase = other.indexBase
        elapsedSteps = other.elapsedSteps
        episodeReturn = other.episodeReturn
        needsReset = other.needsReset
        ended = other.ended
        spaceRng = Generator()
        try? spaceRng.setState(other.spaceRng.stateWords)
        stepOp = other.stepOp
    }

    public var id: String { base.id }
    /// The spaces, read once from `base` (an environment's spaces never change after construction).
    public let observationSpace: Space
    public let actionSpace: Space

    /// The seed of the action-space sampler after `reset(seed:)`: a splitmix64 step away from
    /// `seed`, so the two streams differ.
    public static func spaceSeed(_ seed: UInt64) -> UInt64 {
        var x = seed ^ 0xA076_1D64_78BD_642F
        return Xoshiro256.splitmix64(&x)
    }

    /// Starts an episode; `seed` reseeds the environment first.
    @discardableResult
    public func reset(seed: UInt64? = nil, options: EnvOptions = EnvOptions()) throws -> (observation: SpaceValue, info: Info) {
        if let seed {
            base.rng.manualSeed(seed)
            spaceRng.manualSeed(Env.spaceSeed(seed))
        }
        needsReset = true
        var opts = options
        opts.indexBase = indexBase
        let (obs, info) = try base.reset(options: opts)
        elapsedSteps = 0
        episodeReturn = 0
        needsReset = false
        ended = nil
        return (obs, info)
    }

    /// Takes one step. Errors (never traps) on a bad action or a step outside an episode.
    public func step(_ action: SpaceValue) throws -> Step {
        guard !needsReset else {
            if let ended {
                throw EngineError(stepOp, "the episode has ended (\(ended)); call reset() to start a new one")
            }
            throw EngineError(stepOp, "call reset() before step()")
        }
        try actionSpace.validate(action, op: stepOp, base: indexBase)
        if let legal = base.legalActions(), case .discrete(let a) = action, !legal.contains(a) {
            let list = legal.map { String($0 + indexBase) }.joined(separator: ", ")
            throw EngineError(stepOp, "illegal action \(a + indexBase): legal actions are {\(list)}")
        }
        var s = try base.step(action)
        elapsedSteps += 1
        episodeReturn += s.reward
        if let limit = maxEpisodeSteps, elapsedSteps >= limit { s.truncated = true }
        if s.terminated || s.truncated {
            needsReset = true
            ended = s.terminated ? "terminated" : "truncated"
        }
        return s
    }

    /// A random action from the action space (uniform over legal moves for board games).
    public func sampleAction() -> SpaceValue {
        if let legal = base.legalActions(), !legal.isEmpty, case .discrete = actionSpace {
            return .discrete(legal[spaceRng.integer(below: legal.count)])
        }
        return actionSpace.sample(using: spaceRng)
    }

    public func render() -> String { base.render() }
    public func legalActions() -> [Int]? { base.legalActions() }
    public func properties() -> Info { base.properties() }

    /// An independent copy (same state, same random streams) for tree search.
    public func clone() throws -> Env {
        guard let copy = base.clone() else {
            throw EngineError(base.id + ".clone", "this environment cannot be cloned (board games can)")
        }
        return Env(copying: self, base: copy)
    }
}

/// A copy of a generator's stream: same state, independent from then on.
func copyGenerator(_ g: Generator) -> Generator {
    let c = Generator()
    try? c.setState(g.stateWords)
    return c
}
