/// Scaled dot-product attention, fused: per (batch, head) problem one gemm for the scores, one
/// pass for mask + softmax (+ dropout), one gemm onto the values; the backward is the mirror
/// (four gemms and one pass), from the saved probabilities. Problems run on both cores.
///
/// Shape legend: N problems (batch dims, e.g. B·heads), L queries, S keys, E query/key width,
/// Ev value width.
///
///     let y = try Functional.scaledDotProductAttention(q, k, v, causal: true)   // (B,h,L,E) -> (B,h,L,Ev)
///
/// Masks never receive gradients. A query row whose keys are all masked out attends to nothing:
/// its output (and gradient) is zero rather than NaN.
extension Functional {
    /// PyTorch's `F.scaled_dot_product_attention`: softmax(q kᵀ · scale + mask) v over
    /// q (..., L, E), k (..., S, E), v (..., S, Ev) with equal batch dims. `mask` broadcasts to
    /// (..., L, S): boolean (true = take part) or additive float. `causal` keeps key j ≤ query i
    /// (top-left aligned, as PyTorch). `scale` defaults to 1/√E. Dropout applies to the
    /// probabilities (pass 0 in evaluation).
    public static func scaledDotProductAttention(_ query: Tensor, _ key: Tensor, _ value: Tensor, mask: Tensor? = nil,
                                                 causal: Bool = false, dropout: Double = 0, scale: Double? = nil,
                                                 generator: Generator = .default) throws -> Tensor {
        let op = "scaled_dot_product_attention"
        guard query.rank >= 2, key.rank == query.rank, value.rank == query.rank else {
            throw EngineError(op, "expected query (...,L,E), key (...,S,E) and value (...,S,Ev) of equal rank >= 2; got \(shapeString(query.shape)), \(shapeString(key.shape)), \(shapeString(value.shape))")
        }
        let r = query.rank
        let batch = Array(query.shape.dropLast(2))
        let l = query.shape[r - 2], e = query.shape[r - 1], s = key.shape[r - 2], ev = value.shape[r - 1]
        guard Array(key.shape.dropLast(2)) == batch, Array(value.shape.dropLast(2)) == batch,
              key.shape[r - 1] == e, value.shape[r - 2] == s else {
            throw EngineError(op, "shapes do not fit: query \(shapeString(query.shape)) (...,L,E), key \(shapeString(key.shape)) (...,S,E), value \(shapeString(value.shape)) (...,S,Ev)")
        }
        let problem = AttentionProblem(batch: batch, queries: l, keys: s, width: e, valueWidth: ev)
        var masks: [Tensor] = []
        if let mask { masks.append(try additiveMask(mask, trueMeansKeep: true, dtype: query.dtype, to: problem, op: op)) }
        return try attention(op: op, query, key, value, problem: problem, outShape: batch + [l, ev], heads: nil, masks: masks,
                             causalOffset: causal ? 0 : nil, scale: scale ?? 1 / Double(e).squareRoot(),
                             dropout: dropout, generator: generator, needWeights: false).output
    }

    /// The attention of PyTorch's `nn.MultiheadAttention` after the input projections:
    /// q (B, L, heads·E), k (B, S, heads·E), v (B, S, heads·Ev) are split into heads without a
    /// copy and the result is (B, L, heads·Ev), ready for the output projection. Masks follow
    /// MultiheadAttention: `attnMask` (L, S) or (B·heads, L, S) and `keyPaddingMask` (B, S),
    /// boolean (true = masked out) or additive float. `causalOffset` k keeps key j ≤ query i + k
    /// (0 for self-attention; S − L when the keys include L earlier cached positions).
    /// With `needWeights`, also returns the attention probabilities (B, heads, L, S) (after
    /// dropout, as PyTorch) — differentiable.
    public static func multiHeadAttention(query: Tensor, key: Tensor, value: Tensor, heads: Int, attnMask: Tensor? = nil,
                                          keyPaddingMask: Tensor? = nil, causalOffset: Int? = nil, dropout: Double = 0,
                                          scale: Double? = nil, needWeights: Bool = false,
                                          generator: Generator = .default) throws -> (output: Tensor, weights: Tensor?) {
        try multiHeadAttention(query: query, key: key, value: value, packed: nil, heads: heads, attnMask: attnMask,
                               keyPaddingMask: keyPaddingMask, causalOffset: causalOffset, dropout: dropout, scale: scale,
                               needWeights: needWeights, generator: generator)
    }

