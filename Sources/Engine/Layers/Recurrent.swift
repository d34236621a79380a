/// Recurrent layers (PyTorch's `RNN`, `LSTM`, `GRU` and their cells) as fused kernels.
///
/// Shape legend: T time steps, B batch, I input features, H hidden size, G gates per step
/// (LSTM 4: i, f, g, o; GRU 3: r, z, n; RNN 1), D directions (1 or 2), L layers.
///
/// One layer in one direction is one op (`recurrentLayer`): the input projection of all T steps
/// is a single gemm onto the biases; each step is one gemm (h W_hhᵀ) and one pass over the
/// gates; backward through time walks the steps in reverse with one gemm per step, and the
/// weight gradients are one gemm each over all steps. Sequences of different lengths (PyTorch's
/// packed sequences) are given as `lengths`: a sequence's state is frozen after its last step
/// (its output there is zero), so `h_n` holds each sequence's true last state; in the reverse
/// direction each sequence starts at its own last element.
///
///     let (y, h, c) = try Functional.recurrent(.lstm, input: x, weights: w, hiddenSize: 64)   // x (T,B,I)
public enum RecurrentMode: String, Sendable, CaseIterable {
    case rnnTanh = "RNN_TANH", rnnRelu = "RNN_RELU", lstm = "LSTM", gru = "GRU"

    /// Gates per hidden unit: rows of `weight_ih` are `gates * hiddenSize`.
    public var gates: Int {
        switch self {
        case .lstm: return 4
        case .gru: return 3
        case .rnnTanh, .rnnRelu: return 1
        }
    }

    /// PyTorch's name of the layer, for messages.
    public var layerName: String {
        switch self {
        case .lstm: return "lstm"
        case .gru: return "gru"
        case .rnnTanh, .rnnRelu: return "rnn"
        }
    }
}

/// The parameters of one layer in one direction, in PyTorch's layouts:
/// `weight_ih` (G*H, I), `weight_hh` (G*H, H), `bias_ih` and `bias_hh` (G*H).
public struct RecurrentWeights {
    public var inputWeight: Tensor
    public var hiddenWeight: Tensor
    public var inputBias: Tensor?
    public var hiddenBias: Tensor?

    public init(inputWeight: Tensor, hiddenWeight: Tensor, inputBias: Tensor? = nil, hiddenBias: Tensor? = nil) {
        self.inputWeight = inputWeight
        self.hiddenWeight = hiddenWeight
        self.inputBias = inputBias
        self.hiddenBias = hiddenBias
    }

    var tensors: [Tensor] {
        [inputWeight, hiddenWeight] + (inputBias.map { [$0] } ?? []) + (hiddenBias.map { [$0] } ?? [])
    }
}

