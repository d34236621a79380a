#if canImport(Glibc)
import Glibc
#endif

// Gradient clipping over the `.grad` of a set of parameters, in place (PyTorch's
// `torch.nn.utils.clip_grad_norm_` and `clip_grad_value_`). Parameters without a gradient are
// skipped.

/// Scales all gradients by `min(1, maxNorm / (total + 1e-6))`, where `total` is the `normType`
/// norm of all gradients taken together (2 by default; `.infinity` for the largest magnitude;
/// any p > 0). Returns `total` (0 when no parameter has a gradient). With `errorIfNonfinite`, a
/// NaN or infinite total throws before anything is scaled.
@discardableResult
public func clipGradNorm(_ params: [Tensor], maxNorm: Double, normType: Double = 2,
                         errorIfNonfinite: Bool = false) throws -> Double {
    let op = "clip_grad_norm"
    guard maxNorm >= 0 else { throw EngineError(op, "max_norm must be non-negative; got \(maxNorm)") }
    guard normType > 0 else { throw EngineError(op, "norm_type must be positive or inf; got \(normType)") }
    let grads = try GradClip.gradients(params, op: op)
    if grads.isEmpty { return 0 }
    let kind: GradClip.Norm = normType == .infinity ? .inf : normType == 2 ? .two : normType == 1 ? .one : .p(normType)
    var total = 0.0
    for g in grads { total = GradClip.combine(total, try GradClip.partialNorm(g, kind), kind) }
    switch kind {
    case .two: total = total.squareRoot()
    case .p(let q): total = pow(total, 1 / q)
    case .one, .inf: break
    }
    if errorIfNonfinite && !total.isFinite {
        throw EngineError(op, "the total norm of order \(normType) of the gradients is non-finite (\(total)), so they cannot be clipped; pass errorIfNonfinite: false to scale anyway")
    }
    let coefficient = min(maxNorm / (total + 1e-6), 1)
    for g in grads { try GradClip.inPlace(g, .scale(coefficient)) }
    return total
}

/// Clamps every gradient element into `[-clipValue, clipValue]` in place (NaN stays NaN).
public func clipGradValue(_ params: [Tensor], clipValue: Double) throws {
    let op = "clip_grad_value"
    guard clipValue >= 0 else { throw EngineError(op, "clip_value must be non-negative; got \(clipValue)") }
    for g in try GradClip.gradients(params, op: op) { try GradClip.inPlace(g, .clamp(clipValue)) }
}

/// Kernels of the clipping functions.
enum GradClip {
    enum Norm { case one, two, inf, p(Double) }
    enum Update { case scale(Double), clamp(Double) }

    /// The gradients present, checked to be floating point.
    static func gradients(_ params: [Tensor], op: String) throws -> [Tensor] {
        var out: [Tensor] = []
        for (i, p) in params.enumerated() {
            guard let g = p.grad else { continue }
            guard g.dtype.isFloatingPoint else {
                throw EngineError(op, "gradient of parameter \(i) must be floating point; got \(g.dtype)")
            }
            out.append(g)
        }
        return out
    }

    /// Combines partial results: sums of |x|^p, or maxima of |x| (NaN wins).
    @inline(__always)
    static func combine(_ a: Double, _ b: Double, _ kind: Norm) -> Double {
        if case .inf = kind { return a.isNaN || b.isNaN ? .nan : Swift.max(a, b) }
        return a + b
    }

    /// Σ|x|^p (p = 1, 2, q) or max|x| over `g` in double precision, in fixed 16K-element blocks
    /// (both cores for large gradients) combined in order: the bits never depend on threads.
    static func partialNorm(_ g: Tensor, _ kind: Norm) throws -> Double {
        let c = g.isContiguous ? g : try g.castCopy(to: g.dtype)
        let count = c.numel, block = 1 << 14
        let blocks = (count + block - 1) / block
        func blockValue<T: FloatElement>(_ x: UnsafeMutablePointer<T>, _ range: Range<Int>) -> Double {
            var acc = 0.0
            switch kind {
            case .one: for i in range { acc += Swift.abs(x[i].asDouble) }
            case .two: for i in range { let v = x[i].asDouble; acc += v * v }
            case .p(let q): for i in range { acc += pow(Swift.abs(x[i].asDouble), q) }
            case .inf:
                for i in range {
                    let v = Swift.abs(x[i].asDouble)
                    if v.isNaN { return .nan }
                    if v > acc { acc = v }
                }
            }
            return acc
        }
        func run<T: FloatElement>(_ x: UnsafeMutablePointer<T>) -> Double {
            var partial = [Double](repeating: 0, count: blocks)
            partial.withUnsafeMutableBufferPointer { out in
                guard let base = out.baseAddress else { return }
                let body = { (range: Range<Int>) in
                    for b in range { base[b] = blockValue(x, (b * block)..<Swift.min((b + 1) * block, count)) }
                }
                if count >= Parallel.elementwiseThreshold { Parallel.forRanges(count: blocks, body) } else { body(0..<blocks) }
            }
            return partial.reduce(0) { combine($0, $1, kind) }
        }
        return c.dtype == .float32 ? run(c.pointer(Float.self)) : run(c.pointer(Double.self))
    }

    /// Scales or clamps every element of `g` in place (any layout), in `g`'s precision.
    static func inPlace(_ g: Tensor, _ update: Update) throws {
        let c = g.isContiguous ? g : try g.castCopy(to: g.dtype)
        func run<T: FloatElement>(_ x: UnsafeMutablePointer<T>) {
            switch update {
            case .scale(let s):
                let k = T(s)
                Elementwise.run(count: c.numel) { range in for i in range { x[i] = x[i] * k } }
            case .clamp(let limit):
                let hi = T(limit), lo = -hi
                Elementwise.run(count: c.numel) { range in
                    for i in range { let v = x[i]; x[i] = v < lo ? lo : (v > hi ? hi : v) }
                }
            }
        }
        if c.dtype == .float32 { run(c.pointer(Float.self)) } else { run(c.pointer(Double.self)) }
        if c !== g { try g.assign(from: c, op: "clip_grad") } else { g.storage.bumpVersion() }
    }
}
