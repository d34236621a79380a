import Engine

/// An error answered to the client as `{"error": message}` with HTTP status `status`.
struct ServeError: Error, CustomStringConvertible {
    let status: Int
    let message: String
    var description: String { message }

    static func badRequest(_ message: String) -> ServeError { ServeError(status: 400, message: message) }
}

/// The numbers of a JSON number or (nested) array in row-major order, with the nesting's shape
/// (a flat array of 6 numbers has shape [6]; [[1,2,3],[4,5,6]] has [2,3]; a bare number []).
struct NestedNumbers {
    var shape: [Int]
    var values: [Double]

    /// Reads `value`; `what` names it in errors (e.g. `input "map" data`). Arrays must be
    /// rectangular; elements must be numbers (or booleans when `datatype` is BOOL).
    init(_ value: JSONValue, what: String, datatype: WireType) throws {
        var shape: [Int] = []
        var probe = value
        while case .array(let items) = probe {
            shape.append(items.count)
            guard let first = items.first else { break }
            probe = first
        }
        self.shape = shape
        values = []
        values.reserveCapacity(shape.reduce(1, *))
        var path: [Int] = []
        try NestedNumbers.walk(value, depth: 0, shape: shape, path: &path, into: &values, what: what, datatype: datatype)
    }

    private static func walk(_ value: JSONValue, depth: Int, shape: [Int], path: inout [Int], into values: inout [Double],
                             what: String, datatype: WireType) throws {
        func place() -> String { what + path.map { "[\($0)]" }.joined() }
        if depth == shape.count {
            switch value {
            case .number:
                let v = value.double ?? .nan  // the reader checked the literal, which Double(String) reads in full
                try check(v, datatype: datatype, place: place)
                values.append(v)
            case .bool(let b) where datatype == .BOOL:
                values.append(b ? 1 : 0)
            case .array:
                throw ServeError.badRequest("\(place()) is an array, but other elements at this depth are numbers (the nesting must be rectangular)")
            default:
                throw ServeError.badRequest("\(place()) is \(value.typeName); expected a number")
            }
            return
        }
        guard case .array(let items) = value else {
            throw ServeError.badRequest("\(place()) is \(value.typeName); expected an array of \(shape[depth]) elements like the first one (the nesting must be rectangular)")
        }
        guard items.count == shape[depth] else {
            throw ServeError.badRequest("\(place()) has \(items.count) elements; expected \(shape[depth]) like the first one (the nesting must be rectangular)")
        }
        for (i, item) in items.enumerated() {
            path.append(i)
            try walk(item, depth: depth + 1, shape: shape, path: &path, into: &values, what: what, datatype: datatype)
            path.removeLast()
        }
    }

    /// Rejects values the datatype cannot hold (so nothing is silently rounded or clipped).
    private static func check(_ v: Double, datatype: WireType, place: () -> String) throws {
        let range: ClosedRange<Double>
        switch datatype {
        case .FP32:
            if abs(v) > Double(Float.greatestFiniteMagnitude) { throw ServeError.badRequest("\(place()) = \(v) is outside the float32 range") }
            return
        case .FP64: return
        case .INT64: range = -9.2e18...9.2e18
        case .INT32: range = Double(Int32.min)...Double(Int32.max)
        case .INT8: range = -128...127
        case .UINT8: range = 0...255
        case .BOOL: range = 0...1
        }
        guard v == v.rounded(), range.contains(v) else {
            throw ServeError.badRequest("\(place()) = \(v) is not a valid \(datatype.rawValue) value")
        }
    }
}

/// Shape descriptions for messages, as the protocol writes them: `[1,1,32,32]`.
func wireShape(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ",") + "]"
}

/// Product of `shape`, or nil when it overflows (a hostile shape must not trap).
func elementCount(_ shape: [Int]) -> Int? {
    var n = 1
    for d in shape {
        let (product, overflow) = n.multipliedReportingOverflow(by: d)
        if overflow { return nil }
        n = product
    }
    return n
}

/// Checks a request tensor's `shape` (batch first) against the declared `spec` and builds it.
func makeInputTensor(name: String, shape: [Int], values: [Double], datatype: WireType, spec: TensorSpec?) throws -> Tensor {
    guard shape.count >= 1 else {
        throw ServeError.badRequest("input \"\(name)\": shape \(wireShape(shape)) has no batch dimension; inputs are batch first, e.g. [1, ...] for one sample")
    }
    guard shape.allSatisfy({ $0 >= 0 }) else {
        throw ServeError.badRequest("input \"\(name)\": shape \(wireShape(shape)) has a negative size")
    }
    guard shape[0] >= 1 else {
        throw ServeError.badRequest("input \"\(name)\": batch size (first dim of shape \(wireShape(shape))) must be at least 1")
    }
    guard let count = elementCount(shape), count == values.count else {
        let needs = elementCount(shape).map { "needs \($0) values" } ?? "is too large"
        throw ServeError.badRequest("input \"\(name)\": shape \(wireShape(shape)) \(needs); data has \(values.count)")
    }
    if let spec {
        guard datatype == spec.datatype else {
            throw ServeError.badRequest("input \"\(name)\": datatype \(datatype.rawValue) does not match the model's \(spec.datatype.rawValue)")
        }
        if !spec.shape.isEmpty {
            let matches = spec.shape.count == shape.count && zip(spec.shape, shape).allSatisfy { $0 == -1 || $0 == $1 }
            guard matches else {
                throw ServeError.badRequest("input \"\(name)\": shape \(wireShape(shape)) does not match the model's \(wireShape(spec.shape)) (-1 = any size)")
            }
        }
    }
    do {
        return try Tensor(values, shape: shape, dtype: datatype.dtype)
    } catch {
        throw ServeError.badRequest("input \"\(name)\": \(error)")
    }
}