extension Functional {
    /// A multi-layer, optionally bidirectional recurrent network over a whole sequence
    /// (PyTorch's `nn.RNN`/`nn.LSTM`/`nn.GRU` forward).
    ///
    /// - input: (T, B, I), or (B, T, I) when `batchFirst`.
    /// - h0, c0: (L*D, B, H) initial states (zeros when nil); `c0` only for LSTM.
    /// - weights: L*D entries, layer-major then direction (forward, reverse).
    /// - dropout: applied to the outputs of every layer but the last when `training`.
    /// - lengths: B sequence lengths in 0...T (nil: all T).
    ///
    /// Returns output (T, B, D*H) (or (B, T, D*H)), h_n (L*D, B, H) and c_n for LSTM.
    public static func recurrent(_ mode: RecurrentMode, input: Tensor, h0: Tensor? = nil, c0: Tensor? = nil,
                                 weights: [RecurrentWeights], hiddenSize: Int, numLayers: Int = 1,
                                 bidirectional: Bool = false, dropout: Double = 0, training: Bool = false,
                                 batchFirst: Bool = false, lengths: [Int]? = nil,
                                 generator: Generator = .default) throws -> (output: Tensor, h: Tensor, c: Tensor?) {
        let op = mode.layerName
        let directions = bidirectional ? 2 : 1
        guard numLayers >= 1, hiddenSize >= 1 else {
            throw EngineError(op, "num_layers and hidden_size must be positive; got \(numLayers) and \(hiddenSize)")
        }
        guard weights.count == numLayers * directions else {
            throw EngineError(op, "expected \(numLayers * directions) weight sets (num_layers x directions); got \(weights.count)")
        }
        guard input.rank == 3 else {
            throw EngineError(op, "expected a 3-d input \(batchFirst ? "(B,T,I)" : "(T,B,I)"); got shape \(shapeString(input.shape))")
        }
        guard dropout >= 0 && dropout <= 1 else { throw EngineError(op, "dropout must be in [0, 1]; got \(dropout)") }
        let x0 = batchFirst ? try input.transpose(0, 1) : input
        let batch = x0.shape[1]
        let stateShape = [numLayers * directions, batch, hiddenSize]
        for (state, name) in [(h0, "h0"), (c0, "c0")] {
            guard let state else { continue }
            guard state.shape == stateShape else {
                throw EngineError(op, "expected \(name) of shape \(shapeString(stateShape)) (layers*directions, B, H); got \(shapeString(state.shape))")
            }
        }
        if c0 != nil && mode != .lstm { throw EngineError(op, "only LSTM takes a cell state c0") }
        var x = x0
        var hs: [Tensor] = [], cs: [Tensor] = []
        for layer in 0..<numLayers {
            var outs: [Tensor] = []
            for d in 0..<directions {
                let k = layer * directions + d
                let h = try h0?.select(dim: 0, index: k) ?? Tensor.zeros([batch, hiddenSize], dtype: input.dtype)
                var c: Tensor? = nil
                if mode == .lstm { c = try c0?.select(dim: 0, index: k) ?? Tensor.zeros([batch, hiddenSize], dtype: input.dtype) }
                let r = try recurrentLayer(mode, input: x, h0: h, c0: c, weights: weights[k], lengths: lengths, reverse: d == 1)
                outs.append(r.output)
                hs.append(r.h)
                if let rc = r.c { cs.append(rc) }
            }
            x = outs.count == 1 ? outs[0] : try Tensor.cat(outs, dim: 2)
            if layer < numLayers - 1 && training && dropout > 0 {
                x = try dropoutMask(x, p: dropout, generator: generator)
            }
        }
        let output = batchFirst ? try x.transpose(0, 1) : x
        let h = try Tensor.stack(hs, dim: 0)
        let c = mode == .lstm ? try Tensor.stack(cs, dim: 0) : nil
        return (output, h, c)
    }

    /// Inverted dropout by a Bernoulli mask (composed, so autograd gives the backward).
    static func dropoutMask(_ x: Tensor, p: Double, generator: Generator) throws -> Tensor {
        if p >= 1 { return try x.mul(scalar: 0) }
        let keep = try Tensor.bernoulli(x.shape, p: 1 - p, dtype: x.dtype, generator: generator)
        return try x.mul(keep.mul(scalar: 1 / (1 - p)))
    }

    /// One step of a recurrent cell (PyTorch's `RNNCell`/`LSTMCell`/`GRUCell`): input (B, I),
    /// h (B, H), c (B, H) for LSTM → (h', c'). The same fused kernel as a one-step sequence.
    public static func recurrentCell(_ mode: RecurrentMode, input: Tensor, h: Tensor, c: Tensor? = nil,
                                     weights: RecurrentWeights) throws -> (h: Tensor, c: Tensor?) {
        let op = mode.layerName + "_cell"
        guard input.rank == 2 else { throw EngineError(op, "expected input (B,I); got shape \(shapeString(input.shape))") }
        if mode == .lstm && c == nil { throw EngineError(op, "LSTM cell needs a cell state c") }
        let r = try recurrentLayer(mode, input: input.unsqueeze(0), h0: h, c0: mode == .lstm ? c : nil,
                                   weights: weights, lengths: nil, reverse: false, op: op)
        return (r.h, r.c)
    }

