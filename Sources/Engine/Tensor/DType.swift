/// Element types a tensor can hold. `bool` is stored as one byte holding 0 or 1.
public enum DType: String, CaseIterable, Sendable {
    case float32, float64, int64, int32, int8, uint8, bool

    /// Bytes per element.
    public var itemSize: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .int8, .uint8, .bool: return 1
        }
    }

    public var isFloatingPoint: Bool { self == .float32 || self == .float64 }
    public var isInteger: Bool { !isFloatingPoint && self != .bool }

    /// Parses user-facing names, including PyTorch aliases (`float`, `double`, `long`, `int`).
    public init?(name: String) {
        switch name {
        case "float32", "float": self = .float32
        case "float64", "double": self = .float64
        case "int64", "long": self = .int64
        case "int32", "int": self = .int32
        case "int8": self = .int8
        case "uint8", "byte": self = .uint8
        case "bool": self = .bool
        default: return nil
        }
    }

    /// The safetensors name of the dtype (`F32`, `I64`, `BOOL`, ...).
    public var safetensorsName: String {
        switch self {
        case .float32: return "F32"
        case .float64: return "F64"
        case .int64: return "I64"
        case .int32: return "I32"
        case .int8: return "I8"
        case .uint8: return "U8"
        case .bool: return "BOOL"
        }
    }

    public init?(safetensorsName: String) {
        guard let match = DType.allCases.first(where: { $0.safetensorsName == safetensorsName }) else { return nil }
        self = match
    }

    /// Rank used for type promotion: bool < integers < floats, wider wins within a kind.
    private var promotionRank: Int {
        switch self {
        case .bool: return 0
        case .uint8: return 1
        case .int8: return 2
        case .int32: return 3
        case .int64: return 4
        case .float32: return 5
        case .float64: return 6
        }
    }

    /// Result dtype of a binary op between two tensors (PyTorch's rules, simplified:
    /// uint8 with int8 gives int32 instead of int16, which Lumen does not have).
    public static func promote(_ a: DType, _ b: DType) -> DType {
        if a == b { return a }
        if (a == .uint8 && b == .int8) || (a == .int8 && b == .uint8) { return .int32 }
        return a.promotionRank >= b.promotionRank ? a : b
    }

    /// Dtype of an op that always yields floating point (exp, mean, ...): ints become float32.
    public var floatingResult: DType { isFloatingPoint ? self : .float32 }
}