    /// Self-attention from the packed in-projection qkv (B, L, 3·D) (columns q | k | v, as
    /// `x W_inᵀ` with PyTorch's in_proj_weight): the same as `multiHeadAttention` on its three
    /// column blocks, with the gradient written straight into one (B, L, 3·D) buffer.
    public static func multiHeadSelfAttention(packed qkv: Tensor, heads: Int, attnMask: Tensor? = nil,
                                              keyPaddingMask: Tensor? = nil, causalOffset: Int? = nil, dropout: Double = 0,
                                              scale: Double? = nil, needWeights: Bool = false,
                                              generator: Generator = .default) throws -> (output: Tensor, weights: Tensor?) {
        let op = "multi_head_attention"
        guard qkv.rank == 3, qkv.shape[2] % 3 == 0 else {
            throw EngineError(op, "expected a packed projection (B,L,3*D); got \(shapeString(qkv.shape))")
        }
        let base = try dense(qkv)
        let d = qkv.shape[2] / 3
        let parts = (0..<3).map { c in
            base.makeView(shape: [qkv.shape[0], qkv.shape[1], d], strides: base.strides, offset: base.offset + c * d)
        }
        return try multiHeadAttention(query: parts[0], key: parts[1], value: parts[2], packed: (qkv, base), heads: heads,
                                      attnMask: attnMask, keyPaddingMask: keyPaddingMask, causalOffset: causalOffset,
                                      dropout: dropout, scale: scale, needWeights: needWeights, generator: generator)
    }

    private static func multiHeadAttention(query: Tensor, key: Tensor, value: Tensor, packed: (input: Tensor, dense: Tensor)?,
                                           heads: Int, attnMask: Tensor?, keyPaddingMask: Tensor?, causalOffset: Int?,
                                           dropout: Double, scale: Double?, needWeights: Bool,
                                           generator: Generator) throws -> (output: Tensor, weights: Tensor?) {
        let op = "multi_head_attention"
        guard query.rank == 3, key.rank == 3, value.rank == 3 else {
            throw EngineError(op, "expected query (B,L,D), key (B,S,D) and value (B,S,Dv); got \(shapeString(query.shape)), \(shapeString(key.shape)), \(shapeString(value.shape))")
        }
        let b = query.shape[0], l = query.shape[1], d = query.shape[2], s = key.shape[1], dv = value.shape[2]
        guard heads >= 1, d % heads == 0, dv % heads == 0 else {
            throw EngineError(op, "embedding sizes \(d) and \(dv) must be divisible by num_heads=\(heads)")
        }
        guard key.shape[0] == b, value.shape[0] == b, key.shape[2] == d, value.shape[1] == s else {
            throw EngineError(op, "shapes do not fit: query \(shapeString(query.shape)) (B,L,D), key \(shapeString(key.shape)) (B,S,D), value \(shapeString(value.shape)) (B,S,Dv)")
        }
        let e = d / heads
        let problem = AttentionProblem(batch: [b, heads], queries: l, keys: s, width: e, valueWidth: dv / heads)
        var masks: [Tensor] = []
        if let m = attnMask {
            var mm = m
            if m.rank == 3 {
                guard m.shape == [b * heads, l, s] else {
                    throw EngineError(op, "expected a 3-d attn_mask of shape \(shapeString([b * heads, l, s])) (B*num_heads, L, S); got \(shapeString(m.shape))")
                }
                mm = try m.reshape([b, heads, l, s])
            } else if m.rank != 2 || m.shape != [l, s] {
                throw EngineError(op, "expected attn_mask of shape \(shapeString([l, s])) (L, S) or \(shapeString([b * heads, l, s])); got \(shapeString(m.shape))")
            }
            masks.append(try additiveMask(mm, trueMeansKeep: false, dtype: query.dtype, to: problem, op: op))
        }
        if let m = keyPaddingMask {
            guard m.shape == [b, s] else {
                throw EngineError(op, "expected key_padding_mask of shape \(shapeString([b, s])) (B, S); got \(shapeString(m.shape))")
            }
            masks.append(try additiveMask(m.reshape([b, 1, 1, s]), trueMeansKeep: false, dtype: query.dtype, to: problem, op: op))
        }
        return try attention(op: op, query, key, value, packed: packed, problem: problem, outShape: [b, l, dv], heads: heads,
                             masks: masks, causalOffset: causalOffset, scale: scale ?? 1 / Double(e).squareRoot(),
                             dropout: dropout, generator: generator, needWeights: needWeights)
    }

