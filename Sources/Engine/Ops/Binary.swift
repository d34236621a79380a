#if canImport(Glibc)
import Glibc
#endif

/// Binary arithmetic with NumPy broadcasting and type promotion, each with its backward rule.
enum Arithmetic {
    case add, sub, mul, div, pow, maximum, minimum

    /// Applies the op elementwise for element type T (a, b broadcast views of type T).
    @inline(__always)
    static func apply<T: Element>(_ kind: Arithmetic, _: T.Type, _ a: Tensor, _ b: Tensor, _ out: Tensor) {
        switch kind {
        case .add: Elementwise.map(a, b, into: out) { (x: T, y: T) in T.add(x, y) }
        case .sub: Elementwise.map(a, b, into: out) { (x: T, y: T) in T.sub(x, y) }
        case .mul: Elementwise.map(a, b, into: out) { (x: T, y: T) in T.mul(x, y) }
        case .div: Elementwise.map(a, b, into: out) { (x: T, y: T) in T(fromDouble: x.asDouble / y.asDouble) }
        case .pow: Elementwise.map(a, b, into: out) { (x: T, y: T) in T(fromDouble: Glibc.pow(x.asDouble, y.asDouble)) }
        case .maximum: Elementwise.map(a, b, into: out) { (x: T, y: T) in T.lessThan(x, y) || x.asDouble.isNaN ? (x.asDouble.isNaN ? x : y) : x }
        case .minimum: Elementwise.map(a, b, into: out) { (x: T, y: T) in T.lessThan(y, x) || x.asDouble.isNaN ? (x.asDouble.isNaN ? x : y) : x }
        }
    }

    @inline(__always)
    static func applyFloat<T: FloatElement>(_ kind: Arithmetic, _: T.Type, _ a: Tensor, _ b: Tensor, _ out: Tensor) {
        switch kind {
        case .add: Elementwise.map(a, b, into: out, functor: AddFunctor<T>())
        case .sub: Elementwise.map(a, b, into: out, functor: SubFunctor<T>())
        case .mul: Elementwise.map(a, b, into: out, functor: MulFunctor<T>())
        case .div: Elementwise.map(a, b, into: out, functor: DivFunctor<T>())
        case .pow: Elementwise.map(a, b, into: out) { (x: T, y: T) in T.pow(x, y) }
        default: apply(kind, T.self, a, b, out)
        }
    }

    /// Runs `kind` on broadcast operands of dtype `dtype`, producing a new contiguous tensor.
    static func compute(_ kind: Arithmetic, _ a: Tensor, _ b: Tensor, dtype: DType, op: String) throws -> Tensor {
        let shape = try Shape.broadcast(a.shape, b.shape, op: op)
        let x = try a.converted(dtype).broadcastView(to: shape, op: op)
        let y = try b.converted(dtype).broadcastView(to: shape, op: op)
        let out = try Tensor(shape: shape, dtype: dtype, zeroed: false, op: op)
        switch dtype {
        case .float32: applyFloat(kind, Float.self, x, y, out)
        case .float64: applyFloat(kind, Double.self, x, y, out)
        case .int64: apply(kind, Int64.self, x, y, out)
        case .int32: apply(kind, Int32.self, x, y, out)
        case .int8: apply(kind, Int8.self, x, y, out)
        case .uint8: apply(kind, UInt8.self, x, y, out)
        case .bool: throw EngineError(op, "arithmetic on bool tensors is not supported; convert with to(...) first")
        }
        return out
    }
}

extension Tensor {
    /// Result dtype of arithmetic between `self` and `other`.
    private func resultType(_ other: Tensor, floating: Bool = false) -> DType {
        var t = DType.promote(dtype, other.dtype)
        if t == .bool { t = .int64 }
        return floating ? t.floatingResult : t
    }

    public func add(_ other: Tensor) throws -> Tensor {
        let out = try Arithmetic.compute(.add, self, other, dtype: resultType(other), op: "add")
        if Tensor.needsGrad(self, other) {
            let sa = shape, sb = other.shape
            out.recording("add", [self, other]) { g in [try g.sumToShape(sa), try g.sumToShape(sb)] }
        }
        return out
    }

