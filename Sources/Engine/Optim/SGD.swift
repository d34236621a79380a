/// Stochastic gradient descent with momentum, exactly PyTorch's `torch.optim.SGD`:
///
///     g = maximize ? -grad : grad
///     g = g + weight_decay * p                          (when weight_decay != 0)
///     b = first step ? g : momentum * b + (1 - dampening) * g   (when momentum != 0)
///     g = nesterov ? g + momentum * b : b               (when momentum != 0)
///     p = p - lr * g
///
/// Options: `lr`, `momentum`, `dampening`, `weight_decay`, `nesterov`, `maximize`.
/// State: `momentum_buffer` (when momentum != 0).
public final class SGD: Optimizer {
    public init(_ groups: [ParamGroup], lr: Double = 1e-3, momentum: Double = 0, dampening: Double = 0,
                weightDecay: Double = 0, nesterov: Bool = false, maximize: Bool = false) throws {
        try super.init(name: "SGD", op: "sgd", groups: groups,
                       defaults: ["lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weightDecay,
                                  "nesterov": nesterov ? 1 : 0, "maximize": maximize ? 1 : 0],
                       flags: ["nesterov", "maximize"], buffers: ["momentum_buffer"])
    }

    /// One group holding `params`.
    public convenience init(_ params: [Tensor], lr: Double = 1e-3, momentum: Double = 0, dampening: Double = 0,
                            weightDecay: Double = 0, nesterov: Bool = false, maximize: Bool = false) throws {
        try self.init([ParamGroup(params)], lr: lr, momentum: momentum, dampening: dampening,
                      weightDecay: weightDecay, nesterov: nesterov, maximize: maximize)
    }

    override func validate(_ o: [String: Double], context: String) throws {
        let lr = o["lr"] ?? 0, momentum = o["momentum"] ?? 0, dampening = o["dampening"] ?? 0
        try require(lr >= 0, "learning rate", lr, context)
        try require(momentum >= 0, "momentum value", momentum, context)
        try require(o["weight_decay"] ?? 0 >= 0, "weight_decay value", o["weight_decay"] ?? 0, context)
        if (o["nesterov"] ?? 0) != 0 && (momentum <= 0 || dampening != 0) {
            throw EngineError(op, "Nesterov momentum requires a momentum and zero dampening\(context); got momentum \(momentum), dampening \(dampening)")
        }
    }

    override func requiredBuffers(_ o: [String: Double]) -> [String] {
        (o["momentum"] ?? 0) != 0 ? ["momentum_buffer"] : []
    }

    override func applySingle(_ param: Tensor, _ grad: Tensor, _ state: ParamState, _ group: ParamGroup) throws {
        var buffer: Tensor? = nil
        var fresh = false
        if group.value("momentum") != 0 {
            fresh = state.buffers["momentum_buffer"] == nil
            buffer = try state.buffer("momentum_buffer", like: param)
        }
        if param.dtype == .float32 {
            SGD.update(Float.self, param, grad, buffer, fresh: fresh, group)
        } else {
            SGD.update(Double.self, param, grad, buffer, fresh: fresh, group)
        }
    }

    /// The fused update over all elements (both cores for large parameters).
    private static func update<T: FloatElement>(_: T.Type, _ param: Tensor, _ grad: Tensor, _ buffer: Tensor?,
                                                fresh: Bool, _ group: ParamGroup) {
        let p = param.pointer(T.self), g = grad.pointer(T.self)
        let negLR = T(-group.value("lr")), wd = T(group.value("weight_decay"))
        let momentum = T(group.value("momentum")), keep = T(1 - group.value("dampening"))
        // Negation as a multiply by -1 is exact, so `maximize` needs no branch.
        let sign: T = group.flag("maximize") ? -1 : 1
        let count = param.numel
        guard let buffer else {
            Elementwise.run(count: count) { range in
                withConstant(group.value("weight_decay") != 0) { hasDecay in
                    for i in range {
                        var d = sign * g[i]
                        if hasDecay { d = d + wd * p[i] }
                        p[i] = p[i] + negLR * d
                    }
                }
            }
            return
        }
        let b = buffer.pointer(T.self)
        Elementwise.run(count: count) { range in
            withConstant(group.value("weight_decay") != 0) { hasDecay in
                withConstant(group.flag("nesterov")) { nesterov in
                    withConstant(fresh) { fresh in
                        for i in range {
                            var d = sign * g[i]
                            if hasDecay { d = d + wd * p[i] }
                            let m = fresh ? d : b[i] * momentum + keep * d
                            b[i] = m
                            d = nesterov ? d + momentum * m : m
                            p[i] = p[i] + negLR * d
                        }
                    }
                }
            }
        }
    }
}