    /// A boolean or float mask as an additive float mask of `dtype`, broadcast to the problems'
    /// (batch..., L, S) (a view: broadcast dims keep stride 0).
    static func additiveMask(_ mask: Tensor, trueMeansKeep: Bool, dtype: DType, to p: AttentionProblem,
                             op: String) throws -> Tensor {
        let target = p.batch + [p.queries, p.keys]
        var additive: Tensor
        if mask.dtype == .bool {
            let m = try mask.contiguous()
            additive = try Tensor(shape: m.shape, dtype: dtype, zeroed: false, op: op)
            let src = m.pointer(UInt8.self), n = m.numel
            let blocked = trueMeansKeep ? UInt8(0) : UInt8(1)
            if dtype == .float32 {
                let dst = additive.pointer(Float.self)
                for i in 0..<n { dst[i] = src[i] == blocked ? -.infinity : 0 }
            } else {
                let dst = additive.pointer(Double.self)
                for i in 0..<n { dst[i] = src[i] == blocked ? -.infinity : 0 }
            }
        } else if mask.dtype.isFloatingPoint {
            additive = try mask.detach().converted(dtype)
        } else {
            throw EngineError(op, "masks must be boolean or floating point; got \(mask.dtype)")
        }
        guard additive.rank <= target.count else {
            throw EngineError(op, "mask of shape \(shapeString(mask.shape)) does not broadcast to \(shapeString(target))")
        }
        return try additive.broadcastView(to: target, op: op)
    }

