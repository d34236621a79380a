import XCTest
@testable import Engine

/// Learning-rate schedules against values worked out by hand from PyTorch's formulas.
final class SchedulerTests: XCTestCase {
    private func assertLRs(_ s: any LRSchedule, base: Double, _ expected: [Int: Double], accuracy: Double = 1e-12,
                           file: StaticString = #filePath, line: UInt = #line) throws {
        for step in expected.keys.sorted() {
            let value = try s.lr(at: step, baseLR: base)
            XCTAssertEqual(value, expected[step] ?? .nan, accuracy: accuracy, "step \(step)", file: file, line: line)
        }
    }

    func testStepLR() throws {
        try assertLRs(StepLR(stepSize: 3, gamma: 0.5), base: 0.1,
                      [0: 0.1, 1: 0.1, 2: 0.1, 3: 0.05, 5: 0.05, 6: 0.025, 8: 0.025, 9: 0.0125])
        try assertLRs(StepLR(stepSize: 30), base: 1, [29: 1, 30: 0.1, 60: 0.01])
    }

    func testMultiStepLR() throws {
        try assertLRs(MultiStepLR(milestones: [5, 2], gamma: 0.1), base: 1,
                      [0: 1, 1: 1, 2: 0.1, 4: 0.1, 5: 0.01, 100: 0.01])
        // A repeated milestone counts twice, as PyTorch's Counter of milestones does.
        try assertLRs(MultiStepLR(milestones: [3, 3], gamma: 0.5), base: 1, [2: 1, 3: 0.25])
    }

    func testExponentialLR() throws {
        try assertLRs(ExponentialLR(gamma: 0.9), base: 0.1, [0: 0.1, 1: 0.09, 2: 0.081, 3: 0.0729, 10: 0.1 * 0.3486784401])
    }

    func testCosineAnnealingLR() throws {
        // eta_min + (base - eta_min)(1 + cos(π t / T)) / 2 with base 0.1, eta_min 0.001, T 10.
        try assertLRs(CosineAnnealingLR(tMax: 10, etaMin: 0.001), base: 0.1,
                      [0: 0.1, 2: 0.0905463412215599, 5: 0.0505, 10: 0.001, 15: 0.0505, 20: 0.1])
        try assertLRs(CosineAnnealingLR(tMax: 4), base: 2, [1: 1 + 0.5.squareRoot(), 2: 1, 4: 0])
    }

    func testLinearWarmup() throws {
        // LinearLR(start_factor 0.25, total_iters 4): 0.25, 0.4375, 0.625, 0.8125, 1, 1, ...
        try assertLRs(LinearWarmup(steps: 4, startFactor: 0.25), base: 0.1,
                      [0: 0.025, 1: 0.04375, 2: 0.0625, 3: 0.08125, 4: 0.1, 10: 0.1])
        // Defaults: start 1/3 over the given steps.
        try assertLRs(LinearWarmup(steps: 5), base: 3, [0: 1, 5: 3])
        // Down-ramp (end factor below start).
        try assertLRs(LinearWarmup(steps: 2, startFactor: 1, endFactor: 0.5), base: 1, [0: 1, 1: 0.75, 2: 0.5, 9: 0.5])
        // Composed: warmup, then a schedule restarted from 0 (SequentialLR, milestone 4).
        let composed = try LinearWarmup(steps: 4, startFactor: 0.5, then: ExponentialLR(gamma: 0.5))
        try assertLRs(composed, base: 1, [0: 0.5, 2: 0.75, 3: 0.875, 4: 1, 5: 0.5, 6: 0.25])
        let cosine = try LinearWarmup(steps: 2, startFactor: 0, then: CosineAnnealingLR(tMax: 2))
        try assertLRs(cosine, base: 1, [0: 0, 1: 0.5, 2: 1, 3: 0.5, 4: 0])
    }

