#if canImport(Glibc)
import Glibc
#endif

/// Arithmetic between a tensor and a number (`x + 1`, `2 / x`, `x ^ 2`), without allocating a
/// tensor for the number. Integer tensors stay integer unless the number is fractional.
enum ScalarArithmetic {
    case add, sub, rsub, mul, div, rdiv, pow, rpow

    @inline(__always)
    static func apply<T: FloatElement>(_ kind: ScalarArithmetic, _ s: Double, _ x: Tensor, _ out: Tensor, _: T.Type) {
        let c = T(s)
        switch kind {
        case .add: Elementwise.map(x, into: out, functor: AffineFunctor(scale: 1, shift: c))
        case .sub: Elementwise.map(x, into: out, functor: AffineFunctor(scale: 1, shift: -c))
        case .rsub: Elementwise.map(x, into: out, functor: AffineFunctor(scale: -1, shift: c))
        case .mul: Elementwise.map(x, into: out, functor: AffineFunctor(scale: c, shift: 0))
        case .div: Elementwise.map(x, into: out, functor: DivideByFunctor(divisor: c))
        case .rdiv: Elementwise.map(x, into: out) { (v: T) in c / v }
        case .pow:
            if s == 2 { Elementwise.map(x, into: out) { (v: T) in v * v } }
            else if s == 1 { Elementwise.map(x, into: out) { (v: T) in v } }
            else if s == 0.5 { Elementwise.map(x, into: out) { (v: T) in T.sqrt(v) } }
            else { Elementwise.map(x, into: out) { (v: T) in T.pow(v, c) } }
        case .rpow: Elementwise.map(x, into: out) { (v: T) in T.pow(c, v) }
        }
    }

    /// Integer tensors: computed through Double with wrap-free saturation.
    @inline(__always)
    static func applyInteger<T: Element>(_ kind: ScalarArithmetic, _ s: Double, _ x: Tensor, _ out: Tensor, _: T.Type) {
        Elementwise.map(x, into: out) { (v: T) -> T in
            let d = v.asDouble
            switch kind {
            case .add: return T(fromDouble: d + s)
            case .sub: return T(fromDouble: d - s)
            case .rsub: return T(fromDouble: s - d)
            case .mul: return T(fromDouble: d * s)
            case .div: return T(fromDouble: d / s)
            case .rdiv: return T(fromDouble: s / d)
            case .pow: return T(fromDouble: Glibc.pow(d, s))
            case .rpow: return T(fromDouble: Glibc.pow(s, d))
            }
        }
    }
}

extension Tensor {
    private func scalarOp(_ kind: ScalarArithmetic, _ s: Double, name: String) throws -> Tensor {
        var type = dtype == .bool ? .int64 : dtype
        if type.isInteger && (s != s.rounded() || kind == .div || kind == .rdiv || (kind == .pow && s < 0)) {
            type = .float32
        }
        let x = try converted(type)
        let out = try Tensor(shape: shape, dtype: type, zeroed: false, op: name)
        switch type {
        case .float32: ScalarArithmetic.apply(kind, s, x, out, Float.self)
        case .float64: ScalarArithmetic.apply(kind, s, x, out, Double.self)
        case .int64: ScalarArithmetic.applyInteger(kind, s, x, out, Int64.self)
        case .int32: ScalarArithmetic.applyInteger(kind, s, x, out, Int32.self)
        case .int8: ScalarArithmetic.applyInteger(kind, s, x, out, Int8.self)
        case .uint8, .bool: ScalarArithmetic.applyInteger(kind, s, x, out, UInt8.self)
        }
        return out
    }

    public func add(scalar s: Double) throws -> Tensor {
        let out = try scalarOp(.add, s, name: "add")
        if Tensor.needsGrad(self) { out.recording("add", [self]) { g in [g] } }
        return out
    }

    public func sub(scalar s: Double) throws -> Tensor {
        let out = try scalarOp(.sub, s, name: "sub")
        if Tensor.needsGrad(self) { out.recording("sub", [self]) { g in [g] } }
        return out
    }

    /// `s - self`.
    public func rsub(scalar s: Double) throws -> Tensor {
        let out = try scalarOp(.rsub, s, name: "rsub")
        if Tensor.needsGrad(self) { out.recording("rsub", [self]) { g in [try g.neg()] } }
        return out
    }

    public func mul(scalar s: Double) throws -> Tensor {
        let out = try scalarOp(.mul, s, name: "mul")
        if Tensor.needsGrad(self) { out.recording("mul", [self]) { g in [try g.mul(scalar: s)] } }
        return out
    }

    public func div(scalar s: Double) throws -> Tensor {
        let out = try scalarOp(.div, s, name: "div")
        if Tensor.needsGrad(self) { out.recording("div", [self]) { g in [try g.div(scalar: s)] } }
        return out
    }

    /// `s / self`.
    public func rdiv(scalar s: Double) throws -> Tensor {
        let out = try scalarOp(.rdiv, s, name: "rdiv")
        if Tensor.needsGrad(self) {
            let x = detach()
            out.recording("rdiv", [self]) { g in [try g.mul(scalar: -s).div(x.mul(x))] }
        }
        return out
    }

    /// `self ^ s`.
    public func pow(scalar s: Double) throws -> Tensor {
        let out = try scalarOp(.pow, s, name: "pow")
        if Tensor.needsGrad(self) {
            let x = detach()
            out.recording("pow", [self]) { g in
                s == 0 ? [try g.mul(scalar: 0)] : [try g.mul(x.pow(scalar: s - 1)).mul(scalar: s)]
            }
        }
        return out
    }

    /// `s ^ self`.
    public func rpow(scalar s: Double) throws -> Tensor {
        let out = try scalarOp(.rpow, s, name: "rpow")
        if Tensor.needsGrad(self) {
            let y = out.detach()
            out.recording("rpow", [self]) { g in [try g.mul(y).mul(scalar: Glibc.log(s))] }
        }
        return out
    }
}
