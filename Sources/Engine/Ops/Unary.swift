/// Elementwise math functions. Each kind gives its value and its derivative, written from the
/// saved input `x` or output `y` (whichever is cheaper), so backward is one fused pass.
enum UnaryMath: String {
    case neg, abs, exp, log, log1p, sqrt, rsqrt, sin, cos, tanh, sigmoid, relu, gelu, silu, softplus

    /// True when the derivative is written in terms of the output.
    var derivativeFromOutput: Bool {
        switch self {
        case .exp, .sqrt, .rsqrt, .tanh, .sigmoid: return true
        default: return false
        }
    }

    /// Kinds that keep integer dtypes (the rest turn integers into float32).
    var keepsIntegers: Bool { self == .neg || self == .abs || self == .relu }

    @inline(__always)
    static func value<T: FloatElement>(_ kind: UnaryMath, _ x: T) -> T {
        switch kind {
        case .neg: return -x
        case .abs: return Swift.abs(x)
        case .exp: return T.exp(x)
        case .log: return T.log(x)
        case .log1p: return T.log1p(x)
        case .sqrt: return T.sqrt(x)
        case .rsqrt: return 1 / T.sqrt(x)
        case .sin: return T.sin(x)
        case .cos: return T.cos(x)
        case .tanh: return T.tanh(x)
        case .sigmoid: return x >= 0 ? 1 / (1 + T.exp(-x)) : T.exp(x) / (1 + T.exp(x))
        case .relu: return x > 0 ? x : (x.isNaN ? x : 0)
        case .gelu: return x * 0.5 * (1 + T.erf(x * T(0.7071067811865476)))
        case .silu: return x / (1 + T.exp(-x))
        // softplus(x) = log(1 + e^x), linear above threshold 20 (PyTorch's default).
        case .softplus: return x > 20 ? x : T.log1p(T.exp(x))
        }
    }

    /// dy/dx given the saved value `s` (x, or y when `derivativeFromOutput`).
    @inline(__always)
    static func derivative<T: FloatElement>(_ kind: UnaryMath, _ s: T) -> T {
        switch kind {
        case .neg: return -1
        case .abs: return s > 0 ? 1 : (s < 0 ? -1 : 0)
        case .exp: return s
        case .log: return 1 / s
        case .log1p: return 1 / (1 + s)
        case .sqrt: return 1 / (2 * s)
        case .rsqrt: return -0.5 * s * s * s
        case .sin: return T.cos(s)
        case .cos: return -T.sin(s)
        case .tanh: return 1 - s * s
        case .sigmoid: return s * (1 - s)
        case .relu: return s > 0 ? 1 : 0
        case .gelu:
            let cdf = 0.5 * (1 + T.erf(s * T(0.7071067811865476)))
            let pdf = T.exp(-0.5 * s * s) * T(0.3989422804014327)
            return cdf + s * pdf
        case .silu:
            let sig = 1 / (1 + T.exp(-s))
            return sig * (1 + s * (1 - sig))
        case .softplus: return s > 20 ? 1 : 1 / (1 + T.exp(-s))
        }
    }

    static func forward(_ kind: UnaryMath, _ x: Tensor, _ out: Tensor) {
        switch out.dtype {
        case .float32 where kind == .relu: Elementwise.map(x, into: out, functor: ReluFunctor<Float>())
        case .float64 where kind == .relu: Elementwise.map(x, into: out, functor: ReluFunctor<Double>())
        case .float32: Elementwise.map(x, into: out, functor: UnaryMathFunctor<Float>(kind: kind))
        case .float64: Elementwise.map(x, into: out, functor: UnaryMathFunctor<Double>(kind: kind))
        case .int64: integer(kind, x, out, Int64.self)
        case .int32: integer(kind, x, out, Int32.self)
        case .int8: integer(kind, x, out, Int8.self)
        case .uint8, .bool: integer(kind, x, out, UInt8.self)
        }
    }

    /// neg/abs/relu on integer tensors.
    private static func integer<T: Element>(_ kind: UnaryMath, _ x: Tensor, _ out: Tensor, _: T.Type) {
        Elementwise.map(x, into: out) { (v: T) -> T in
            switch kind {
            case .neg: return T.sub(T.zero, v)
            case .abs: return T.lessThan(v, T.zero) ? T.sub(T.zero, v) : v
            default: return T.lessThan(T.zero, v) ? v : T.zero
            }
        }
    }