    /// Shared driver: validates dtypes, allocates outputs, runs the kernel, records backward.
    /// `heads` nil: tensors are (batch..., rows, cols) as given; otherwise (B, rows, heads·cols)
    /// split into (B, heads, rows, cols) views.
    /// `packed`: q, k and v are unrecorded views of `packed.dense`, the contiguous form of the
    /// recorded input `packed.input`, whose gradient is then one buffer.
    private static func attention(op: String, _ query: Tensor, _ key: Tensor, _ value: Tensor,
                                  packed: (input: Tensor, dense: Tensor)? = nil, problem p: AttentionProblem,
                                  outShape: [Int], heads: Int?, masks: [Tensor], causalOffset: Int?, scale: Double,
                                  dropout: Double, generator: Generator, needWeights: Bool) throws -> (output: Tensor, weights: Tensor?) {
        try requireFloat(query, "query", op: op)
        guard key.dtype == query.dtype, value.dtype == query.dtype else {
            throw EngineError(op, "query, key and value must share a dtype; got \(query.dtype), \(key.dtype), \(value.dtype)")
        }
        guard dropout >= 0 && dropout <= 1 else { throw EngineError(op, "dropout must be in [0, 1]; got \(dropout)") }
        guard scale.isFinite else { throw EngineError(op, "scale must be finite; got \(scale)") }
        let type = query.dtype
        func view(_ t: Tensor) -> Tensor {
            guard let h = heads else { return t }
            let b = t.shape[0], rows = t.shape[1], cols = t.shape[2] / h
            return t.makeView(shape: [b, h, rows, cols], strides: [t.strides[0], cols * t.strides[2], t.strides[1], t.strides[2]],
                              offset: t.offset)
        }
        // BLAS reads each problem's matrix with unit column stride.
        func unitColumns(_ t: Tensor) throws -> Tensor { t.strides.last == 1 || t.numel == 0 ? t : try t.castCopy(to: t.dtype) }
        let q = try unitColumns(query), k = try unitColumns(key), v = try unitColumns(value)
        let n = p.count, ls = p.queries * p.keys
        let outCount = outShape.reduce(1, *)
        // With weights, output and probabilities share one buffer (one gradient node).
        let buffer = try Tensor(shape: [outCount + (needWeights ? n * ls : 0)], dtype: type, zeroed: false, op: op)
        let out = buffer.makeView(shape: outShape, strides: Shape.contiguousStrides(outShape), offset: 0)
        let keep: Tensor? = dropout > 0
            ? try Tensor.bernoulli([n, p.queries, p.keys], p: 1 - dropout, dtype: type, generator: generator)
                .mul(scalar: dropout < 1 ? 1 / (1 - dropout) : 0)
            : nil
        // The returned weights (after dropout) live in the buffer; the softmax output kept for
        // backward is the same memory unless dropout changed it.
        let weightsView = needWeights
            ? buffer.makeView(shape: [n, p.queries, p.keys], strides: [ls, p.keys, 1], offset: outCount) : nil
        let probs: Tensor
        if let weightsView, keep == nil { probs = weightsView }
        else { probs = try Tensor(shape: [n, p.queries, p.keys], dtype: type, zeroed: false, op: op) }
        let kernel = AttentionKernel(problem: p, q: view(q), k: view(k), v: view(v), masks: masks, causalOffset: causalOffset,
                                     scale: scale, op: op)
        let dropped = keep != nil ? weightsView : nil
        if type == .float32 { try kernel.forward(Float.self, out: view(out), probs: probs, keep: keep, dropped: dropped) }
        else { try kernel.forward(Double.self, out: view(out), probs: probs, keep: keep, dropped: dropped) }
        let result = needWeights ? buffer : out
        let inputs = packed.map { [$0.input] } ?? [query, key, value]
        if Tensor.needsGrad(inputs) {
            let savedProbs = probs.detach()
            let want = (query.requiresGrad, key.requiresGrad, value.requiresGrad)
            let packedShape = packed?.dense.shape, packedOffset = packed?.dense.offset ?? 0
            let layouts = [query, key, value].map { (shape: $0.shape, strides: $0.strides, offset: $0.offset - packedOffset) }
            result.recording(op, inputs) { g in
                let gd = try dense(g.converted(type))
                let gOut = gd.makeView(shape: outShape, strides: Shape.contiguousStrides(outShape), offset: gd.offset)
                let gWeights = needWeights ? gd.makeView(shape: [n, p.queries, p.keys], strides: [ls, p.keys, 1], offset: gd.offset + outCount) : nil
                // Separate gradients, or views of one packed gradient at q, k and v's places.
                let whole = try packedShape.map { try Tensor(shape: $0, dtype: type, zeroed: false, op: op) }
                let grads = try layouts.map { l in
                    try whole.map { $0.makeView(shape: l.shape, strides: l.strides, offset: l.offset) }
                        ?? Tensor(shape: l.shape, dtype: type, zeroed: false, op: op)
                }
                let dq = grads[0], dk = grads[1], dv = grads[2]
                if type == .float32 {
                    try kernel.backward(Float.self, gOut: view(gOut), gWeights: gWeights, probs: savedProbs, keep: keep,
                                        dq: view(dq), dk: view(dk), dv: view(dv))
                } else {
                    try kernel.backward(Double.self, gOut: view(gOut), gWeights: gWeights, probs: savedProbs, keep: keep,
                                        dq: view(dq), dk: view(dk), dv: view(dv))
                }
                if let whole { return [whole] }
                return [want.0 ? dq : nil, want.1 ? dk : nil, want.2 ? dv : nil]
            }
        }
        if !needWeights { return (out, nil) }
        let o = try buffer.narrow(dim: 0, start: 0, length: outCount).reshape(outShape)
        let w = try buffer.narrow(dim: 0, start: outCount, length: n * ls).reshape(p.batch + [p.queries, p.keys])
        return (o, w)
    }
}

/// Sizes of a batch of attention problems.
struct AttentionProblem: Sendable {
    let batch: [Int]
    let queries: Int, keys: Int, width: Int, valueWidth: Int
    var count: Int { batch.reduce(1, *) }
}

/// Offsets (in elements) of each problem's matrix in a strided (batch..., rows, cols) view,
/// plus the row stride BLAS reads as the leading dimension.
struct ProblemMatrices: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let offsets: [Int]
    let rowStride: Int
    let columnStride: Int

    init(_ t: Tensor, batchRank: Int) {
        base = t.storage.bytes
        let batch = Array(t.shape.prefix(batchRank))
        let count = batch.reduce(1, *)
        var offsets = [Int](repeating: t.offset, count: count)
        var index = [Int](repeating: 0, count: batchRank)
        for i in 0..<count {
            var o = t.offset
            for d in 0..<batchRank { o += index[d] * t.strides[d] }
            offsets[i] = o
            var d = batchRank - 1
            while d >= 0 { index[d] += 1; if index[d] < batch[d] { break }; index[d] = 0; d -= 1 }
        }
        self.offsets = offsets
        let rows = t.shape[batchRank], cols = t.shape[batchRank + 1]
        // A one-row matrix may carry any row stride; BLAS needs lda >= cols.
        rowStride = rows <= 1 ? Swift.max(cols, 1) : t.strides[batchRank]
        columnStride = t.strides[batchRank + 1]
    }

    @inline(__always) func pointer<T>(_ n: Int, _: T.Type) -> UnsafeMutablePointer<T> {
        base.assumingMemoryBound(to: T.self) + offsets[n]
    }
}

