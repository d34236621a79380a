#if canImport(Glibc)
import Glibc
#endif

/// A learning-rate schedule: the learning rate after `step` scheduler steps (epochs or
/// iterations, from 0), as PyTorch's scheduler gives it after `step` calls to `.step()`, for a
/// group whose initial learning rate is `baseLR`. Schedules are values computing closed forms,
/// so jumping to any step (e.g. on resume) gives the same numbers as stepping there.
///
///     let schedule = try CosineAnnealingLR(tMax: 100)
///     for epoch in 0..<100 {
///         try schedule.apply(to: opt, step: epoch)
///         ... train one epoch ...
///     }
public protocol LRSchedule: Sendable {
    /// The learning rate at `step` (>= 0) for a group starting at `baseLR`.
    func lr(at step: Int, baseLR: Double) throws -> Double
    /// Sets each group's learning rate (and, for some schedules, momentum) for `step`.
    func apply(to optimizer: Optimizer, step: Int) throws
}

extension LRSchedule {
    public func apply(to optimizer: Optimizer, step: Int) throws {
        let lrs = try optimizer.paramGroups.map { try lr(at: step, baseLR: $0.initialLR) }
        for (g, lr) in lrs.enumerated() { try optimizer.setLR(lr, group: g) }
    }
}

/// Throws `[op] step must be non-negative; got ...` for negative steps.
func checkStep(_ step: Int, _ op: String) throws {
    guard step >= 0 else { throw EngineError(op, "step must be non-negative; got \(step)") }
}

/// Decays by `gamma` every `stepSize` steps: `baseLR * gamma^(step / stepSize)` (PyTorch's
/// `StepLR`).
public struct StepLR: LRSchedule {
    public let stepSize: Int
    public let gamma: Double

    public init(stepSize: Int, gamma: Double = 0.1) throws {
        guard stepSize > 0 else { throw EngineError("step_lr", "step_size must be positive; got \(stepSize)") }
        guard gamma.isFinite else { throw EngineError("step_lr", "gamma must be finite; got \(gamma)") }
        self.stepSize = stepSize
        self.gamma = gamma
    }

    public func lr(at step: Int, baseLR: Double) throws -> Double {
        try checkStep(step, "step_lr")
        return baseLR * pow(gamma, Double(step / stepSize))
    }
}

/// Decays by `gamma` at each milestone reached: `baseLR * gamma^(milestones <= step)` (PyTorch's
/// `MultiStepLR`; a milestone listed twice counts twice).
public struct MultiStepLR: LRSchedule {
    /// Sorted milestones.
    public let milestones: [Int]
    public let gamma: Double

    public init(milestones: [Int], gamma: Double = 0.1) throws {
        guard milestones.allSatisfy({ $0 >= 0 }) else {
            throw EngineError("multi_step_lr", "milestones must be non-negative; got \(milestones)")
        }
        guard gamma.isFinite else { throw EngineError("multi_step_lr", "gamma must be finite; got \(gamma)") }
        self.milestones = milestones.sorted()
        self.gamma = gamma
    }

    public func lr(at step: Int, baseLR: Double) throws -> Double {
        try checkStep(step, "multi_step_lr")
        return baseLR * pow(gamma, Double(milestones.filter { $0 <= step }.count))
    }
}

/// Decays by `gamma` every step: `baseLR * gamma^step` (PyTorch's `ExponentialLR`).
public struct ExponentialLR: LRSchedule {
    public let gamma: Double

    public init(gamma: Double) throws {
        guard gamma.isFinite else { throw EngineError("exponential_lr", "gamma must be finite; got \(gamma)") }
        self.gamma = gamma
    }

    public func lr(at step: Int, baseLR: Double) throws -> Double {
        try checkStep(step, "exponential_lr")
        return baseLR * pow(gamma, Double(step))
    }
}

/// Cosine annealing from `baseLR` to `etaMin` over `tMax` steps, in PyTorch's closed form
/// `etaMin + (baseLR - etaMin) * (1 + cos(π step / tMax)) / 2` (which rises again after `tMax`).
public struct CosineAnnealingLR: LRSchedule {
    public let tMax: Int
    public let etaMin: Double