    /// g * dy/dx as one pass over (g, saved).
    static func backward(_ kind: UnaryMath, _ g: Tensor, _ saved: Tensor) throws -> Tensor {
        let s = try saved.broadcastView(to: g.shape, op: kind.rawValue)
        let out = try Tensor(shape: g.shape, dtype: g.dtype, zeroed: false, op: kind.rawValue)
        switch g.dtype {
        case .float32 where kind == .relu: Elementwise.map(g, s, into: out, functor: ReluDerivativeFunctor<Float>())
        case .float64 where kind == .relu: Elementwise.map(g, s, into: out, functor: ReluDerivativeFunctor<Double>())
        case .float32: Elementwise.map(g, s, into: out, functor: UnaryDerivativeFunctor<Float>(kind: kind))
        case .float64: Elementwise.map(g, s, into: out, functor: UnaryDerivativeFunctor<Double>(kind: kind))
        default: throw EngineError(kind.rawValue, "gradient must be floating point; got \(g.dtype)")
        }
        return out
    }
}

extension Tensor {
    func unary(_ kind: UnaryMath) throws -> Tensor {
        if dtype == .bool && kind.keepsIntegers { return try converted(.int64).unary(kind) }
        let type = kind.keepsIntegers ? dtype : dtype.floatingResult
        let x = try converted(type)
        let out = try Tensor(shape: shape, dtype: type, zeroed: false, op: kind.rawValue)
        UnaryMath.forward(kind, x, out)
        if Tensor.needsGrad(self) {
            let saved = kind.derivativeFromOutput ? out.detach() : x.detach()
            out.recording(kind.rawValue, [self]) { g in [try UnaryMath.backward(kind, g, saved)] }
        }
        return out
    }

    public func neg() throws -> Tensor { try unary(.neg) }
    public func abs() throws -> Tensor { try unary(.abs) }
    public func exp() throws -> Tensor { try unary(.exp) }
    public func log() throws -> Tensor { try unary(.log) }
    public func log1p() throws -> Tensor { try unary(.log1p) }
    public func sqrt() throws -> Tensor { try unary(.sqrt) }
    public func rsqrt() throws -> Tensor { try unary(.rsqrt) }
    public func sin() throws -> Tensor { try unary(.sin) }
    public func cos() throws -> Tensor { try unary(.cos) }
    public func tanh() throws -> Tensor { try unary(.tanh) }
    public func sigmoid() throws -> Tensor { try unary(.sigmoid) }
    public func relu() throws -> Tensor { try unary(.relu) }
    /// Exact (erf) GELU, PyTorch's default.
    public func gelu() throws -> Tensor { try unary(.gelu) }
    public func silu() throws -> Tensor { try unary(.silu) }
    /// log(1 + exp(x)) with beta 1 and threshold 20.
    public func softplus() throws -> Tensor { try unary(.softplus) }

    /// Limits values to `[min, max]` (either bound optional). Gradient passes where not clipped.
    public func clamp(min lo: Double? = nil, max hi: Double? = nil) throws -> Tensor {
        guard lo != nil || hi != nil else { throw EngineError("clamp", "at least one of min and max must be given") }
        let type = dtype == .bool ? .int64 : dtype
        let x = try converted(type)
        let out = try Tensor(shape: shape, dtype: type, zeroed: false, op: "clamp")
        let a = lo ?? -.infinity, b = hi ?? .infinity
        func clampAll<T: Element>(_: T.Type) {
            Elementwise.map(x, into: out) { (v: T) -> T in
                let d = v.asDouble
                return d.isNaN ? v : T(fromDouble: Swift.min(Swift.max(d, a), b))
            }
        }
        switch type {
        case .float32:
            let fa = Float(a), fb = Float(b)
            Elementwise.map(x, into: out) { (v: Float) in v.isNaN ? v : Swift.min(Swift.max(v, fa), fb) }
        case .float64: Elementwise.map(x, into: out) { (v: Double) in v.isNaN ? v : Swift.min(Swift.max(v, a), b) }
        case .int64: clampAll(Int64.self)
        case .int32: clampAll(Int32.self)
        case .int8: clampAll(Int8.self)
        case .uint8, .bool: clampAll(UInt8.self)
        }
        if Tensor.needsGrad(self) {
            let saved = x.detach()
            out.recording("clamp", [self]) { g in
                let inside = try saved.ge(scalar: a).logicalAnd(saved.le(scalar: b))
                return [try g.mul(inside.to(g.dtype))]
            }
        }
        return out
    }
}