    public func sub(_ other: Tensor) throws -> Tensor {
        let out = try Arithmetic.compute(.sub, self, other, dtype: resultType(other), op: "sub")
        if Tensor.needsGrad(self, other) {
            let sa = shape, sb = other.shape
            out.recording("sub", [self, other]) { g in [try g.sumToShape(sa), try g.neg().sumToShape(sb)] }
        }
        return out
    }

    public func mul(_ other: Tensor) throws -> Tensor {
        let out = try Arithmetic.compute(.mul, self, other, dtype: resultType(other), op: "mul")
        if Tensor.needsGrad(self, other) {
            let a = detach(), b = other.detach()
            out.recording("mul", [self, other]) { g in
                [try g.mul(b).sumToShape(a.shape), try g.mul(a).sumToShape(b.shape)]
            }
        }
        return out
    }

    /// True division (integers give float32, as PyTorch's `/`).
    public func div(_ other: Tensor) throws -> Tensor {
        let out = try Arithmetic.compute(.div, self, other, dtype: resultType(other, floating: true), op: "div")
        if Tensor.needsGrad(self, other) {
            let a = detach(), b = other.detach()
            out.recording("div", [self, other]) { g in
                let ga = try g.div(b)
                let gb = try ga.mul(a).div(b).neg()
                return [try ga.sumToShape(a.shape), try gb.sumToShape(b.shape)]
            }
        }
        return out
    }

    /// Elementwise power with a tensor exponent.
    public func pow(_ exponent: Tensor) throws -> Tensor {
        let out = try Arithmetic.compute(.pow, self, exponent, dtype: resultType(exponent), op: "pow")
        if Tensor.needsGrad(self, exponent) {
            let a = detach(), b = exponent.detach(), y = out.detach()
            out.recording("pow", [self, exponent]) { g in
                // d/da a^b = b a^(b-1);  d/db a^b = a^b log a
                let ga = try g.mul(b).mul(a.pow(b.sub(scalar: 1)))
                let gb = try g.mul(y).mul(a.log())
                return [try ga.sumToShape(a.shape), try gb.sumToShape(b.shape)]
            }
        }
        return out
    }

    /// Elementwise max (NaN propagates); ties split the gradient equally, as PyTorch.
    public func maximum(_ other: Tensor) throws -> Tensor {
        try extremum(.maximum, other, name: "maximum")
    }

    /// Elementwise min (NaN propagates); ties split the gradient equally.
    public func minimum(_ other: Tensor) throws -> Tensor {
        try extremum(.minimum, other, name: "minimum")
    }

    private func extremum(_ kind: Arithmetic, _ other: Tensor, name: String) throws -> Tensor {
        let out = try Arithmetic.compute(kind, self, other, dtype: resultType(other), op: name)
        if Tensor.needsGrad(self, other) {
            let a = detach(), b = other.detach()
            out.recording(name, [self, other]) { g in
                let wins = try (kind == .maximum ? a.gt(b) : a.lt(b)).to(g.dtype)
                let ties = try a.eq(b).to(g.dtype).mul(scalar: 0.5)
                let wa = try wins.add(ties)
                let wb = try wa.rsub(scalar: 1)
                return [try g.mul(wa).sumToShape(a.shape), try g.mul(wb).sumToShape(b.shape)]
            }
        }
        return out
    }
}

/// Operators for Swift callers (`try a + b`).
extension Tensor {
    public static func + (a: Tensor, b: Tensor) throws -> Tensor { try a.add(b) }
    public static func - (a: Tensor, b: Tensor) throws -> Tensor { try a.sub(b) }
    public static func * (a: Tensor, b: Tensor) throws -> Tensor { try a.mul(b) }
    public static func / (a: Tensor, b: Tensor) throws -> Tensor { try a.div(b) }
    public static func + (a: Tensor, b: Double) throws -> Tensor { try a.add(scalar: b) }
    public static func - (a: Tensor, b: Double) throws -> Tensor { try a.sub(scalar: b) }
    public static func * (a: Tensor, b: Double) throws -> Tensor { try a.mul(scalar: b) }
    public static func / (a: Tensor, b: Double) throws -> Tensor { try a.div(scalar: b) }
    public static prefix func - (a: Tensor) throws -> Tensor { try a.neg() }
}