    func testOneCycleLR() throws {
        // max_lr 0.1, 10 steps, defaults: start 0.1/25 = 0.004, min 0.004/1e4 = 4e-7, peak at
        // step pct_start * 10 - 1 = 2.
        let s = try OneCycleLR(maxLR: 0.1, totalSteps: 10)
        try assertLRs(s, base: 123, [0: 0.004, 1: 0.052, 2: 0.1, 3: 0.09504846320134738, 5: 0.06112620219362893,
                                     9: 4e-7, 10: 0.004951936798652624])
        let momenta: [Int: Double] = [0: 0.95, 1: 0.9, 2: 0.85, 3: 0.854951556604879, 5: 0.8888739533021842, 9: 0.95]
        for (step, m) in momenta { XCTAssertEqual(try s.momentum(at: step), m, accuracy: 1e-12, "step \(step)") }
        // Without maxLR the group's initial lr is the peak.
        try assertLRs(OneCycleLR(totalSteps: 10), base: 0.1, [0: 0.004, 2: 0.1])
        // Three phases: up, back down to the start, then to the minimum.
        let three = try OneCycleLR(maxLR: 0.1, totalSteps: 10, threePhase: true)
        try assertLRs(three, base: 0, [0: 0.004, 2: 0.1, 3: 0.052, 4: 0.004, 6: 0.0026181721853510195, 9: 4e-7])
        XCTAssertEqual(try three.momentum(at: 6), 0.95, accuracy: 1e-12)
        // Linear annealing.
        try assertLRs(OneCycleLR(maxLR: 0.1, totalSteps: 10, anneal: .linear), base: 0,
                      [1: 0.052, 4: 0.07142868571428572])
        assertEngineError("one_cycle_lr", "tried to step 11 times") { _ = try s.lr(at: 11, baseLR: 1) }
    }

    func testApplyScalesEachGroupFromItsInitialLR() throws {
        let a = try Tensor.zeros([2]), b = try Tensor.zeros([2])
        let opt = try SGD([ParamGroup([a]), ParamGroup([b], options: ["lr": 1])], lr: 0.1, momentum: 0.9)
        let schedule = try StepLR(stepSize: 2, gamma: 0.5)
        try schedule.apply(to: opt, step: 2)
        XCTAssertEqual(opt.learningRates, [0.05, 0.5])
        try schedule.apply(to: opt, step: 4)
        XCTAssertEqual(opt.learningRates, [0.025, 0.25])
        // OneCycle also cycles SGD's momentum and Adam's beta1.
        let cycle = try OneCycleLR(maxLR: 0.1, totalSteps: 10)
        try cycle.apply(to: opt, step: 1)
        for lr in opt.learningRates { XCTAssertEqual(lr, 0.052, accuracy: 1e-15) }
        XCTAssertEqual(opt.paramGroups[0]["momentum"] ?? 0, 0.9, accuracy: 1e-12)
        let adam = try Adam([a])
        try cycle.apply(to: adam, step: 2)
        XCTAssertEqual(adam.paramGroups[0]["beta1"] ?? 0, 0.85, accuracy: 1e-12)
        assertEngineError("one_cycle_lr", "neither momentum nor beta1") { try cycle.apply(to: Adagrad([a]), step: 0) }
        try OneCycleLR(maxLR: 0.1, totalSteps: 10, cycleMomentum: false).apply(to: Adagrad([a]), step: 0)
    }

    func testReduceLROnPlateau() throws {
        var plateau = try ReduceLROnPlateau(mode: .min, factor: 0.5, patience: 2)
        var lrs = [1.0, 0.1]
        var history: [[Double]] = []
        for metric in [10, 9, 9, 9, 9, 8, 8, 8, 8.0] {
            lrs = plateau.step(metric, lrs: lrs)
            history.append(lrs)
        }
        // Bad steps at 3, 4, 5 -> cut at 5; improvement at 6; bad 7, 8, 9 -> cut at 9.
        XCTAssertEqual(history.map { $0[0] }, [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25])
        XCTAssertEqual(history[8][1], 0.025, accuracy: 1e-15)
        XCTAssertEqual(plateau.best, 8)
        XCTAssertEqual(plateau.stepCount, 9)
        // A relative improvement below the threshold does not count.
        var strict = try ReduceLROnPlateau(patience: 0, threshold: 0.1)
        XCTAssertFalse(strict.observe(10))
        XCTAssertTrue(strict.observe(9.5))   // needs < 9
        XCTAssertFalse(strict.observe(8.9))
    }

