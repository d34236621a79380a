/// The base of every optimizer (after MLX and PyTorch): parameter groups with per-group
/// hyperparameters, per-parameter state keyed by the parameter's identity, `zeroGrad` and
/// `step`. Subclasses (`SGD`, `Adam`, `AdamW`, `RMSprop`, `Adagrad`) supply the defaults, the
/// option checks and `applySingle`, one fused in-place pass over a parameter's elements.
///
///     let opt = try Adam([w, b], lr: 1e-3)
///     for batch in batches {
///         opt.zeroGrad()
///         try loss(batch).backward()
///         try opt.step()
///     }
///
/// Parameters are contiguous float32/float64 leaf tensors. Updates run with grad mode off and
/// write the parameters' storage directly, so nothing is recorded for autograd.
public class Optimizer {
    /// The optimizer's name as in PyTorch (`SGD`, `Adam`, ...); state dicts carry it.
    public let name: String
    /// The op name used in error messages (`sgd`, `adam`, ...).
    let op: String
    /// Option values a group gets when it does not set them (the constructor arguments).
    public let defaults: [String: Double]
    /// Options that are flags (0 or 1).
    let flags: Set<String>
    /// Every buffer name a parameter's state may hold.
    let knownBuffers: Set<String>
    /// The parameter groups, in order.
    public internal(set) var paramGroups: [ParamGroup] = []
    /// State by parameter identity (the groups keep the parameters alive, so ids are stable).
    var states: [ObjectIdentifier: ParamState] = [:]

    init(name: String, op: String, groups: [ParamGroup], defaults: [String: Double], flags: Set<String>,
         buffers: Set<String>) throws {
        self.name = name
        self.op = op
        self.defaults = defaults
        self.flags = flags
        self.knownBuffers = buffers
        try checkOptions(defaults, context: "")
        guard !groups.isEmpty else { throw EngineError(op, "expected at least one parameter group; got none") }
        for group in groups { try addParamGroup(group) }
    }

    // MARK: Subclass hooks

    /// Checks the optimizer-specific ranges of a complete option set (e.g. `lr >= 0`).
    func validate(_ options: [String: Double], context: String) throws {}

    /// The buffers a parameter's state must hold once it has been stepped with `options`.
    func requiredBuffers(_ options: [String: Double]) -> [String] { [] }

    /// Updates `param` in place from `grad` (same shape and dtype, contiguous). `state.step` has
    /// already been incremented for this update.
    func applySingle(_ param: Tensor, _ grad: Tensor, _ state: ParamState, _ group: ParamGroup) throws {
        throw EngineError(op, "the base optimizer has no update rule")
    }

    // MARK: Groups and options

    /// All parameters, in group order (the indices used by `stateDict`).
    public var parameters: [Tensor] { paramGroups.flatMap(\.params) }

    /// The current learning rate of each group.
    public var learningRates: [Double] { paramGroups.map(\.lr) }

    /// Adds a group; options it leaves out take `defaults`. Its parameters must be contiguous
    /// float32/float64 leaves not already in another group.
    public func addParamGroup(_ group: ParamGroup) throws {
        let index = paramGroups.count
        guard !group.params.isEmpty else { throw EngineError(op, "parameter group \(index) has no parameters") }
        var seen = Set(parameters.map(ObjectIdentifier.init))
        for (i, p) in group.params.enumerated() {
            let what = "parameter \(i) of group \(index)"
            guard p.isLeaf else {
                throw EngineError(op, "can only optimize leaf tensors; \(what) comes from \(p.gradFn?.name ?? "an op")")
            }
            guard p.dtype.isFloatingPoint else {
                throw EngineError(op, "parameters must be float32 or float64; \(what) is \(p.dtype)")
            }
            guard p.isContiguous else {
                throw EngineError(op, "parameters must be contiguous; \(what) has shape \(shapeString(p.shape)) and strides \(shapeString(p.strides))")
            }
            guard seen.insert(ObjectIdentifier(p)).inserted else {
                throw EngineError(op, "\(what) appears more than once across the parameter groups")
            }
        }
        var options = defaults
        for (key, value) in group.options {
            guard defaults[key] != nil else {
                throw EngineError(op, "unknown option '\(key)' in group \(index); expected one of \(defaults.keys.sorted().joined(separator: ", "))")
            }
            options[key] = value
        }
        try checkOptions(options, context: " in group \(index)")
        var added = group
        added.options = options
        added.initialLR = options["lr"] ?? 0
        paramGroups.append(added)
    }