    /// One layer in one direction over a time-major sequence x (T, B, I) from h0 (B, H) (and c0
    /// for LSTM). Returns output (T, B, H), the final h (B, H) and c (B, H). With `reverse`,
    /// step t runs from T-1 down to 0 (from each sequence's own last element when `lengths`).
    public static func recurrentLayer(_ mode: RecurrentMode, input: Tensor, h0: Tensor, c0: Tensor?,
                                      weights w: RecurrentWeights, lengths: [Int]?, reverse: Bool,
                                      op: String? = nil) throws -> (output: Tensor, h: Tensor, c: Tensor?) {
        let op = op ?? mode.layerName
        guard input.rank == 3 else { throw EngineError(op, "expected input (T,B,I); got shape \(shapeString(input.shape))") }
        try requireFloat(input, "input", op: op)
        let steps = input.shape[0], batch = input.shape[1], inputSize = input.shape[2]
        let gateRows = w.inputWeight.rank == 2 ? w.inputWeight.shape[0] : 0
        guard gateRows > 0, gateRows % mode.gates == 0 else {
            throw EngineError(op, "expected weight_ih of shape (\(mode.gates)*hidden_size, \(inputSize)); got \(shapeString(w.inputWeight.shape))")
        }
        let hidden = gateRows / mode.gates, gh = gateRows
        try requireParameter(w.inputWeight, "weight_ih", shape: [gh, inputSize], like: input, op: op)
        try requireParameter(w.hiddenWeight, "weight_hh", shape: [gh, hidden], like: input, op: op)
        try requireParameter(w.inputBias, "bias_ih", shape: [gh], like: input, op: op)
        try requireParameter(w.hiddenBias, "bias_hh", shape: [gh], like: input, op: op)
        try requireParameter(h0, "h0", shape: [batch, hidden], like: input, op: op)
        if mode == .lstm {
            guard let c0 else { throw EngineError(op, "LSTM needs an initial cell state c0") }
            try requireParameter(c0, "c0", shape: [batch, hidden], like: input, op: op)
        }
        if let lengths {
            guard lengths.count == batch else {
                throw EngineError(op, "expected \(batch) lengths (one per sequence); got \(lengths.count)")
            }
            for (b, n) in lengths.enumerated() where n < 0 || n > steps {
                throw EngineError(op, "length of sequence \(b + 1) is \(n); lengths must lie in 0...\(steps) (the padded length)")
            }
        }
        let kernel = RecurrentKernel(mode: mode, steps: steps, batch: batch, inputSize: inputSize, hidden: hidden,
                                     lengths: lengths, reverse: reverse, op: op)
        let x = try dense(input), wih = try dense(w.inputWeight), whh = try dense(w.hiddenWeight)
        let bih = try w.inputBias.map(dense), bhh = try w.hiddenBias.map(dense)
        let h = try dense(h0), c = try c0.map(dense)
        let type = input.dtype
        let tape = try RecurrentTape(kernel, dtype: type)
        // Output, final h and final c share one buffer: the op has one gradient node.
        let bh = batch * hidden, tbh = steps * bh
        let packed = try Tensor(shape: [tbh + bh * (mode == .lstm ? 2 : 1)], dtype: type, zeroed: false, op: op)
        if type == .float32 {
            try kernel.forward(Float.self, x: x, h0: h, c0: c, wih: wih, whh: whh, bih: bih, bhh: bhh, tape: tape, out: packed)
        } else {
            try kernel.forward(Double.self, x: x, h0: h, c0: c, wih: wih, whh: whh, bih: bih, bhh: bhh, tape: tape, out: packed)
        }
        var inputs = [input, h0]
        if let c0 { inputs.append(c0) }
        inputs += w.tensors
        if Tensor.needsGrad(inputs) {
            let saved = (x: x.detach(), wih: wih.detach(), whh: whh.detach())
            let want = RecurrentGrads.Wanted(input: input.requiresGrad, h0: h0.requiresGrad, c0: c0?.requiresGrad ?? false,
                                             weights: w.tensors.contains { $0.requiresGrad })
            let hasC = c0 != nil, hasBih = w.inputBias != nil, hasBhh = w.hiddenBias != nil
            packed.recording(op, inputs) { g in
                let gd = try dense(g.converted(type))
                let r = type == .float32
                    ? try kernel.backward(Float.self, g: gd, x: saved.x, wih: saved.wih, whh: saved.whh, tape: tape, want: want)
                    : try kernel.backward(Double.self, g: gd, x: saved.x, wih: saved.wih, whh: saved.whh, tape: tape, want: want)
                var grads: [Tensor?] = [r.input, r.h0]
                if hasC { grads.append(r.c0) }
                grads += [r.inputWeight, r.hiddenWeight]
                if hasBih { grads.append(r.inputBias) }
                if hasBhh { grads.append(r.hiddenBias) }
                return grads
            }
        }
        let output = try packed.narrow(dim: 0, start: 0, length: tbh).reshape([steps, batch, hidden])
        let hn = try packed.narrow(dim: 0, start: tbh, length: bh).reshape([batch, hidden])
        let cn = mode == .lstm ? try packed.narrow(dim: 0, start: tbh + bh, length: bh).reshape([batch, hidden]) : nil
        return (output, hn, cn)
    }
}