/// The forward and backward loops over attention problems.
struct AttentionKernel: Sendable {
    let problem: AttentionProblem
    let q: ProblemMatrices, k: ProblemMatrices, v: ProblemMatrices
    /// Additive masks as (offsets, row stride, column stride) over (batch..., L, S).
    let masks: [ProblemMatrices]
    let causalOffset: Int?
    let scale: Double
    let op: String

    init(problem: AttentionProblem, q: Tensor, k: Tensor, v: Tensor, masks: [Tensor], causalOffset: Int?, scale: Double, op: String) {
        let r = problem.batch.count
        self.problem = problem
        self.q = ProblemMatrices(q, batchRank: r)
        self.k = ProblemMatrices(k, batchRank: r)
        self.v = ProblemMatrices(v, batchRank: r)
        self.masks = masks.map { m in
            var pm = ProblemMatrices(m, batchRank: r)
            // Keep the mask's true row stride (0 when broadcast over queries).
            pm = ProblemMatrices(base: pm.base, offsets: pm.offsets, rowStride: m.strides[r], columnStride: m.strides[r + 1])
            return pm
        }
        self.causalOffset = causalOffset
        self.scale = scale
        self.op = op
    }

    private var work: Int { problem.count * problem.queries * problem.keys * (problem.width + problem.valueWidth + 4) }

    // MARK: forward

    /// Writes the outputs into `out` (a (batch..., L, Ev) view) and the softmax probabilities
    /// into `probs` (N, L, S). With dropout (`keep`: 0 or 1/(1-p) per weight), the values are
    /// weighted by probs·keep, written to `dropped` (N, L, S) when given (returned weights).
    func forward<T: FloatElement>(_: T.Type, out: Tensor, probs: Tensor, keep: Tensor?, dropped: Tensor?) throws {
        let p = problem, L = p.queries, S = p.keys, E = p.width, Ev = p.valueWidth, ls = L * S
        let o = ProblemMatrices(out, batchRank: p.batch.count)
        let pp = probs.pointer(T.self)
        let pk = keep?.pointer(T.self), pdrop = dropped?.pointer(T.self)
        let chunks = Functional.chunkCount(p.count, work: work)
        let scratchSize = keep != nil && dropped == nil ? ls : 0
        try Functional.forChunks(p.count, chunks: chunks, op: op, blas: chunks > 1) { _, range in
            var scratch = [T](repeating: 0, count: scratchSize)
            scratch.withUnsafeMutableBufferPointer { sb in
                for n in range {
                    let P = pp + n * ls
                    if S == 0 || L == 0 { continue }
                    Blas.gemm(false, true, L, S, E, T(scale), q.pointer(n, T.self), q.rowStride, k.pointer(n, T.self), k.rowStride,
                              0, P, S)
                    for i in 0..<L { maskedSoftmaxRow(P + i * S, n: n, i: i) }
                    var weights = UnsafePointer(P)
                    if let pk {
                        let kp = pk + n * ls
                        let d = pdrop.map { $0 + n * ls } ?? sb.baseAddress!
                        for j in 0..<ls { d[j] = P[j] * kp[j] }
                        weights = UnsafePointer(d)
                    }
                    Blas.gemm(false, false, L, Ev, S, 1, weights, S, v.pointer(n, T.self), v.rowStride, 0, o.pointer(n, T.self), o.rowStride)
                }
            }
            if S == 0 {
                for n in range { for i in 0..<L { o.pointer(n, T.self).advanced(by: i * o.rowStride).update(repeating: 0, count: Ev) } }
            }
        }
    }

    /// Adds the masks, applies the causal limit, and replaces the row by its softmax (zeros when
    /// every key is masked out).
    @inline(__always)
    private func maskedSoftmaxRow<T: FloatElement>(_ row: UnsafeMutablePointer<T>, n: Int, i: Int) {
        let S = problem.keys
        for m in masks {
            let mp = m.pointer(n, T.self) + i * m.rowStride
            let cs = m.columnStride
            if cs == 1 { for j in 0..<S { row[j] += mp[j] } }
            else { for j in 0..<S { row[j] += mp[j * cs] } }
        }
        var limit = S
        if let c = causalOffset { limit = Swift.max(0, Swift.min(S, i + c + 1)) }
        var m = -T.infinity
        for j in 0..<limit where row[j] > m { m = row[j] }
        if m == -T.infinity || m.isNaN {
            row.update(repeating: m.isNaN ? m : 0, count: S)
            return
        }
        let inv = 1 / VectorMath.expShifted(row, limit, shift: m)
        for j in 0..<limit { row[j] *= inv }
        if limit < S { (row + limit).update(repeating: 0, count: S - limit) }
    }

