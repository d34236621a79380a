/// Adagrad, exactly PyTorch's `torch.optim.Adagrad`:
///
///     g = maximize ? -grad : grad
///     g = g + weight_decay * p                 (when weight_decay != 0)
///     clr = lr / (1 + (t - 1) * lr_decay)
///     s = s + g * g                            (s starts at initial_accumulator_value)
///     p = p - clr * g / (sqrt(s) + eps)
///
/// Options: `lr`, `lr_decay`, `weight_decay`, `initial_accumulator_value`, `eps`, `maximize`.
/// State: `sum`.
public final class Adagrad: Optimizer {
    public init(_ groups: [ParamGroup], lr: Double = 1e-2, lrDecay: Double = 0, weightDecay: Double = 0,
                initialAccumulatorValue: Double = 0, eps: Double = 1e-10, maximize: Bool = false) throws {
        try super.init(name: "Adagrad", op: "adagrad", groups: groups,
                       defaults: ["lr": lr, "lr_decay": lrDecay, "weight_decay": weightDecay,
                                  "initial_accumulator_value": initialAccumulatorValue, "eps": eps,
                                  "maximize": maximize ? 1 : 0],
                       flags: ["maximize"], buffers: ["sum"])
    }

    /// One group holding `params`.
    public convenience init(_ params: [Tensor], lr: Double = 1e-2, lrDecay: Double = 0, weightDecay: Double = 0,
                            initialAccumulatorValue: Double = 0, eps: Double = 1e-10, maximize: Bool = false) throws {
        try self.init([ParamGroup(params)], lr: lr, lrDecay: lrDecay, weightDecay: weightDecay,
                      initialAccumulatorValue: initialAccumulatorValue, eps: eps, maximize: maximize)
    }

    override func validate(_ o: [String: Double], context: String) throws {
        let lr = o["lr"] ?? 0, decay = o["lr_decay"] ?? 0, wd = o["weight_decay"] ?? 0
        let initial = o["initial_accumulator_value"] ?? 0, eps = o["eps"] ?? 0
        try require(lr >= 0, "learning rate", lr, context)
        try require(decay >= 0, "lr_decay value", decay, context)
        try require(wd >= 0, "weight_decay value", wd, context)
        try require(initial >= 0, "initial_accumulator_value", initial, context)
        try require(eps >= 0, "epsilon value", eps, context)
    }

    override func requiredBuffers(_ o: [String: Double]) -> [String] { ["sum"] }

    override func applySingle(_ param: Tensor, _ grad: Tensor, _ state: ParamState, _ group: ParamGroup) throws {
        let sum = try state.buffer("sum", like: param, initial: group.value("initial_accumulator_value"))
        if param.dtype == .float32 {
            Adagrad.update(Float.self, param, grad, sum, step: state.step, group)
        } else {
            Adagrad.update(Double.self, param, grad, sum, step: state.step, group)
        }
    }

    /// The fused update over all elements (both cores for large parameters).
    private static func update<T: FloatElement>(_: T.Type, _ param: Tensor, _ grad: Tensor, _ stateSum: Tensor,
                                                step: Int, _ group: ParamGroup) {
        let clr = group.value("lr") / (1 + Double(step - 1) * group.value("lr_decay"))
        let negCLR = T(-clr), eps = T(group.value("eps"))
        let wd = T(group.value("weight_decay"))
        let sign: T = group.flag("maximize") ? -1 : 1
        let p = param.pointer(T.self), g = grad.pointer(T.self), s = stateSum.pointer(T.self)
        let count = param.numel
        Elementwise.run(count: count) { range in
            withConstant(group.value("weight_decay") != 0) { hasDecay in
                for i in range {
                    var d = sign * g[i]
                    if hasDecay { d = d + wd * p[i] }
                    let si = s[i] + d * d
                    s[i] = si
                    p[i] = p[i] + negCLR * (d / (T.sqrt(si) + eps))
                }
            }
        }
    }
}