    func testReduceLROnPlateauCooldownMinLRMaxModeAndEps() throws {
        // Cooldown 2: after a cut, two steps never count as bad.
        var p = try ReduceLROnPlateau(factor: 0.1, patience: 0, cooldown: 2, minLR: 0.005)
        var lr = [1.0]
        var seen: [Double] = []
        for metric in [5, 6, 6, 6, 6, 6.0] { lr = p.step(metric, lrs: lr); seen.append(lr[0]) }
        XCTAssertEqual(seen[0], 1)
        XCTAssertEqual(seen[1], 0.1, accuracy: 1e-15)   // bad, patience 0 -> cut, cooldown 2
        XCTAssertEqual(seen[2], 0.1, accuracy: 1e-15)   // cooldown
        XCTAssertEqual(seen[3], 0.1, accuracy: 1e-15)   // cooldown
        XCTAssertEqual(seen[4], 0.01, accuracy: 1e-15)  // cut
        XCTAssertEqual(seen[5], 0.01, accuracy: 1e-15)  // cooldown
        XCTAssertEqual(p.reduced(0.01), 0.005)          // floored at min_lr
        XCTAssertEqual(p.reduced(0.005), 0.005)
        // Max mode, absolute threshold.
        var q = try ReduceLROnPlateau(mode: .max, factor: 0.5, patience: 1, threshold: 0.5, thresholdMode: .abs)
        XCTAssertFalse(q.observe(1))
        XCTAssertFalse(q.observe(1.4))  // not > 1.5: bad 1
        XCTAssertTrue(q.observe(1.2))   // bad 2 > patience 1
        XCTAssertFalse(q.observe(2))    // improvement
        // Cuts smaller than eps are skipped.
        let tiny = try ReduceLROnPlateau(factor: 0.5, eps: 1e-3)
        XCTAssertEqual(tiny.reduced(1e-3), 1e-3)
        XCTAssertEqual(tiny.reduced(1), 0.5)
        // On an optimizer.
        let opt = try Adam([Tensor.zeros([1])], lr: 0.2)
        var r = try ReduceLROnPlateau(patience: 0)
        XCTAssertFalse(try r.step(1, optimizer: opt))
        XCTAssertTrue(try r.step(1, optimizer: opt))
        XCTAssertEqual(opt.learningRates[0], 0.02, accuracy: 1e-15)
        // NaN never improves.
        var n = try ReduceLROnPlateau(patience: 0)
        XCTAssertTrue(n.observe(.nan))
    }

    func testErrors() throws {
        assertEngineError("step_lr", "step_size must be positive") { _ = try StepLR(stepSize: 0) }
        assertEngineError("step_lr", "step must be non-negative") { _ = try StepLR(stepSize: 1).lr(at: -1, baseLR: 1) }
        assertEngineError("multi_step_lr", "milestones") { _ = try MultiStepLR(milestones: [-1]) }
        assertEngineError("exponential_lr", "finite") { _ = try ExponentialLR(gamma: .infinity) }
        assertEngineError("cosine_annealing_lr", "T_max") { _ = try CosineAnnealingLR(tMax: 0) }
        assertEngineError("linear_warmup", "steps must be positive") { _ = try LinearWarmup(steps: 0) }
        assertEngineError("linear_warmup", "start factor") { _ = try LinearWarmup(steps: 2, startFactor: 1.5) }
        assertEngineError("one_cycle_lr", "total_steps") { _ = try OneCycleLR(totalSteps: 0) }
        assertEngineError("one_cycle_lr", "pct_start") { _ = try OneCycleLR(totalSteps: 5, pctStart: 1.2) }
        assertEngineError("one_cycle_lr", "div factors") { _ = try OneCycleLR(totalSteps: 5, divFactor: 0) }
        assertEngineError("one_cycle_lr", "max_lr") { _ = try OneCycleLR(maxLR: -1, totalSteps: 5) }
        assertEngineError("reduce_lr_on_plateau", "factor") { _ = try ReduceLROnPlateau(factor: 1) }
        assertEngineError("reduce_lr_on_plateau", "patience") { _ = try ReduceLROnPlateau(patience: -1) }
        assertEngineError("reduce_lr_on_plateau", "cooldown") { _ = try ReduceLROnPlateau(cooldown: -1) }
        assertEngineError("reduce_lr_on_plateau", "min_lr") { _ = try ReduceLROnPlateau(minLR: -1) }
        // A schedule producing an invalid lr (negative gamma) is refused by the optimizer.
        let opt = try SGD([Tensor.zeros([1])], lr: 0.1)
        assertEngineError("sgd", "invalid learning rate") { try ExponentialLR(gamma: -1).apply(to: opt, step: 1) }
        XCTAssertEqual(opt.learningRates, [0.1])
    }
}
