/// Swift types backing each dtype. Kernels are generic over `Element` and get specialized.
public protocol Element: Sendable {
    static var dtype: DType { get }
    static var zero: Self { get }
    static var one: Self { get }
    init(fromDouble value: Double)
    var asDouble: Double { get }
    // Arithmetic with the dtype's own semantics (wrapping for integers, IEEE for floats).
    static func add(_ a: Self, _ b: Self) -> Self
    static func sub(_ a: Self, _ b: Self) -> Self
    static func mul(_ a: Self, _ b: Self) -> Self
    static func lessThan(_ a: Self, _ b: Self) -> Bool
}

/// Floating point elements: the types that math kernels run on.
public protocol FloatElement: Element, BinaryFloatingPoint {
    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func log1p(_ x: Self) -> Self
    static func sqrt(_ x: Self) -> Self
    static func sin(_ x: Self) -> Self
    static func cos(_ x: Self) -> Self
    static func tanh(_ x: Self) -> Self
    static func erf(_ x: Self) -> Self
    static func pow(_ x: Self, _ y: Self) -> Self
}

#if canImport(Glibc)
import Glibc
#endif

extension Element where Self: BinaryFloatingPoint {
    public static var zero: Self { 0 }
    public static var one: Self { 1 }
    @inline(__always) public static func add(_ a: Self, _ b: Self) -> Self { a + b }
    @inline(__always) public static func sub(_ a: Self, _ b: Self) -> Self { a - b }
    @inline(__always) public static func mul(_ a: Self, _ b: Self) -> Self { a * b }
    @inline(__always) public static func lessThan(_ a: Self, _ b: Self) -> Bool { a < b }
}

extension Element where Self: FixedWidthInteger {
    public static var zero: Self { 0 }
    public static var one: Self { 1 }
    @inline(__always) public init(fromDouble value: Double) {
        // Saturating, NaN -> 0: never traps on out-of-range values.
        if value.isNaN { self = 0 }
        else if value >= Double(Self.max) { self = Self.max }
        else if value <= Double(Self.min) { self = Self.min }
        else { self = Self(value) }
    }
    @inline(__always) public var asDouble: Double { Double(self) }
    @inline(__always) public static func add(_ a: Self, _ b: Self) -> Self { a &+ b }
    @inline(__always) public static func sub(_ a: Self, _ b: Self) -> Self { a &- b }
    @inline(__always) public static func mul(_ a: Self, _ b: Self) -> Self { a &* b }
    @inline(__always) public static func lessThan(_ a: Self, _ b: Self) -> Bool { a < b }
}

extension Float: FloatElement {
    public static var dtype: DType { .float32 }
    @inline(__always) public init(fromDouble value: Double) { self = Float(value) }
    @inline(__always) public var asDouble: Double { Double(self) }
    @inline(__always) public static func exp(_ x: Float) -> Float { expf(x) }
    @inline(__always) public static func log(_ x: Float) -> Float { logf(x) }
    @inline(__always) public static func log1p(_ x: Float) -> Float { log1pf(x) }
    @inline(__always) public static func sqrt(_ x: Float) -> Float { x.squareRoot() }
    @inline(__always) public static func sin(_ x: Float) -> Float { sinf(x) }
    @inline(__always) public static func cos(_ x: Float) -> Float { cosf(x) }
    @inline(__always) public static func tanh(_ x: Float) -> Float { tanhf(x) }
    @inline(__always) public static func erf(_ x: Float) -> Float { erff(x) }
    @inline(__always) public static func pow(_ x: Float, _ y: Float) -> Float { powf(x, y) }
}

extension Double: FloatElement {
    public static var dtype: DType { .float64 }
    @inline(__always) public init(fromDouble value: Double) { self = value }
    @inline(__always) public var asDouble: Double { self }
    @inline(__always) public static func exp(_ x: Double) -> Double { Glibc.exp(x) }
    @inline(__always) public static func log(_ x: Double) -> Double { Glibc.log(x) }
    @inline(__always) public static func log1p(_ x: Double) -> Double { Glibc.log1p(x) }
    @inline(__always) public static func sqrt(_ x: Double) -> Double { x.squareRoot() }
    @inline(__always) public static func sin(_ x: Double) -> Double { Glibc.sin(x) }
    @inline(__always) public static func cos(_ x: Double) -> Double { Glibc.cos(x) }
    @inline(__always) public static func tanh(_ x: Double) -> Double { Glibc.tanh(x) }
    @inline(__always) public static func erf(_ x: Double) -> Double { Glibc.erf(x) }
    @inline(__always) public static func pow(_ x: Double, _ y: Double) -> Double { Glibc.pow(x, y) }
}

extension Int64: Element { public static var dtype: DType { .int64 } }
extension Int32: Element { public static var dtype: DType { .int32 } }
extension Int8: Element { public static var dtype: DType { .int8 } }
/// uint8 storage also backs `bool` (0 or 1); kernels that produce bool write 0/1 bytes.
extension UInt8: Element { public static var dtype: DType { .uint8 } }
