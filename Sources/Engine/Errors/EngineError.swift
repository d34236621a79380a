/// The one error type of the engine. Its message reads `[op] what was expected; what was given`,
/// e.g. `[matmul] inner dimensions differ: (2,3) x (4,5)`. The bindings turn it into a Lua error.
public struct EngineError: Error, CustomStringConvertible, Equatable {
    /// The operation that failed, e.g. `matmul`.
    public let op: String
    /// What was expected and what was given.
    public let detail: String

    public init(_ op: String, _ detail: String) {
        self.op = op
        self.detail = detail
    }

    public var description: String { "[\(op)] \(detail)" }
}

/// Formats a shape as PyTorch prints it in messages: `(2,3)`; a scalar is `()`.
public func shapeString(_ shape: [Int]) -> String {
    "(" + shape.map(String.init).joined(separator: ",") + ")"
}