    public init(tMax: Int, etaMin: Double = 0) throws {
        guard tMax > 0 else { throw EngineError("cosine_annealing_lr", "T_max must be positive; got \(tMax)") }
        guard etaMin.isFinite else { throw EngineError("cosine_annealing_lr", "eta_min must be finite; got \(etaMin)") }
        self.tMax = tMax
        self.etaMin = etaMin
    }

    public func lr(at step: Int, baseLR: Double) throws -> Double {
        try checkStep(step, "cosine_annealing_lr")
        return etaMin + (baseLR - etaMin) * (1 + cos(Double.pi * Double(step) / Double(tMax))) / 2
    }
}

/// A linear ramp of the factor from `startFactor` to `endFactor` over `steps` steps (PyTorch's
/// `LinearLR`: `baseLR * (start + (end - start) * min(step, steps) / steps)`), then either
/// constant or, with `then`, that schedule restarted from 0 (PyTorch's `SequentialLR` with the
/// milestone at `steps`).
///
///     let warmup = try LinearWarmup(steps: 5, startFactor: 0.1, then: CosineAnnealingLR(tMax: 95))
public struct LinearWarmup: LRSchedule {
    public let steps: Int
    public let startFactor: Double
    public let endFactor: Double
    public let then: (any LRSchedule)?

    public init(steps: Int, startFactor: Double = 1.0 / 3, endFactor: Double = 1, then: (any LRSchedule)? = nil) throws {
        let op = "linear_warmup"
        guard steps > 0 else { throw EngineError(op, "steps must be positive; got \(steps)") }
        guard startFactor >= 0 && startFactor <= 1 else {
            throw EngineError(op, "start factor expected between 0 and 1; got \(startFactor)")
        }
        guard endFactor >= 0 && endFactor <= 1 else {
            throw EngineError(op, "end factor expected between 0 and 1; got \(endFactor)")
        }
        self.steps = steps
        self.startFactor = startFactor
        self.endFactor = endFactor
        self.then = then
    }

    public func lr(at step: Int, baseLR: Double) throws -> Double {
        try checkStep(step, "linear_warmup")
        if let then, step >= steps { return try then.lr(at: step - steps, baseLR: baseLR) }
        return baseLR * (startFactor + (endFactor - startFactor) * Double(min(step, steps)) / Double(steps))
    }
}

/// The 1cycle policy (PyTorch's `OneCycleLR`): from `maxLR / divFactor` up to `maxLR` over the
/// first `pctStart` of `totalSteps`, then down to `maxLR / divFactor / finalDivFactor` (cosine or
/// linear annealing; with `threePhase`, back to the start first). Momentum (`momentum`, or
/// `beta1` for Adam) cycles inversely between `maxMomentum` and `baseMomentum` when
/// `cycleMomentum`. Without `maxLR`, each group's initial learning rate is its peak.
public struct OneCycleLR: LRSchedule {
    public enum Anneal: String, Sendable { case cos, linear }

    public let maxLR: Double?
    public let totalSteps: Int
    public let pctStart: Double
    public let anneal: Anneal
    public let divFactor: Double
    public let finalDivFactor: Double
    public let threePhase: Bool
    public let cycleMomentum: Bool
    public let baseMomentum: Double
    public let maxMomentum: Double

