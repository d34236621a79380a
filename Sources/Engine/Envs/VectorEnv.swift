/// The result of stepping every sub-environment once.
public struct VectorStep {
    /// Batched observations: float32 n×shape for Box spaces, int64 (n) / n×shape for Discrete /
    /// MultiDiscrete (values shifted by `indexBase`). Sub-environments that ended hold the first
    /// observation of their next episode (auto-reset); the last one is in `finalObservations`.
    public let observations: Tensor
    /// float32 (n).
    public let rewards: Tensor
    /// bool (n).
    public let terminated: Tensor
    /// bool (n).
    public let truncated: Tensor
    /// Each sub-environment's info of this step (the reset info for those that restarted).
    public let infos: [Info]
    /// Last observation and info of the episodes that ended this step, by sub-environment.
    public let finalObservations: [Int: SpaceValue]
    public let finalInfos: [Int: Info]
    /// Return and length of the episodes that ended this step.
    public let episodeReturns: [Int: Double]
    public let episodeLengths: [Int: Int]
}

/// n copies of an environment stepped together, as Gymnasium's `SyncVectorEnv` with same-step
/// auto-reset: when a copy's episode ends, the step returns its terminal flags and reward, puts
/// its final observation (and info) in `finalObservations` (`finalInfos`), and resets it, so the
/// returned observation is the first of the next episode.
///
///     let v = try VectorEnv(id: "CartPole-v1", count: 16)
///     let (obs, _) = try v.reset(seed: 0)            // copy i is seeded with 0 + i
///     let s = try v.step(v.sampleActions())          // s.observations is 16×4
public final class VectorEnv {
    public let envs: [Env]
    public let singleObservationSpace: Space
    public let singleActionSpace: Space
    /// Generator of `sampleActions`.
    public let spaceRng: Generator
    /// Shift of discrete values in observations and messages (1 for Lua).
    public var indexBase = 0 {
        didSet { for e in envs { e.indexBase = indexBase } }
    }

    public var count: Int { envs.count }
    public let id: String
    private let stepOp: String
    public var observationSpace: Space { singleObservationSpace.batched(count) }
    public var actionSpace: Space { singleActionSpace.batched(count) }

    public convenience init(id: String, count: Int, options: EnvOptions = EnvOptions()) throws {
        guard count >= 1 else { throw EngineError("envs.vector", "expected at least 1 environment; got \(count)") }
        guard count <= 1 << 16 else { throw EngineError("envs.vector", "at most 65536 environments; got \(count)") }
        try self.init(envs: (0..<count).map { _ in try EnvRegistry.make(id, options: options) })
    }

    public init(envs: [Env]) throws {
        guard let first = envs.first else { throw EngineError("envs.vector", "expected at least one environment") }
        for e in envs where e.observationSpace != first.observationSpace || e.actionSpace != first.actionSpace {
            throw EngineError("envs.vector", "all environments need the same spaces; \(e.id) has \(e.observationSpace) and \(e.actionSpace)")
        }
        self.envs = envs
        id = first.id
        stepOp = first.stepOp
        singleObservationSpace = first.observationSpace
        singleActionSpace = first.actionSpace
        spaceRng = Generator(seed: Generator.default.nextSeed())
        indexBase = first.indexBase
    }

    /// Resets every copy; with a seed, copy i is seeded with `seed + i`.
    public func reset(seed: UInt64? = nil, options: EnvOptions = EnvOptions()) throws -> (observations: Tensor, infos: [Info]) {
        if let seed { spaceRng.manualSeed(Env.spaceSeed(seed &+ 0x5151)) }
        var observations: [SpaceValue] = []
        var infos: [Info] = []
        observations.reserveCapacity(count)
        for (i, e) in envs.enumerated() {
            let (obs, info) = try e.reset(seed: seed.map { $0 &+ UInt64(i) }, options: options)
            observations.append(obs)
            infos.append(info)
        }
        return (try batch(observations), infos)
    }

    /// One random action per copy (legal moves only, for board games).
    public func sampleActions() -> [SpaceValue] {
        envs.map { e in
            if let legal = e.legalActions(), !legal.isEmpty { return .discrete(legal[spaceRng.integer(below: legal.count)]) }
            return singleActionSpace.sample(using: spaceRng)
        }
    }

