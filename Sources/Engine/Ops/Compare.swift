/// Comparisons and logical ops: bool results, no gradient.
enum Comparison {
    case eq, ne, lt, le, gt, ge

    @inline(__always)
    static func test<T: Element>(_ kind: Comparison, _ x: T, _ y: T) -> Bool {
        switch kind {
        case .eq: return !T.lessThan(x, y) && !T.lessThan(y, x) && !x.asDouble.isNaN
        case .ne: return T.lessThan(x, y) || T.lessThan(y, x) || x.asDouble.isNaN || y.asDouble.isNaN
        case .lt: return T.lessThan(x, y)
        case .le: return T.lessThan(x, y) || (!T.lessThan(y, x) && !x.asDouble.isNaN && !y.asDouble.isNaN)
        case .gt: return T.lessThan(y, x)
        case .ge: return T.lessThan(y, x) || (!T.lessThan(x, y) && !x.asDouble.isNaN && !y.asDouble.isNaN)
        }
    }

    static func compute(_ kind: Comparison, _ a: Tensor, _ b: Tensor, op: String) throws -> Tensor {
        let shape = try Shape.broadcast(a.shape, b.shape, op: op)
        var type = DType.promote(a.dtype, b.dtype)
        if type == .bool { type = .uint8 }
        let x = try a.converted(type).broadcastView(to: shape, op: op)
        let y = try b.converted(type).broadcastView(to: shape, op: op)
        let out = try Tensor(shape: shape, dtype: .bool, zeroed: false, op: op)
        func run<T: Element>(_: T.Type) {
            Elementwise.map(x, y, into: out) { (p: T, q: T) -> UInt8 in test(kind, p, q) ? 1 : 0 }
        }
        switch type {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .int64: run(Int64.self)
        case .int32: run(Int32.self)
        case .int8: run(Int8.self)
        case .uint8, .bool: run(UInt8.self)
        }
        return out
    }
}

extension Tensor {
    public func eq(_ other: Tensor) throws -> Tensor { try Comparison.compute(.eq, self, other, op: "eq") }
    public func ne(_ other: Tensor) throws -> Tensor { try Comparison.compute(.ne, self, other, op: "ne") }
    public func lt(_ other: Tensor) throws -> Tensor { try Comparison.compute(.lt, self, other, op: "lt") }
    public func le(_ other: Tensor) throws -> Tensor { try Comparison.compute(.le, self, other, op: "le") }
    public func gt(_ other: Tensor) throws -> Tensor { try Comparison.compute(.gt, self, other, op: "gt") }
    public func ge(_ other: Tensor) throws -> Tensor { try Comparison.compute(.ge, self, other, op: "ge") }

    /// Comparison against a number (compared in float64 for float tensors, exactly for integers).
    private func compare(_ kind: Comparison, scalar s: Double, op: String) throws -> Tensor {
        let type: DType = dtype.isFloatingPoint ? dtype : (s == s.rounded() ? .int64 : .float64)
        return try Comparison.compute(kind, self, Tensor.scalar(s, dtype: type), op: op)
    }

    public func eq(scalar s: Double) throws -> Tensor { try compare(.eq, scalar: s, op: "eq") }
    public func ne(scalar s: Double) throws -> Tensor { try compare(.ne, scalar: s, op: "ne") }
    public func lt(scalar s: Double) throws -> Tensor { try compare(.lt, scalar: s, op: "lt") }
    public func le(scalar s: Double) throws -> Tensor { try compare(.le, scalar: s, op: "le") }
    public func gt(scalar s: Double) throws -> Tensor { try compare(.gt, scalar: s, op: "gt") }
    public func ge(scalar s: Double) throws -> Tensor { try compare(.ge, scalar: s, op: "ge") }

    private func logical(_ other: Tensor, op: String, _ f: @escaping (Bool, Bool) -> Bool) throws -> Tensor {
        let shape = try Shape.broadcast(self.shape, other.shape, op: op)
        let x = try converted(.bool).broadcastView(to: shape, op: op)
        let y = try other.converted(.bool).broadcastView(to: shape, op: op)
        let out = try Tensor(shape: shape, dtype: .bool, zeroed: false, op: op)
        Elementwise.map(x, y, into: out) { (p: UInt8, q: UInt8) -> UInt8 in f(p != 0, q != 0) ? 1 : 0 }
        return out
    }

    public func logicalAnd(_ other: Tensor) throws -> Tensor { try logical(other, op: "logical_and") { $0 && $1 } }
    public func logicalOr(_ other: Tensor) throws -> Tensor { try logical(other, op: "logical_or") { $0 || $1 } }
    public func logicalXor(_ other: Tensor) throws -> Tensor { try logical(other, op: "logical_xor") { $0 != $1 } }

    public func logicalNot() throws -> Tensor {
        let x = try converted(.bool)
        let out = try Tensor(shape: shape, dtype: .bool, zeroed: false, op: "logical_not")
        Elementwise.map(x, into: out) { (p: UInt8) -> UInt8 in p == 0 ? 1 : 0 }
        return out
    }
}