    public init(maxLR: Double? = nil, totalSteps: Int, pctStart: Double = 0.3, anneal: Anneal = .cos,
                divFactor: Double = 25, finalDivFactor: Double = 1e4, threePhase: Bool = false,
                cycleMomentum: Bool = true, baseMomentum: Double = 0.85, maxMomentum: Double = 0.95) throws {
        let op = "one_cycle_lr"
        guard totalSteps > 0 else { throw EngineError(op, "total_steps must be positive; got \(totalSteps)") }
        guard pctStart >= 0 && pctStart <= 1 else {
            throw EngineError(op, "pct_start expected between 0 and 1; got \(pctStart)")
        }
        guard divFactor > 0 && divFactor.isFinite, finalDivFactor > 0 && finalDivFactor.isFinite else {
            throw EngineError(op, "div factors must be positive and finite; got div_factor \(divFactor), final_div_factor \(finalDivFactor)")
        }
        if let maxLR, !(maxLR >= 0 && maxLR.isFinite) {
            throw EngineError(op, "max_lr must be non-negative and finite; got \(maxLR)")
        }
        guard baseMomentum.isFinite && maxMomentum.isFinite else {
            throw EngineError(op, "momenta must be finite; got base \(baseMomentum), max \(maxMomentum)")
        }
        self.maxLR = maxLR
        self.totalSteps = totalSteps
        self.pctStart = pctStart
        self.anneal = anneal
        self.divFactor = divFactor
        self.finalDivFactor = finalDivFactor
        self.threePhase = threePhase
        self.cycleMomentum = cycleMomentum
        self.baseMomentum = baseMomentum
        self.maxMomentum = maxMomentum
    }

    /// Phase ends (as PyTorch computes them, in steps) with start/end values as
    /// (lr: 0 initial, 1 max, 2 min; momentum: max or base).
    private var phases: [(end: Double, lr: (Int, Int), maxMomentumAtStart: Bool)] {
        let total = Double(totalSteps)
        if threePhase {
            return [(pctStart * total - 1, (0, 1), true),
                    (2 * pctStart * total - 2, (1, 0), false),
                    (total - 1, (0, 2), true)]
        }
        return [(pctStart * total - 1, (0, 1), true), (total - 1, (1, 2), false)]
    }

    private func annealed(_ start: Double, _ end: Double, _ pct: Double) -> Double {
        switch anneal {
        case .cos: return end + (start - end) / 2 * (cos(Double.pi * pct) + 1)
        case .linear: return (end - start) * pct + start
        }
    }

    /// (phase index, fraction through it) at `step`, as PyTorch's `get_lr` finds them.
    private func position(_ step: Int) throws -> (Int, Double) {
        try checkStep(step, "one_cycle_lr")
        guard step <= totalSteps else {
            throw EngineError("one_cycle_lr", "tried to step \(step) times; the schedule has \(totalSteps) total steps")
        }
        var start = 0.0
        let all = phases
        for (i, phase) in all.enumerated() {
            if Double(step) <= phase.end || i == all.count - 1 {
                return (i, (Double(step) - start) / (phase.end - start))
            }
            start = phase.end
        }
        return (all.count - 1, 1)
    }

    public func lr(at step: Int, baseLR: Double) throws -> Double {
        let peak = maxLR ?? baseLR
        let levels = [peak / divFactor, peak, peak / divFactor / finalDivFactor]
        let (i, pct) = try position(step)
        let ends = phases[i].lr
        return annealed(levels[ends.0], levels[ends.1], pct)
    }

    /// The momentum at `step` (meaningful when `cycleMomentum`).
    public func momentum(at step: Int) throws -> Double {
        let (i, pct) = try position(step)
        let all = phases
        let startHigh = all[i].maxMomentumAtStart
        // Every phase but the first ends at max momentum.
        let endHigh = i != 0
        return annealed(startHigh ? maxMomentum : baseMomentum, endHigh ? maxMomentum : baseMomentum, pct)
    }

    public func apply(to optimizer: Optimizer, step: Int) throws {
        let lrs = try optimizer.paramGroups.map { try lr(at: step, baseLR: $0.initialLR) }
        var momentumKey: String? = nil
        if cycleMomentum {
            if optimizer.defaults["momentum"] != nil { momentumKey = "momentum" }
            else if optimizer.defaults["beta1"] != nil { momentumKey = "beta1" }
            else {
                throw EngineError("one_cycle_lr", "\(optimizer.name) has neither momentum nor beta1 to cycle; pass cycleMomentum: false")
            }
        }
        let m = try momentum(at: step)
        for (g, lr) in lrs.enumerated() {
            try optimizer.setLR(lr, group: g)
            if let momentumKey { try optimizer.set(momentumKey, m, group: g) }
        }
    }
}
