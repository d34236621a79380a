import XCTest
import Foundation
@testable import Engine

/// PyTorch's published update equations, written plainly in Double arithmetic, one element at a
/// time. Each returns the parameter values after every step.
private enum Reference {
    static func sgd(_ p0: [Double], _ grads: [[Double]], lr: Double, momentum: Double = 0, dampening: Double = 0,
                    weightDecay: Double = 0, nesterov: Bool = false, maximize: Bool = false) -> [[Double]] {
        var p = p0, buf: [Double]? = nil, out: [[Double]] = []
        for grad in grads {
            var b = buf ?? p0.map { _ in 0 }
            for i in p.indices {
                var g = maximize ? -grad[i] : grad[i]
                g += weightDecay * p[i]
                if momentum != 0 {
                    b[i] = buf == nil ? g : momentum * b[i] + (1 - dampening) * g
                    g = nesterov ? g + momentum * b[i] : b[i]
                }
                p[i] -= lr * g
            }
            if momentum != 0 { buf = b }
            out.append(p)
        }
        return out
    }

    static func adam(_ p0: [Double], _ grads: [[Double]], lr: Double, beta1: Double = 0.9, beta2: Double = 0.999,
                     eps: Double = 1e-8, weightDecay: Double = 0, decoupled: Bool = false, amsgrad: Bool = false,
                     maximize: Bool = false) -> [[Double]] {
        var p = p0, out: [[Double]] = []
        var m = p0.map { _ in 0.0 }, v = m, vmax = m
        for (k, grad) in grads.enumerated() {
            let t = Double(k + 1)
            for i in p.indices {
                var g = maximize ? -grad[i] : grad[i]
                if decoupled { p[i] *= 1 - lr * weightDecay } else { g += weightDecay * p[i] }
                m[i] = beta1 * m[i] + (1 - beta1) * g
                v[i] = beta2 * v[i] + (1 - beta2) * g * g
                vmax[i] = max(vmax[i], v[i])
                let mHat = m[i] / (1 - pow(beta1, t))
                let second = amsgrad ? vmax[i] : v[i]
                let denom = (second / (1 - pow(beta2, t))).squareRoot() + eps
                p[i] -= lr * mHat / denom
            }
            out.append(p)
        }
        return out
    }

    static func rmsprop(_ p0: [Double], _ grads: [[Double]], lr: Double, alpha: Double = 0.99, eps: Double = 1e-8,
                        weightDecay: Double = 0, momentum: Double = 0, centered: Bool = false) -> [[Double]] {
        var p = p0, out: [[Double]] = []
        var s = p0.map { _ in 0.0 }, a = s, b = s
        for grad in grads {
            for i in p.indices {
                let g = grad[i] + weightDecay * p[i]
                s[i] = alpha * s[i] + (1 - alpha) * g * g
                var avg = s[i]
                if centered {
                    a[i] = alpha * a[i] + (1 - alpha) * g
                    avg -= a[i] * a[i]
                }
                let denom = avg.squareRoot() + eps
                if momentum > 0 {
                    b[i] = momentum * b[i] + g / denom
                    p[i] -= lr * b[i]
                } else {
                    p[i] -= lr * g / denom
                }
            }
            out.append(p)
        }
        return out
    }

    static func adagrad(_ p0: [Double], _ grads: [[Double]], lr: Double, lrDecay: Double = 0, weightDecay: Double = 0,
                        initial: Double = 0, eps: Double = 1e-10) -> [[Double]] {
        var p = p0, out: [[Double]] = []
        var s = p0.map { _ in initial }
        for (k, grad) in grads.enumerated() {
            let clr = lr / (1 + Double(k) * lrDecay)
            for i in p.indices {
                let g = grad[i] + weightDecay * p[i]
                s[i] += g * g
                p[i] -= clr * g / (s[i].squareRoot() + eps)
            }
            out.append(p)
        }
        return out
    }
}

final class OptimizerTests: XCTestCase {
    private let p0: [Double] = [1.0, -2.0, 0.5, 3.0]
    private let grads: [[Double]] = [[0.1, -0.2, 0.3, -0.4], [0.5, 0.1, -0.3, 0.2], [-0.25, 0.4, 0.05, 1.0]]

    private func param(_ values: [Double]? = nil, dtype: DType = .float64) throws -> Tensor {
        let t = try Tensor(values ?? p0, shape: [2, 2], dtype: dtype)
        try t.setRequiresGrad()
        return t
    }

