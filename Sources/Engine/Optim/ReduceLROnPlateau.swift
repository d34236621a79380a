/// Cuts the learning rate by `factor` when a metric stops improving for more than `patience`
/// steps (PyTorch's `ReduceLROnPlateau`). Stateful: feed it one metric per epoch.
///
///     var plateau = try ReduceLROnPlateau(mode: .min, factor: 0.5, patience: 3)
///     for epoch in ... { ...; try plateau.step(validationLoss, optimizer: opt) }
///
/// Improvement is `metric < best * (1 - threshold)` in relative mode (`min`), `metric > best *
/// (1 + threshold)` for `max`; absolute mode uses `best ∓ threshold`. After a cut, `cooldown`
/// steps pass before bad steps count again. Learning rates never go below `minLR`, and a cut
/// smaller than `eps` is skipped.
public struct ReduceLROnPlateau: Sendable {
    public enum Mode: String, Sendable { case min, max }
    public enum ThresholdMode: String, Sendable { case rel, abs }

    public let mode: Mode
    public let factor: Double
    public let patience: Int
    public let threshold: Double
    public let thresholdMode: ThresholdMode
    public let cooldown: Int
    public let minLR: Double
    public let eps: Double

    /// Best metric so far (±inf before the first step).
    public private(set) var best: Double
    /// Steps since the last improvement (reset by cuts and during cooldown).
    public private(set) var badSteps = 0
    /// Steps of cooldown left.
    public private(set) var cooldownLeft = 0
    /// Steps taken.
    public private(set) var stepCount = 0

    public init(mode: Mode = .min, factor: Double = 0.1, patience: Int = 10, threshold: Double = 1e-4,
                thresholdMode: ThresholdMode = .rel, cooldown: Int = 0, minLR: Double = 0, eps: Double = 1e-8) throws {
        let op = "reduce_lr_on_plateau"
        guard factor >= 0 && factor < 1 else { throw EngineError(op, "factor should be >= 0 and < 1.0; got \(factor)") }
        guard patience >= 0 else { throw EngineError(op, "patience must be non-negative; got \(patience)") }
        guard cooldown >= 0 else { throw EngineError(op, "cooldown must be non-negative; got \(cooldown)") }
        guard threshold >= 0 && threshold.isFinite else {
            throw EngineError(op, "threshold must be non-negative and finite; got \(threshold)")
        }
        guard minLR >= 0 && minLR.isFinite else { throw EngineError(op, "min_lr must be non-negative; got \(minLR)") }
        guard eps >= 0 && eps.isFinite else { throw EngineError(op, "eps must be non-negative; got \(eps)") }
        self.mode = mode
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.thresholdMode = thresholdMode
        self.cooldown = cooldown
        self.minLR = minLR
        self.eps = eps
        self.best = mode == .min ? .infinity : -.infinity
    }

    /// Whether `metric` improves on `best`.
    public func isBetter(_ metric: Double) -> Bool {
        switch (mode, thresholdMode) {
        case (.min, .rel): return metric < best * (1 - threshold)
        case (.min, .abs): return metric < best - threshold
        case (.max, .rel): return metric > best * (threshold + 1)
        case (.max, .abs): return metric > best + threshold
        }
    }

    /// Records one metric; returns true when the learning rates should be cut now.
    public mutating func observe(_ metric: Double) -> Bool {
        stepCount += 1
        if isBetter(metric) {
            best = metric
            badSteps = 0
        } else {
            badSteps += 1
        }
        if cooldownLeft > 0 {
            cooldownLeft -= 1
            badSteps = 0
        }
        guard badSteps > patience else { return false }
        cooldownLeft = cooldown
        badSteps = 0
        return true
    }

    /// A learning rate after one cut: `max(lr * factor, minLR)`, unchanged if that moves it by
    /// `eps` or less.
    public func reduced(_ lr: Double) -> Double {
        let new = Swift.max(lr * factor, minLR)
        return lr - new > eps ? new : lr
    }

    /// Records `metric` and returns the learning rates to use next (cut when needed).
    public mutating func step(_ metric: Double, lrs: [Double]) -> [Double] {
        observe(metric) ? lrs.map(reduced) : lrs
    }

    /// Records `metric` and cuts `optimizer`'s learning rates when needed. Returns whether it cut.
    @discardableResult
    public mutating func step(_ metric: Double, optimizer: Optimizer) throws -> Bool {
        guard observe(metric) else { return false }
        for (g, lr) in optimizer.learningRates.enumerated() { try optimizer.setLR(reduced(lr), group: g) }
        return true
    }
}