    /// Sets option `key` of group `group` (all groups when nil), checked as at construction.
    public func set(_ key: String, _ value: Double, group: Int? = nil) throws {
        guard defaults[key] != nil else {
            throw EngineError(op, "unknown option '\(key)'; expected one of \(defaults.keys.sorted().joined(separator: ", "))")
        }
        let targets: [Int]
        if let group {
            guard group >= 0 && group < paramGroups.count else {
                throw EngineError(op, "group index \(group) out of range for \(paramGroups.count) group(s)")
            }
            targets = [group]
        } else {
            targets = Array(paramGroups.indices)
        }
        for g in targets {
            var options = paramGroups[g].options
            options[key] = value
            try checkOptions(options, context: " in group \(g)")
        }
        for g in targets { paramGroups[g].options[key] = value }
    }

    /// Sets the learning rate of every group (or of `group`).
    public func setLR(_ lr: Double, group: Int? = nil) throws {
        try set("lr", lr, group: group)
    }

    /// Generic checks (finite values, flags 0/1), then the subclass's ranges.
    func checkOptions(_ options: [String: Double], context: String) throws {
        for key in options.keys.sorted() {
            let value = options[key] ?? 0
            guard value.isFinite else { throw EngineError(op, "option '\(key)'\(context) must be finite; got \(value)") }
            if flags.contains(key) && value != 0 && value != 1 {
                throw EngineError(op, "option '\(key)'\(context) is a flag (0 or 1); got \(value)")
            }
        }
        try validate(options, context: context)
    }

    /// Throws `[op] invalid <what><context>: <value>` unless `condition`.
    func require(_ condition: Bool, _ what: String, _ value: Double, _ context: String) throws {
        if !condition { throw EngineError(op, "invalid \(what)\(context): \(value)") }
    }

    // MARK: Stepping

    /// Sets every parameter's gradient to nil (PyTorch's `zero_grad(set_to_none=True)`).
    public func zeroGrad() {
        for group in paramGroups { for p in group.params { p.grad = nil } }
    }

    /// Applies one update to every parameter that has a gradient (others are skipped). All
    /// gradients are checked before any parameter changes.
    public func step() throws {
        var work: [(param: Tensor, grad: Tensor, group: Int)] = []
        for (g, group) in paramGroups.enumerated() {
            for (i, p) in group.params.enumerated() {
                guard let grad = p.grad else { continue }
                guard grad.shape == p.shape else {
                    throw EngineError(op, "gradient of parameter \(i) in group \(g) has shape \(shapeString(grad.shape)); expected the parameter's shape \(shapeString(p.shape))")
                }
                guard grad.dtype.isFloatingPoint else {
                    throw EngineError(op, "gradient of parameter \(i) in group \(g) must be floating point; got \(grad.dtype)")
                }
                let ready = grad.dtype == p.dtype && grad.isContiguous ? grad : try grad.castCopy(to: p.dtype)
                work.append((p, ready, g))
            }
        }
        try GradMode.withoutGrad {
            for (param, grad, g) in work {
                let id = ObjectIdentifier(param)
                let state = states[id] ?? ParamState()
                states[id] = state
                state.step += 1
                try applySingle(param, grad, state, paramGroups[g])
                param.storage.bumpVersion()
            }
        }
    }

    /// The state of `param` (nil before its first update or when it is not optimized here).
    public func state(for param: Tensor) -> ParamState? { states[ObjectIdentifier(param)] }
}

/// Lerp as PyTorch computes it (`torch.lerp` with a scalar weight): `a + w (b - a)` when
/// `small` (|w| < 0.5), else `b - (b - a)(1 - w)`, so it is exact at both ends. Kernels decide
/// `small` once, outside their loop, and pass it as a constant so the loop stays branch-free.
@inline(__always)
func lerp<T: FloatElement>(_ a: T, _ b: T, _ w: T, small: Bool) -> T {
    small ? a + w * (b - a) : b - (b - a) * (1 - w)
}