    /// Sets each gradient in turn, steps, and records the parameter after every step.
    private func run(_ opt: Optimizer, _ p: Tensor, _ grads: [[Double]]) throws -> [[Double]] {
        var out: [[Double]] = []
        for g in grads {
            p.grad = try Tensor(g, shape: p.shape, dtype: p.dtype)
            try opt.step()
            out.append(try p.toDoubles())
        }
        return out
    }

    private func assertSteps(_ got: [[Double]], _ expected: [[Double]], rtol: Double = 1e-12,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, expected.count, file: file, line: line)
        for (k, (g, e)) in zip(got, expected).enumerated() {
            for (i, (a, b)) in zip(g, e).enumerated() {
                XCTAssertLessThanOrEqual(abs(a - b), 1e-14 + rtol * abs(b), "step \(k + 1) element \(i): \(a) vs \(b)",
                                         file: file, line: line)
            }
        }
    }

    /// Runs an optimizer made by `make` on float64 and float32 copies and compares both with
    /// the reference (float32 to single precision).
    private func check(_ expected: [[Double]], file: StaticString = #filePath, line: UInt = #line,
                       _ make: ([Tensor]) throws -> Optimizer) throws {
        let p = try param()
        assertSteps(try run(make([p]), p, grads), expected, file: file, line: line)
        let q = try param(dtype: .float32)
        assertSteps(try run(make([q]), q, grads), expected, rtol: 2e-5, file: file, line: line)
    }

    // MARK: Hand-checked first steps

    func testFirstStepsByHand() throws {
        // SGD: p - lr * g.
        let p = try param([1, 2, 3, 4])
        let sgd = try SGD([p], lr: 0.1)
        p.grad = try Tensor([1, -1, 0.5, 0], shape: [2, 2], dtype: .float64)
        try sgd.step()
        try assertClose(p, [0.9, 2.1, 2.95, 4], atol: 1e-15)
        // SGD momentum 0.9: buffer = g on step 1, then 0.9 b + g.
        p.grad = try Tensor([1, 1, 1, 1], shape: [2, 2], dtype: .float64)
        let q = try param([0, 0, 0, 0])
        let momentum = try SGD([q], lr: 1, momentum: 0.9)
        q.grad = p.grad
        try momentum.step(); try momentum.step()
        try assertClose(q, [-2.9, -2.9, -2.9, -2.9], atol: 1e-15)  // -(1) - (0.9 + 1)
        // Adam's first step: m̂ = g and v̂ = g², so each element moves by lr * g / (|g| + eps).
        let r = try param([0, 0, 0, 0])
        let adam = try Adam([r], lr: 0.01)
        r.grad = try Tensor([3, -0.5, 1e-3, 0], shape: [2, 2], dtype: .float64)
        try adam.step()
        try assertClose(r, [-0.01 * 3 / (3 + 1e-8), 0.01 * 0.5 / (0.5 + 1e-8), -0.01 * 1e-3 / (1e-3 + 1e-8), 0],
                        rtol: 1e-12, atol: 1e-15)
        // Adagrad's first step: lr * g / |g|.
        let s = try param([1, 1, 1, 1])
        let adagrad = try Adagrad([s], lr: 0.5)
        s.grad = try Tensor([2, -2, 4, 0], shape: [2, 2], dtype: .float64)
        try adagrad.step()
        try assertClose(s, [0.5, 1.5, 0.5, 1], atol: 1e-9)
    }

    // MARK: SGD

    func testSGDPlain() throws {
        try check(Reference.sgd(p0, grads, lr: 0.1)) { try SGD($0, lr: 0.1) }
    }

    func testSGDMomentumAndDampening() throws {
        try check(Reference.sgd(p0, grads, lr: 0.05, momentum: 0.9, dampening: 0.3)) {
            try SGD($0, lr: 0.05, momentum: 0.9, dampening: 0.3)
        }
    }

    func testSGDNesterov() throws {
        try check(Reference.sgd(p0, grads, lr: 0.05, momentum: 0.8, nesterov: true)) {
            try SGD($0, lr: 0.05, momentum: 0.8, nesterov: true)
        }
    }

    func testSGDWeightDecayAndMaximize() throws {
        try check(Reference.sgd(p0, grads, lr: 0.1, momentum: 0.5, weightDecay: 0.01, maximize: true)) {
            try SGD($0, lr: 0.1, momentum: 0.5, weightDecay: 0.01, maximize: true)
        }
    }

    // MARK: Adam / AdamW

    func testAdam() throws {
        try check(Reference.adam(p0, grads, lr: 0.01)) { try Adam($0, lr: 0.01) }
    }

    func testAdamBetasEpsAndL2WeightDecay() throws {
        try check(Reference.adam(p0, grads, lr: 0.02, beta1: 0.8, beta2: 0.99, eps: 1e-3, weightDecay: 0.1)) {
            try Adam($0, lr: 0.02, beta1: 0.8, beta2: 0.99, eps: 1e-3, weightDecay: 0.1)
        }
    }

    func testAdamAmsgrad() throws {
        // The second gradient is small, so v decays below its max and amsgrad matters.
        let g: [[Double]] = [[1, -2, 3, -4], [0.01, 0.01, 0.01, 0.01], [0.02, -0.02, 0.5, 0]]
        let expected = Reference.adam(p0, g, lr: 0.1, beta2: 0.5, amsgrad: true)
        XCTAssertNotEqual(expected[2][0], Reference.adam(p0, g, lr: 0.1, beta2: 0.5)[2][0])
        let p = try param()
        assertSteps(try run(Adam([p], lr: 0.1, beta2: 0.5, amsgrad: true), p, g), expected)
    }

    func testAdamMaximize() throws {
        try check(Reference.adam(p0, grads, lr: 0.01, maximize: true)) { try Adam($0, lr: 0.01, maximize: true) }
    }

    func testAdamWDecoupledWeightDecay() throws {
        try check(Reference.adam(p0, grads, lr: 0.01, weightDecay: 0.01, decoupled: true)) { try AdamW($0, lr: 0.01) }
        try check(Reference.adam(p0, grads, lr: 0.1, weightDecay: 0.5, decoupled: true, amsgrad: true)) {
            try AdamW($0, lr: 0.1, weightDecay: 0.5, amsgrad: true)
        }
        // Decoupled decay differs from L2.
        XCTAssertNotEqual(Reference.adam(p0, grads, lr: 0.1, weightDecay: 0.5, decoupled: true)[2][0],
                          Reference.adam(p0, grads, lr: 0.1, weightDecay: 0.5)[2][0])
        XCTAssertEqual(try AdamW([param()]).name, "AdamW")
        XCTAssertEqual(try AdamW([param()]).defaults["weight_decay"], 0.01)
    }

    // MARK: RMSprop

    func testRMSprop() throws {
        try check(Reference.rmsprop(p0, grads, lr: 0.01)) { try RMSprop($0, lr: 0.01) }
    }

    func testRMSpropCentered() throws {
        try check(Reference.rmsprop(p0, grads, lr: 0.01, alpha: 0.9, centered: true)) {
            try RMSprop($0, lr: 0.01, alpha: 0.9, centered: true)
        }
    }

    func testRMSpropMomentumCenteredWeightDecay() throws {
        try check(Reference.rmsprop(p0, grads, lr: 0.01, alpha: 0.95, eps: 1e-4, weightDecay: 0.1, momentum: 0.9,
                                    centered: true)) {
            try RMSprop($0, lr: 0.01, alpha: 0.95, eps: 1e-4, weightDecay: 0.1, momentum: 0.9, centered: true)
        }
    }

    // MARK: Adagrad

    func testAdagrad() throws {
        try check(Reference.adagrad(p0, grads, lr: 0.1)) { try Adagrad($0, lr: 0.1) }
    }

    func testAdagradDecayAccumulatorWeightDecay() throws {
        try check(Reference.adagrad(p0, grads, lr: 0.1, lrDecay: 0.5, weightDecay: 0.2, initial: 0.3, eps: 1e-6)) {
            try Adagrad($0, lr: 0.1, lrDecay: 0.5, weightDecay: 0.2, initialAccumulatorValue: 0.3, eps: 1e-6)
        }
    }

    // MARK: Groups, skipping, grads

    func testParamGroupsWithDifferentLearningRates() throws {
        let a = try param(), b = try param()
        let opt = try SGD([ParamGroup([a]), ParamGroup([b], options: ["lr": 0.5, "nesterov": 1])],
                          lr: 0.1, momentum: 0.9)
        XCTAssertEqual(opt.learningRates, [0.1, 0.5])
        XCTAssertEqual(opt.paramGroups[1]["momentum"], 0.9)
        XCTAssertEqual(opt.paramGroups[1].initialLR, 0.5)
        for g in grads {
            a.grad = try Tensor(g, shape: [2, 2], dtype: .float64)
            b.grad = try Tensor(g, shape: [2, 2], dtype: .float64)
            try opt.step()
        }
        assertSteps([try a.toDoubles()], [Reference.sgd(p0, grads, lr: 0.1, momentum: 0.9)[2]])
        assertSteps([try b.toDoubles()], [Reference.sgd(p0, grads, lr: 0.5, momentum: 0.9, nesterov: true)[2]])
        // setLR / set, validated.
        try opt.setLR(0.01, group: 1)
        XCTAssertEqual(opt.learningRates, [0.1, 0.01])
        try opt.setLR(0.2)
        XCTAssertEqual(opt.learningRates, [0.2, 0.2])
        assertEngineError("sgd", "invalid learning rate in group 0") { try opt.setLR(-1) }
        assertEngineError("sgd", "out of range") { try opt.setLR(1, group: 2) }
        assertEngineError("sgd", "unknown option 'beta1'") { try opt.set("beta1", 0.9) }
        assertEngineError("sgd", "Nesterov") { try opt.set("momentum", 0, group: 1) }
        XCTAssertEqual(opt.learningRates, [0.2, 0.2])
        // Adding a group.
        let c = try param()
        try opt.addParamGroup(ParamGroup([c], options: ["weight_decay": 0.1]))
        XCTAssertEqual(opt.paramGroups.count, 3)
        XCTAssertEqual(opt.parameters.count, 3)
        assertEngineError("sgd", "more than once") { try opt.addParamGroup(ParamGroup([a])) }
    }

    func testStepSkipsParametersWithoutGradAndZeroGrad() throws {
        let a = try param(), b = try param()
        let opt = try Adam([a, b], lr: 0.1)
        a.grad = try Tensor(grads[0], shape: [2, 2], dtype: .float64)
        try opt.step()
        XCTAssertEqual(try b.toDoubles(), p0)
        XCTAssertNil(opt.state(for: b))
        XCTAssertEqual(opt.state(for: a)?.step, 1)
        XCTAssertEqual(opt.state(for: a)?.buffers.keys.sorted(), ["exp_avg", "exp_avg_sq"])
        opt.zeroGrad()
        XCTAssertNil(a.grad)
        try opt.step()  // nothing has a grad: no-op
        XCTAssertEqual(opt.state(for: a)?.step, 1)
    }

    func testUpdatesRecordNothingAndKeepLeaves() throws {
        let p = try param()
        let opt = try SGD([p], lr: 0.1)
        p.grad = try Tensor(grads[0], shape: [2, 2], dtype: .float64)
        let version = p.storage.version
        XCTAssertTrue(GradMode.isEnabled)
        try opt.step()
        XCTAssertTrue(p.isLeaf)
        XCTAssertTrue(p.requiresGrad)
        XCTAssertNil(p.gradFn)
        XCTAssertTrue(GradMode.isEnabled)
        XCTAssertGreaterThan(p.storage.version, version)
    }

    func testGradientOfOtherDtypeOrLayoutIsConverted() throws {
        let p = try param()
        let opt = try SGD([p], lr: 0.1)
        // float32, transposed gradient.
        let g = try Tensor(grads[0], shape: [2, 2], dtype: .float32).t().contiguous().t()
        XCTAssertFalse(g.isContiguous)
        p.grad = g
        try opt.step()
        let expected = try g.toDoubles().enumerated().map { p0[$0.offset] - 0.1 * $0.element }
        try assertClose(p, expected, atol: 1e-15)
    }

    func testLargeParameterUsesTheSameUpdate() throws {
        // Large enough for the two-core path; compare every element with the reference.
        let n = Parallel.elementwiseThreshold * 2 + 3
        let start = (0..<n).map { Double($0 % 97) / 50 - 1 }
        func gradient(_ k: Int) -> [Double] { (0..<n).map { (i: Int) -> Double in Double((i * 7 + k) % 89) / 40 - 1 } }
        let gs = [gradient(0), gradient(1)]
        let p = try Tensor(start, shape: [n], dtype: .float64)
        let opt = try Adam([p], lr: 0.01, weightDecay: 0.1, amsgrad: true)
        for g in gs {
            p.grad = try Tensor(g, shape: [n], dtype: .float64)
            try opt.step()
        }
        assertSteps([try p.toDoubles()], [Reference.adam(start, gs, lr: 0.01, weightDecay: 0.1, amsgrad: true)[1]])
    }

    // MARK: State dicts

    /// Steps `opt` 3 times, snapshots, builds a twin over copies of the parameters, loads the
    /// snapshot, and checks 3 more steps give bit-identical parameters.
    private func assertResumes(_ make: ([ParamGroup]) throws -> Optimizer, viaFile: Bool = false,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let a = try param(), b = try param([0.3, 0.1, -0.7, 2.0])
        let opt = try make([ParamGroup([a]), ParamGroup([b], options: ["lr": 0.003])])
        func feed(_ x: Tensor, _ y: Tensor, _ g: [Double]) throws {
            x.grad = try Tensor(g, shape: [2, 2], dtype: .float64)
            y.grad = try Tensor(g.reversed(), shape: [2, 2], dtype: .float64)
        }
        for g in grads { try feed(a, b, g); try opt.step() }
        let a2 = try a.clone().detach(), b2 = try b.clone().detach()
        let twin = try make([ParamGroup([a2]), ParamGroup([b2])])
        if viaFile {
            let path = NSTemporaryDirectory() + "lumen-optim-\(UUID().uuidString).safetensors"
            defer { try? FileManager.default.removeItem(atPath: path) }
            try opt.save(to: path)
            try twin.load(from: path)
        } else {
            try twin.loadStateDict(opt.stateDict())
        }
        XCTAssertEqual(twin.learningRates, opt.learningRates, file: file, line: line)
        XCTAssertEqual(twin.paramGroups.map(\.initialLR), opt.paramGroups.map(\.initialLR), file: file, line: line)
        for g in grads.reversed() {
            try feed(a, b, g); try opt.step()
            try feed(a2, b2, g); try twin.step()
        }
        XCTAssertEqual(try a.toDoubles().map(\.bitPattern), try a2.toDoubles().map(\.bitPattern), file: file, line: line)
        XCTAssertEqual(try b.toDoubles().map(\.bitPattern), try b2.toDoubles().map(\.bitPattern), file: file, line: line)
        XCTAssertEqual(twin.state(for: a2)?.step, 6, file: file, line: line)
    }

    func testStateDictRoundTripReproducesSteps() throws {
        try assertResumes { try SGD($0, lr: 0.1, momentum: 0.9, nesterov: true) }
        try assertResumes { try Adam($0, lr: 0.01, amsgrad: true) }
        try assertResumes { try AdamW($0, lr: 0.01) }
        try assertResumes { try RMSprop($0, lr: 0.01, momentum: 0.5, centered: true) }
        try assertResumes { try Adagrad($0, lr: 0.1, lrDecay: 0.1, initialAccumulatorValue: 0.1) }
        try assertResumes({ try Adam($0, lr: 0.01, weightDecay: 0.1) }, viaFile: true)
        try assertResumes({ try SGD($0, lr: 0.1, momentum: 0.9) }, viaFile: true)
    }

    func testStateDictContents() throws {
        let p = try param()
        let opt = try Adam([p], lr: 0.01)
        var dict = try opt.stateDict()
        XCTAssertTrue(dict.tensors.isEmpty)
        XCTAssertEqual(dict.scalars["num_param_groups"], 1)
        XCTAssertEqual(dict.scalars["param_groups.0.params"], 1)
        XCTAssertEqual(dict.scalars["param_groups.0.lr"], 0.01)
        XCTAssertEqual(dict.scalars["param_groups.0.beta2"], 0.999)
        _ = try run(opt, p, grads)
        dict = try opt.stateDict()
        XCTAssertEqual(dict.optimizer, "Adam")
        XCTAssertEqual(dict.tensors.keys.sorted(), ["state.0.exp_avg", "state.0.exp_avg_sq"])
        XCTAssertEqual(dict.scalars["state.0.step"], 3)
        // A snapshot: further steps leave it alone.
        let saved = try XCTUnwrap(dict.tensors["state.0.exp_avg"]).toDoubles()
        _ = try run(opt, p, grads)
        XCTAssertEqual(try XCTUnwrap(dict.tensors["state.0.exp_avg"]).toDoubles(), saved)
    }

    func testLoadStateDictErrorsLeaveOptimizerUnchanged() throws {
        let p = try param()
        let opt = try Adam([p], lr: 0.01)
        _ = try run(opt, p, grads)
        let good = try opt.stateDict()
        let fresh = try Adam([param()], lr: 0.5)
        func attempt(_ fragment: String, _ edit: (inout OptimizerStateDict) throws -> Void) throws {
            var dict = good
            try edit(&dict)
            assertEngineError("load_state_dict", fragment) { try fresh.loadStateDict(dict) }
            XCTAssertEqual(fresh.learningRates, [0.5])
            XCTAssertNil(fresh.state(for: fresh.parameters[0]))
        }
        assertEngineError("load_state_dict", "is for Adam; this optimizer is SGD") {
            try SGD([param()]).loadStateDict(good)
        }
        assertEngineError("load_state_dict", "1 parameter group(s); this optimizer has 2") {
            try Adam([ParamGroup([param()]), ParamGroup([param()])]).loadStateDict(good)
        }
        try attempt("has 2 parameter(s) in the state dict") { $0.scalars["param_groups.0.params"] = 2 }
        try attempt("shape (3)") { $0.tensors["state.0.exp_avg"] = try Tensor.zeros([3], dtype: .float64) }
        try attempt("missing buffer 'state.0.exp_avg_sq'") { $0.tensors["state.0.exp_avg_sq"] = nil }
        try attempt("missing 'param_groups.0.beta1'") { $0.scalars["param_groups.0.beta1"] = nil }
        try attempt("invalid beta1") { $0.scalars["param_groups.0.beta1"] = 1.5 }
        try attempt("unexpected key 'state.1.step'") { $0.scalars["state.1.step"] = 2 }
        try attempt("unexpected key 'bogus'") { $0.scalars["bogus"] = 2 }
        try attempt("unknown buffer 'state.0.momentum'") { $0.tensors["state.0.momentum"] = try Tensor.zeros([2, 2]) }
        try attempt("without 'state.0.step'") { $0.scalars["state.0.step"] = nil }
        try attempt("non-negative integer") { $0.scalars["state.0.step"] = 1.5 }
        try attempt("must be floating point") { $0.tensors["state.0.exp_avg"] = try Tensor.zeros([2, 2], dtype: .int64) }
        // Amsgrad turned on in the dict requires its buffer.
        try attempt("missing buffer 'state.0.max_exp_avg_sq'") { $0.scalars["param_groups.0.amsgrad"] = 1 }
        // Buffers are converted to the parameter's dtype.
        var dict = good
        dict.tensors["state.0.exp_avg"] = try XCTUnwrap(dict.tensors["state.0.exp_avg"]).to(.float32)
        try fresh.loadStateDict(dict)
        XCTAssertEqual(fresh.state(for: fresh.parameters[0])?.buffers["exp_avg"]?.dtype, .float64)
        XCTAssertEqual(fresh.learningRates, [0.01])
        // A file not written by an optimizer.
        let path = NSTemporaryDirectory() + "lumen-optim-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Safetensors.write(["x": Tensor.zeros([1])], to: path)
        assertEngineError("load_state_dict", "no 'optimizer' metadata") { try fresh.load(from: path) }
        assertEngineError("safetensors", "cannot open") { try fresh.load(from: path + ".missing") }
    }

    // MARK: Convergence

    func testEveryOptimizerMinimizesAQuadratic() throws {
        let target = try Tensor([3, -1, 0.5, 2], shape: [4], dtype: .float64)
        let scale = try Tensor([1, 2, 0.5, 4], shape: [4], dtype: .float64)
        let makers: [(String, Int, ([Tensor]) throws -> Optimizer)] = [
            ("SGD", 200, { try SGD($0, lr: 0.1) }),
            ("SGD momentum", 200, { try SGD($0, lr: 0.05, momentum: 0.9, nesterov: true) }),
            ("Adam", 600, { try Adam($0, lr: 0.05) }),
            ("AdamW", 600, { try AdamW($0, lr: 0.05, weightDecay: 1e-4) }),
            ("RMSprop", 600, { try RMSprop($0, lr: 0.01, centered: true) }),
            ("Adagrad", 600, { try Adagrad($0, lr: 0.5) }),
        ]
        for (name, steps, make) in makers {
            let x = try Tensor.zeros([4], dtype: .float64)
            try x.setRequiresGrad()
            let opt = try make([x])
            var loss = 0.0
            for _ in 0..<steps {
                opt.zeroGrad()
                let d = try x - target
                let l = try (d * d * scale).sum()
                try l.backward()
                loss = try l.item()
                try opt.step()
            }
            XCTAssertLessThan(loss, 1e-4, name)
            let values = try x.toDoubles(), goal = try target.toDoubles()
            for (v, t) in zip(values, goal) { XCTAssertEqual(v, t, accuracy: 0.02, name) }
        }
    }

    // MARK: Errors

    func testConstructionErrors() throws {
        let p = try param()
        assertEngineError("sgd", "at least one parameter group") { _ = try SGD([ParamGroup]()) }
        assertEngineError("sgd", "group 0 has no parameters") { _ = try SGD([Tensor]()) }
        assertEngineError("sgd", "invalid learning rate") { _ = try SGD([p], lr: -0.1) }
        assertEngineError("sgd", "must be finite") { _ = try SGD([p], lr: .nan) }
        assertEngineError("sgd", "invalid momentum") { _ = try SGD([p], momentum: -1) }
        assertEngineError("sgd", "Nesterov momentum requires") { _ = try SGD([p], nesterov: true) }
        assertEngineError("sgd", "Nesterov momentum requires") { _ = try SGD([p], momentum: 0.9, dampening: 0.1, nesterov: true) }
        assertEngineError("adam", "invalid beta1") { _ = try Adam([p], beta1: 1) }
        assertEngineError("adam", "invalid beta2") { _ = try Adam([p], beta2: -0.1) }
        assertEngineError("adam", "invalid epsilon") { _ = try Adam([p], eps: -1) }
        assertEngineError("adamw", "invalid weight_decay") { _ = try AdamW([p], weightDecay: -1) }
        assertEngineError("rmsprop", "invalid alpha") { _ = try RMSprop([p], alpha: -1) }
        assertEngineError("adagrad", "invalid lr_decay") { _ = try Adagrad([p], lrDecay: -1) }
        assertEngineError("adagrad", "invalid initial_accumulator_value") { _ = try Adagrad([p], initialAccumulatorValue: -1) }
        assertEngineError("adam", "unknown option 'momentum' in group 0") {
            _ = try Adam([ParamGroup([p], options: ["momentum": 0.9])])
        }
        assertEngineError("adam", "is a flag") { _ = try Adam([ParamGroup([p], options: ["amsgrad": 2])]) }
        assertEngineError("sgd", "invalid learning rate in group 1") {
            _ = try SGD([ParamGroup([p]), ParamGroup([param()], options: ["lr": -1])])
        }
        // Parameters.
        assertEngineError("sgd", "leaf tensors") { _ = try SGD([p * 2]) }
        assertEngineError("sgd", "float32 or float64") { _ = try SGD([Tensor.zeros([2], dtype: .int64)]) }
        assertEngineError("sgd", "contiguous") { _ = try SGD([Tensor.zeros([2, 3]).t()]) }
        assertEngineError("sgd", "appears more than once") { _ = try SGD([p, p]) }
        assertEngineError("sgd", "appears more than once") { _ = try SGD([ParamGroup([p]), ParamGroup([p])]) }
    }

    func testStepErrorsChangeNothing() throws {
        let a = try param(), b = try param()
        let opt = try SGD([a, b], lr: 0.1)
        a.grad = try Tensor(grads[0], shape: [2, 2], dtype: .float64)
        b.grad = try Tensor.zeros([4], dtype: .float64)
        assertEngineError("sgd", "gradient of parameter 1 in group 0 has shape (4)") { try opt.step() }
        XCTAssertEqual(try a.toDoubles(), p0)
        b.grad = try Tensor.zeros([2, 2], dtype: .int64)
        assertEngineError("sgd", "must be floating point") { try opt.step() }
        XCTAssertEqual(try a.toDoubles(), p0)
        XCTAssertNil(opt.state(for: a))
    }

    // MARK: Gradient clipping

    func testClipGradNorm() throws {
        let a = try param([0, 0, 0, 0]), b = try Tensor.zeros([1], dtype: .float64), c = try param()
        a.grad = try Tensor([3, 0, 0, 4], shape: [2, 2], dtype: .float64)
        b.grad = try Tensor([12], shape: [1], dtype: .float64)
        // c has no grad: skipped.
        let total = try clipGradNorm([a, b, c], maxNorm: 6.5)
        XCTAssertEqual(total, 13, accuracy: 1e-12)
        let k = 6.5 / (13 + 1e-6)
        try assertClose(try XCTUnwrap(a.grad), [3 * k, 0, 0, 4 * k], atol: 1e-15)
        try assertClose(try XCTUnwrap(b.grad), [12 * k], atol: 1e-15)
        XCTAssertNil(c.grad)
        // Under the limit: unchanged.
        a.grad = try Tensor([3, 0, 0, 4], shape: [2, 2], dtype: .float64)
        XCTAssertEqual(try clipGradNorm([a], maxNorm: 10), 5, accuracy: 1e-12)
        XCTAssertEqual(try a.grad?.toDoubles(), [3, 0, 0, 4])
        // Infinity norm and a 1-norm, float32 and non-contiguous gradients.
        a.grad = try Tensor([3, -7, 0, 4], shape: [2, 2], dtype: .float32).t()
        XCTAssertEqual(try clipGradNorm([a], maxNorm: 3.5, normType: .infinity), 7, accuracy: 1e-6)
        try assertClose(try XCTUnwrap(a.grad), [1.5, 0, -3.5, 2], rtol: 1e-5)
        a.grad = try Tensor([3, -7, 0, 4], shape: [2, 2], dtype: .float64)
        XCTAssertEqual(try clipGradNorm([a], maxNorm: 100, normType: 1), 14, accuracy: 1e-12)
        XCTAssertEqual(try clipGradNorm([a], maxNorm: 100, normType: 3), pow(27 + 343 + 64, 1.0 / 3), accuracy: 1e-12)
        // No gradients at all.
        XCTAssertEqual(try clipGradNorm([c], maxNorm: 1), 0)
        // Non-finite.
        a.grad = try Tensor([.nan, 1, 1, 1], shape: [2, 2], dtype: .float64)
        XCTAssertTrue(try clipGradNorm([a], maxNorm: 1, normType: .infinity).isNaN)
        assertEngineError("clip_grad_norm", "non-finite") { try clipGradNorm([a], maxNorm: 1, errorIfNonfinite: true) }
        assertEngineError("clip_grad_norm", "max_norm") { try clipGradNorm([a], maxNorm: -1) }
        assertEngineError("clip_grad_norm", "norm_type") { try clipGradNorm([a], maxNorm: 1, normType: 0) }
        a.grad = try Tensor.zeros([2, 2], dtype: .int64)
        assertEngineError("clip_grad_norm", "floating point") { try clipGradNorm([a], maxNorm: 1) }
    }

    func testClipGradNormLargeMatchesDirectSum() throws {
        let n = Parallel.elementwiseThreshold * 3 + 11
        let values = (0..<n).map { Double($0 % 13) - 6 }
        let p = try Tensor.zeros([n])
        p.grad = try Tensor(values, shape: [n])
        let expected = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
        XCTAssertEqual(try clipGradNorm([p], maxNorm: expected / 2), expected, accuracy: 1e-9 * expected)
        let scaled = try XCTUnwrap(p.grad).toDoubles()
        XCTAssertEqual(scaled[1], -5 * (expected / 2) / (expected + 1e-6), accuracy: 1e-5)
    }

    func testClipGradValue() throws {
        let a = try param(), b = try param()
        a.grad = try Tensor([-3, 0.5, .nan, 2], shape: [2, 2], dtype: .float64)
        b.grad = try Tensor([1, -1, 1, -1], shape: [2, 2], dtype: .float32).t()
        try clipGradValue([a, b], clipValue: 0.75)
        try assertClose(try XCTUnwrap(a.grad), [-0.75, 0.5, .nan, 0.75])
        try assertClose(try XCTUnwrap(b.grad), [0.75, 0.75, -0.75, -0.75])
        assertEngineError("clip_grad_value", "non-negative") { try clipGradValue([a], clipValue: -1) }
        assertEngineError("clip_grad_value", "non-negative") { try clipGradValue([a], clipValue: .nan) }
    }
}