    /// Steps every copy with its action (all actions are checked before any copy moves).
    public func step(_ actions: [SpaceValue]) throws -> VectorStep {
        guard actions.count == count else {
            throw EngineError(stepOp, "expected \(count) actions (one per environment); got \(actions.count)")
        }
        for (i, a) in actions.enumerated() {
            do {
                try singleActionSpace.validate(a, op: stepOp, base: indexBase)
                if let legal = envs[i].legalActions(), case .discrete(let m) = a, !legal.contains(m) {
                    let list = legal.map { String($0 + indexBase) }.joined(separator: ", ")
                    throw EngineError(stepOp, "illegal action \(m + indexBase): legal actions are {\(list)}")
                }
            } catch let e as EngineError {
                throw EngineError(e.op, "environment \(i + indexBase): \(e.detail)")
            }
        }
        let rewards = try Tensor(shape: [count], dtype: .float32, zeroed: false, op: "envs.vector")
        let terminated = try Tensor(shape: [count], dtype: .bool, zeroed: false, op: "envs.vector")
        let truncated = try Tensor(shape: [count], dtype: .bool, zeroed: false, op: "envs.vector")
        let pr = rewards.pointer(Float.self)
        let pterm = terminated.pointer(UInt8.self)
        let ptrunc = truncated.pointer(UInt8.self)
        var observations: [SpaceValue] = []
        observations.reserveCapacity(count)
        var infos: [Info] = []
        infos.reserveCapacity(count)
        var finalObservations: [Int: SpaceValue] = [:]
        var finalInfos: [Int: Info] = [:]
        var returns: [Int: Double] = [:]
        var lengths: [Int: Int] = [:]
        for (i, e) in envs.enumerated() {
            let s: Step
            do { s = try e.step(actions[i]) } catch let error as EngineError {
                throw EngineError(error.op, "environment \(i + indexBase): \(error.detail)")
            }
            pr[i] = Float(s.reward)
            pterm[i] = s.terminated ? 1 : 0
            ptrunc[i] = s.truncated ? 1 : 0
            if s.terminated || s.truncated {
                finalObservations[i] = s.observation
                finalInfos[i] = s.info
                returns[i] = e.episodeReturn
                lengths[i] = e.elapsedSteps
                let (obs, info) = try e.reset()
                observations.append(obs)
                infos.append(info)
            } else {
                observations.append(s.observation)
                infos.append(s.info)
            }
        }
        return VectorStep(observations: try batch(observations), rewards: rewards, terminated: terminated,
                          truncated: truncated, infos: infos, finalObservations: finalObservations,
                          finalInfos: finalInfos, episodeReturns: returns, episodeLengths: lengths)
    }

    /// Stacks observations into one tensor (see `VectorStep.observations`).
    public func batch(_ observations: [SpaceValue]) throws -> Tensor {
        try VectorEnv.stack(observations, space: singleObservationSpace, indexBase: indexBase)
    }

    /// Stacks values of `space` into one tensor with a leading batch dim.
    public static func stack(_ values: [SpaceValue], space: Space, indexBase: Int) throws -> Tensor {
        let n = values.count
        let width = space.flatCount
        switch space {
        case .box:
            let t = try Tensor(shape: [n] + space.shape, dtype: .float32, zeroed: true, op: "envs.vector")
            let p = t.pointer(Float.self)
            for (i, v) in values.enumerated() {
                guard case .vector(let xs) = v else { continue }
                for k in 0..<Swift.min(width, xs.count) { p[i * width + k] = Float(xs[k]) }
            }
            return t
        case .discrete:
            let t = try Tensor(shape: [n], dtype: .int64, zeroed: true, op: "envs.vector")
            let p = t.pointer(Int64.self)
            for (i, v) in values.enumerated() { if case .discrete(let s) = v { p[i] = Int64(s + indexBase) } }
            return t
        case .multiDiscrete:
            let t = try Tensor(shape: [n] + space.shape, dtype: .int64, zeroed: true, op: "envs.vector")
            let p = t.pointer(Int64.self)
            for (i, v) in values.enumerated() {
                guard case .multiDiscrete(let xs) = v else { continue }
                for k in 0..<Swift.min(width, xs.count) { p[i * width + k] = Int64(xs[k] + indexBase) }
            }
            return t
        }
    }
}
