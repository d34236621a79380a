/// A node of the autograd graph: how one tensor was computed from its inputs, and the rule that
/// maps the gradient of that tensor to gradients of the inputs (nil for an input needing none).
/// Rules are closures written beside each op's forward; they run with grad mode off.
public final class GradFn {
    public let name: String
    /// The op's tensor inputs, in the order the rule returns their gradients.
    var inputs: [Tensor]
    /// `gradient of output -> gradients of inputs`; nil once the graph has been freed.
    var rule: ((Tensor) throws -> [Tensor?])?
    /// The output tensor, kept (weakly) only when it asked to retain its grad.
    weak var owner: Tensor?

    init(name: String, inputs: [Tensor], rule: @escaping (Tensor) throws -> [Tensor?]) {
        self.name = name
        self.inputs = inputs
        self.rule = rule
    }

    /// Drops saved tensors and the rule (the graph is freed after backward).
    func release() {
        rule = nil
        inputs = []
    }
}

extension Tensor {
    /// True when an op on these inputs must record a node (overloads avoid a variadic array).
    @inline(__always) static func needsGrad(_ a: Tensor) -> Bool {
        a.requiresGrad && GradMode.isEnabled
    }

    @inline(__always) static func needsGrad(_ a: Tensor, _ b: Tensor) -> Bool {
        (a.requiresGrad || b.requiresGrad) && GradMode.isEnabled
    }

    @inline(__always) static func needsGrad(_ a: Tensor, _ b: Tensor, _ c: Tensor) -> Bool {
        (a.requiresGrad || b.requiresGrad || c.requiresGrad) && GradMode.isEnabled
    }

    static func needsGrad(_ inputs: [Tensor]) -> Bool {
        inputs.contains { $0.requiresGrad } && GradMode.isEnabled
    }

    /// Attaches the backward rule of the op that produced `self`. Call only when `needsGrad`.
    /// The rule must not capture `self` (that would be a reference cycle); capture `detach()`ed
    /// views instead.
    @discardableResult
    func recording(_ name: String, _ inputs: [Tensor], _ rule: @escaping (Tensor) throws -> [Tensor?]) -> Tensor {
        gradFn = GradFn(name: name, inputs: inputs, rule: rule)
        return self
    }
}