/// Buffers the forward pass keeps for backward through time (all time-indexed, (T, B, ·)).
final class RecurrentTape {
    /// Activated gates per step: LSTM (i, f, g, o), GRU (r, z, n), RNN the new state h'.
    let gates: Tensor      // (T, B, G*H)
    /// The state each step started from.
    let hPrev: Tensor      // (T, B, H)
    let cPrev: Tensor?     // (T, B, H), LSTM
    /// LSTM: tanh of each step's new cell state (h' = o·tanh(c')), reused by backward.
    let cellTanh: Tensor?  // (T, B, H), LSTM
    /// GRU: W_hn h + b_hn, the hidden part of the candidate before the reset gate.
    let hiddenCandidate: Tensor?  // (T, B, H), GRU

    init(_ k: RecurrentKernel, dtype: DType) throws {
        let bh = [k.steps, k.batch, k.hidden]
        gates = try Tensor(shape: [k.steps, k.batch, k.mode.gates * k.hidden], dtype: dtype, zeroed: false, op: k.op)
        hPrev = try Tensor(shape: bh, dtype: dtype, zeroed: false, op: k.op)
        cPrev = k.mode == .lstm ? try Tensor(shape: bh, dtype: dtype, zeroed: false, op: k.op) : nil
        cellTanh = k.mode == .lstm ? try Tensor(shape: bh, dtype: dtype, zeroed: false, op: k.op) : nil
        hiddenCandidate = k.mode == .gru ? try Tensor(shape: bh, dtype: dtype, zeroed: false, op: k.op) : nil
    }
}

/// Gradients of one recurrent layer op.
struct RecurrentGrads {
    struct Wanted: Sendable {
        let input: Bool, h0: Bool, c0: Bool, weights: Bool
    }
    var input: Tensor?, h0: Tensor?, c0: Tensor?
    var inputWeight: Tensor?, hiddenWeight: Tensor?, inputBias: Tensor?, hiddenBias: Tensor?
}

/// The forward and backward loops of one recurrent layer in one direction.
struct RecurrentKernel: Sendable {
    let mode: RecurrentMode
    let steps: Int, batch: Int, inputSize: Int, hidden: Int
    let lengths: [Int]?
    let reverse: Bool
    let op: String

    /// Time index of the s-th step processed.
    @inline(__always) func time(_ s: Int) -> Int { reverse ? steps - 1 - s : s }

    /// Whether sequence b has an element at time t.
    @inline(__always) func active(_ t: Int, _ b: Int) -> Bool {
        guard let lengths else { return true }
        return t < lengths[b]
    }

    // MARK: forward