    // MARK: backward

    /// Gradients of q, k, v (written through their (batch..., rows, cols) views) from the
    /// output gradient and, when weights were returned, their gradient (N, L, S).
    func backward<T: FloatElement>(_: T.Type, gOut: Tensor, gWeights: Tensor?, probs: Tensor, keep: Tensor?,
                                   dq: Tensor, dk: Tensor, dv: Tensor) throws {
        let p = problem, L = p.queries, S = p.keys, E = p.width, Ev = p.valueWidth, ls = L * S
        let r = p.batch.count
        let go = ProblemMatrices(gOut, batchRank: r)
        let gq = ProblemMatrices(dq, batchRank: r), gk = ProblemMatrices(dk, batchRank: r), gv = ProblemMatrices(dv, batchRank: r)
        let pp = probs.pointer(T.self), pk = keep?.pointer(T.self), pw = gWeights?.pointer(T.self)
        let chunks = Functional.chunkCount(p.count, work: 2 * work)
        try Functional.forChunks(p.count, chunks: chunks, op: op, blas: chunks > 1) { _, range in
            var scratch = [T](repeating: 0, count: 2 * ls)
            scratch.withUnsafeMutableBufferPointer { sb in
                let dP = sb.baseAddress!, pd = sb.baseAddress! + ls
                for n in range {
                    let P = pp + n * ls
                    if L == 0 { 
                        for j in 0..<S { gk.pointer(n, T.self).advanced(by: j * gk.rowStride).update(repeating: 0, count: E) }
                        for j in 0..<S { gv.pointer(n, T.self).advanced(by: j * gv.rowStride).update(repeating: 0, count: Ev) }
                        continue
                    }
                    if S == 0 {
                        for i in 0..<L { gq.pointer(n, T.self).advanced(by: i * gq.rowStride).update(repeating: 0, count: E) }
                        continue
                    }
                    // The weights the values were multiplied by (after dropout); P is the softmax.
                    var weights = UnsafePointer(P)
                    let soft = UnsafePointer(P)
                    if let pk {
                        let kp = pk + n * ls
                        for j in 0..<ls { pd[j] = P[j] * kp[j] }
                        weights = UnsafePointer(pd)
                    }
                    // dV = weightsᵀ gOut; dWeights = gOut Vᵀ.
                    Blas.gemm(true, false, S, Ev, L, 1, weights, S, go.pointer(n, T.self), go.rowStride, 0, gv.pointer(n, T.self), gv.rowStride)
                    Blas.gemm(false, true, L, S, Ev, 1, go.pointer(n, T.self), go.rowStride, v.pointer(n, T.self), v.rowStride, 0, dP, S)
                    if let pw { let w = pw + n * ls; for j in 0..<ls { dP[j] += w[j] } }
                    if let pk { let kp = pk + n * ls; for j in 0..<ls { dP[j] *= kp[j] } }
                    // Softmax backward per row: dS = soft * (dP - Σ dP·soft).
                    for i in 0..<L {
                        let d = dP + i * S, y = soft + i * S
                        var dot: T = 0
                        for j in 0..<S { dot += d[j] * y[j] }
                        for j in 0..<S { d[j] = y[j] * (d[j] - dot) }
                    }
                    Blas.gemm(false, false, L, E, S, T(scale), dP, S, k.pointer(n, T.self), k.rowStride, 0, gq.pointer(n, T.self), gq.rowStride)
                    Blas.gemm(true, false, S, E, L, T(scale), dP, S, q.pointer(n, T.self), q.rowStride, 0, gk.pointer(n, T.self), gk.rowStride)
                }
            }
        }
    }
}

extension ProblemMatrices {
    init(base: UnsafeMutableRawPointer, offsets: [Int], rowStride: Int, columnStride: Int) {
        self.base = base
        self.offsets = offsets
        self.rowStride = rowStride
        self.columnStride = columnStride
    }
}
