/// A set of parameters sharing hyperparameters (PyTorch's `param_groups` entries).
///
/// Options are named as in PyTorch (`lr`, `weight_decay`, `momentum`, `dampening`, `nesterov`,
/// `maximize`, `beta1`, `beta2`, `eps`, `amsgrad`, `alpha`, `centered`, `lr_decay`,
/// `initial_accumulator_value`); flags are 0 or 1. Options a group leaves out take the
/// optimizer's defaults (its constructor arguments), so
///
///     let opt = try SGD([ParamGroup(backbone), ParamGroup(head, options: ["lr": 0.1])], lr: 0.01, momentum: 0.9)
///
/// trains `head` ten times faster than `backbone`, both with momentum 0.9.
public struct ParamGroup: Sendable {
    /// The parameters (contiguous float32/float64 leaf tensors).
    public let params: [Tensor]
    /// Hyperparameters by PyTorch name; after the optimizer is built, every option it knows is set.
    public internal(set) var options: [String: Double]
    /// The group's learning rate when the optimizer was built; schedulers scale from it.
    public internal(set) var initialLR: Double = 0

    public init(_ params: [Tensor], options: [String: Double] = [:]) {
        self.params = params
        self.options = options
    }

    /// The current learning rate.
    public var lr: Double { options["lr"] ?? 0 }

    /// The option named `key`, nil when the optimizer has no such option.
    public subscript(key: String) -> Double? { options[key] }

    /// The value of an option the optimizer guarantees to be present (0 otherwise).
    @inline(__always) func value(_ key: String) -> Double { options[key] ?? 0 }

    /// A flag option (stored as 0 or 1).
    @inline(__always) func flag(_ key: String) -> Bool { (options[key] ?? 0) != 0 }
}

/// Per-parameter optimizer state: the number of updates applied and the named buffers
/// (`momentum_buffer`, `exp_avg`, `exp_avg_sq`, ...), each shaped and typed like the parameter.
public final class ParamState {
    /// Updates applied to the parameter so far.
    public internal(set) var step: Int = 0
    /// Buffers by PyTorch name.
    public internal(set) var buffers: [String: Tensor] = [:]

    init() {}

    /// The buffer `name`, created filled with `initial` (like `param`) when missing.
    func buffer(_ name: String, like param: Tensor, initial: Double = 0) throws -> Tensor {
        if let b = buffers[name] { return b }
        let b = try Tensor.full(param.shape, initial, dtype: param.dtype)
        buffers[name] = b
        return b
    }
}