    /// Runs the layer, writing output (T·B·H), final h (B·H) and final c (B·H) into `out`.
    func forward<T: FloatElement>(_: T.Type, x: Tensor, h0: Tensor, c0: Tensor?, wih: Tensor, whh: Tensor,
                                  bih: Tensor?, bhh: Tensor?, tape: RecurrentTape, out: Tensor) throws {
        let H = hidden, G = mode.gates * hidden, B = batch, bh = B * H
        let gates = tape.gates.pointer(T.self), hPrev = tape.hPrev.pointer(T.self)
        let po = out.pointer(T.self)
        let outputs = po, h = po + steps * bh, c = po + steps * bh + bh
        h.update(from: h0.pointer(T.self), count: bh)
        if let c0 { c.update(from: c0.pointer(T.self), count: bh) }
        // Input projection of every step at once, onto the biases: gates = x W_ihᵀ + b.
        // LSTM and RNN fold both biases in here; GRU keeps b_hh apart (the reset gate scales it).
        var bias = [T](repeating: 0, count: G)
        if let bih { let p = bih.pointer(T.self); for j in 0..<G { bias[j] += p[j] } }
        if mode != .gru, let bhh { let p = bhh.pointer(T.self); for j in 0..<G { bias[j] += p[j] } }
        let rows = steps * B
        bias.withUnsafeBufferPointer { b in
            for r in 0..<rows { (gates + r * G).update(from: b.baseAddress!, count: G) }
        }
        Blas.gemm(false, true, rows, G, inputSize, 1, x.pointer(T.self), inputSize, wih.pointer(T.self), inputSize,
                  1, gates, G)
        let w = whh.pointer(T.self)
        // GRU: the hidden projection of each step (with b_hh) goes to a scratch row block.
        var hiddenGates = [T](repeating: 0, count: mode == .gru ? B * G : 0)
        let hiddenBias: [T] = mode == .gru ? bhh.map { Array(UnsafeBufferPointer(start: $0.pointer(T.self), count: G)) } ?? [] : []
        for s in 0..<steps {
            let t = time(s)
            let gt = gates + t * B * G, hp = hPrev + t * bh, ot = outputs + t * bh
            hp.update(from: h, count: bh)
            if let cPrev = tape.cPrev { (cPrev.pointer(T.self) + t * bh).update(from: c, count: bh) }
            switch mode {
            case .lstm:
                Blas.gemm(false, true, B, G, H, 1, hp, H, w, H, 1, gt, G)
                let tc = tape.cellTanh!.pointer(T.self) + t * bh
                for b in 0..<B {
                    let hb = h + b * H, cb = c + b * H, ob = ot + b * H
                    guard active(t, b) else { ob.update(repeating: 0, count: H); continue }
                    // Gates in place (i, f sigmoid; g tanh; o sigmoid), c' = f c + i g,
                    // h' = o tanh(c'): one vectorized pass over the row.
                    VectorMath.lstmCell(gt + b * G, c: cb, h: hb, out: ob, cellTanh: tc + b * H, H)
                }
            case .rnnTanh, .rnnRelu:
                Blas.gemm(false, true, B, G, H, 1, hp, H, w, H, 1, gt, G)
                let relu = mode == .rnnRelu
                for b in 0..<B {
                    let hb = h + b * H, ob = ot + b * H
                    guard active(t, b) else { ob.update(repeating: 0, count: H); continue }
                    let a = gt + b * G
                    if relu { for j in 0..<H { a[j] = a[j] > 0 ? a[j] : 0 } } else { VectorMath.tanh(a, H) }
                    hb.update(from: a, count: H)
                    ob.update(from: a, count: H)
                }
            case .gru:
                let cand = tape.hiddenCandidate!.pointer(T.self) + t * bh
                hiddenGates.withUnsafeMutableBufferPointer { scratch in
                    let sg = scratch.baseAddress!
                    if hiddenBias.isEmpty { sg.update(repeating: 0, count: B * G) }
                    else { hiddenBias.withUnsafeBufferPointer { hb in for b in 0..<B { (sg + b * G).update(from: hb.baseAddress!, count: G) } } }
                    Blas.gemm(false, true, B, G, H, 1, hp, H, w, H, 1, sg, G)
                    for b in 0..<B {
                        let hb = h + b * H, ob = ot + b * H, cb = cand + b * H
                        guard active(t, b) else { ob.update(repeating: 0, count: H); continue }
                        let a = gt + b * G, u = sg + b * G
                        // r, z = sigmoid(gi + gh); n = tanh(gi_n + r (W_hn h + b_hn)).
                        for j in 0..<2 * H { a[j] += u[j] }
                        VectorMath.sigmoid(a, 2 * H)
                        cb.update(from: u + 2 * H, count: H)
                        for j in 0..<H { a[2 * H + j] += a[j] * cb[j] }
                        VectorMath.tanh(a + 2 * H, H)
                        for j in 0..<H {
                            let z = a[H + j], n = a[2 * H + j]
                            let hNew = n + z * (hb[j] - n)
                            hb[j] = hNew
                            ob[j] = hNew
                        }
                    }
                }
            }
            if s % 64 == 63 { try Interrupt.check(op) }
        }
    }

    // MARK: backward

    /// Backward through time from the gradient of the packed (output, h, c) buffer.
    func backward<T: FloatElement>(_: T.Type, g: Tensor, x: Tensor, wih: Tensor, whh: Tensor, tape: RecurrentTape,
                                   want: RecurrentGrads.Wanted) throws -> RecurrentGrads {
        let H = hidden, G = mode.gates * hidden, B = batch, bh = B * H, rows = steps * B
        let type = T.dtype
        let pg = g.pointer(T.self)
        let gOut = pg, gH = pg + steps * bh, gC = pg + steps * bh + bh
        // Gradients of the gate pre-activations: input side and (GRU only) hidden side.
        let dInput = try Tensor(shape: [rows, G], dtype: type, zeroed: false, op: op)
        let dHiddenT = mode == .gru ? try Tensor(shape: [rows, G], dtype: type, zeroed: false, op: op) : dInput
        let dh = try Tensor(shape: [B, H], dtype: type, zeroed: false, op: op)
        let dc = try Tensor(shape: [B, H], dtype: type, zeroed: mode != .lstm, op: op)
        let pdh = dh.pointer(T.self), pdc = dc.pointer(T.self)
        pdh.update(from: gH, count: bh)
        if mode == .lstm { pdc.update(from: gC, count: bh) }
        let gates = tape.gates.pointer(T.self), hPrev = tape.hPrev.pointer(T.self)
        let dA = dInput.pointer(T.self), dAh = dHiddenT.pointer(T.self)
        let w = whh.pointer(T.self)
        // Scratch: the dh_prev product (B, H).
        let scratch = try Tensor(shape: [bh], dtype: type, zeroed: false, op: op)
        let tmp = scratch.pointer(T.self)
        for s in stride(from: steps - 1, through: 0, by: -1) {
            let t = time(s)
            let gt = gates + t * B * G, go = gOut + t * bh, da = dA + t * B * G, dah = dAh + t * B * G
            for b in 0..<B {
                let db = pdh + b * H, dcb = pdc + b * H, gob = go + b * H
                let a = gt + b * G, d = da + b * G
                guard active(t, b) else {
                    d.update(repeating: 0, count: G)
                    if mode == .gru { (dah + b * G).update(repeating: 0, count: G) }
                    continue
                }
                switch mode {
                case .lstm:
                    let cp = tape.cPrev!.pointer(T.self) + t * bh + b * H
                    let tcs = tape.cellTanh!.pointer(T.self) + t * bh + b * H
                    for j in 0..<H {
                        let i = a[j], f = a[H + j], gg = a[2 * H + j], o = a[3 * H + j]
                        let dhj = db[j] + gob[j]
                        let tc = tcs[j]
                        let dcj = dcb[j] + dhj * o * (1 - tc * tc)
                        d[j] = dcj * gg * i * (1 - i)
                        d[H + j] = dcj * cp[j] * f * (1 - f)
                        d[2 * H + j] = dcj * i * (1 - gg * gg)
                        d[3 * H + j] = dhj * tc * o * (1 - o)
                        dcb[j] = dcj * f
                    }
                case .rnnTanh:
                    for j in 0..<H { let hn = a[j]; d[j] = (db[j] + gob[j]) * (1 - hn * hn) }
                case .rnnRelu:
                    for j in 0..<H { d[j] = a[j] > 0 ? db[j] + gob[j] : 0 }
                case .gru:
                    let hp = hPrev + t * bh + b * H, cand = tape.hiddenCandidate!.pointer(T.self) + t * bh + b * H
                    let dhb = dah + b * G
                    for j in 0..<H {
                        let r = a[j], z = a[H + j], n = a[2 * H + j]
                        let dhj = db[j] + gob[j]
                        let dan = dhj * (1 - z) * (1 - n * n)
                        let dar = dan * cand[j] * r * (1 - r)
                        let daz = dhj * (hp[j] - n) * z * (1 - z)
                        d[j] = dar; d[H + j] = daz; d[2 * H + j] = dan
                        dhb[j] = dar; dhb[H + j] = daz; dhb[2 * H + j] = dan * r
                        db[j] = dhj * z   // the direct path; the gemm below adds the gates' part
                    }
                }
            }
            // dh_prev = dA_h W_hh for the sequences active at t; the others carry dh unchanged.
            // (GRU adds it to the direct path already in dh.) All active: straight into dh.
            if lengths == nil {
                Blas.gemm(false, false, B, H, G, 1, dah, G, w, H, mode == .gru ? 1 : 0, pdh, H)
            } else {
                Blas.gemm(false, false, B, H, G, 1, dah, G, w, H, 0, tmp, H)
                for b in 0..<B where active(t, b) {
                    let db = pdh + b * H, tb = tmp + b * H
                    if mode == .gru { for j in 0..<H { db[j] += tb[j] } } else { db.update(from: tb, count: H) }
                }
            }
            if s % 64 == 0 { try Interrupt.check(op) }
        }
        var r = RecurrentGrads()
        if want.h0 { r.h0 = dh }
        if want.c0 && mode == .lstm { r.c0 = dc }
        if want.input {
            let dx = try Tensor(shape: [steps, B, inputSize], dtype: type, zeroed: rows == 0, op: op)
            Blas.gemm(false, false, rows, inputSize, G, 1, dA, G, wih.pointer(T.self), inputSize, 0, dx.pointer(T.self), inputSize)
            r.input = dx
        }
        if want.weights {
            let dWih = try Tensor(shape: [G, inputSize], dtype: type, zeroed: true, op: op)
            let dWhh = try Tensor(shape: [G, H], dtype: type, zeroed: true, op: op)
            if rows > 0 {
                Blas.gemm(true, false, G, inputSize, rows, 1, dA, G, x.pointer(T.self), inputSize, 0, dWih.pointer(T.self), inputSize)
                Blas.gemm(true, false, G, H, rows, 1, dAh, G, hPrev, H, 0, dWhh.pointer(T.self), H)
            }
            r.inputWeight = dWih
            r.hiddenWeight = dWhh
            r.inputBias = try columnSums(dA, rows: rows, cols: G, type: type)
            r.hiddenBias = mode == .gru ? try columnSums(dAh, rows: rows, cols: G, type: type) : r.inputBias
        }
        return r
    }

    /// Σ over rows of a (rows, cols) matrix → (cols).
    private func columnSums<T: FloatElement>(_ p: UnsafeMutablePointer<T>, rows: Int, cols: Int, type: DType) throws -> Tensor {
        let out = try Tensor(shape: [cols], dtype: type, zeroed: true, op: op)
        let o = out.pointer(T.self)
        for r in 0..<rows {
            let row = p + r * cols
            for j in 0..<cols { o[j] += row[j] }
        }
        return out
    }
}
