/// RMSprop, exactly PyTorch's `torch.optim.RMSprop`:
///
///     g = maximize ? -grad : grad
///     g = g + weight_decay * p                      (when weight_decay != 0)
///     s = alpha * s + (1 - alpha) * g * g
///     a = lerp(a, g, 1 - alpha); avg = sqrt(s - a * a) + eps    (centered)
///     avg = sqrt(s) + eps                                       (otherwise)
///     b = momentum * b + g / avg;  p = p - lr * b               (momentum > 0)
///     p = p - lr * g / avg                                      (otherwise)
///
/// Options: `lr`, `alpha`, `eps`, `weight_decay`, `momentum`, `centered`, `maximize`.
/// State: `square_avg`, `momentum_buffer` (momentum > 0), `grad_avg` (centered).
public final class RMSprop: Optimizer {
    public init(_ groups: [ParamGroup], lr: Double = 1e-2, alpha: Double = 0.99, eps: Double = 1e-8,
                weightDecay: Double = 0, momentum: Double = 0, centered: Bool = false, maximize: Bool = false) throws {
        try super.init(name: "RMSprop", op: "rmsprop", groups: groups,
                       defaults: ["lr": lr, "alpha": alpha, "eps": eps, "weight_decay": weightDecay,
                                  "momentum": momentum, "centered": centered ? 1 : 0, "maximize": maximize ? 1 : 0],
                       flags: ["centered", "maximize"], buffers: ["square_avg", "momentum_buffer", "grad_avg"])
    }

    /// One group holding `params`.
    public convenience init(_ params: [Tensor], lr: Double = 1e-2, alpha: Double = 0.99, eps: Double = 1e-8,
                            weightDecay: Double = 0, momentum: Double = 0, centered: Bool = false,
                            maximize: Bool = false) throws {
        try self.init([ParamGroup(params)], lr: lr, alpha: alpha, eps: eps, weightDecay: weightDecay,
                      momentum: momentum, centered: centered, maximize: maximize)
    }

    override func validate(_ o: [String: Double], context: String) throws {
        let lr = o["lr"] ?? 0, eps = o["eps"] ?? 0, momentum = o["momentum"] ?? 0
        let wd = o["weight_decay"] ?? 0, alpha = o["alpha"] ?? 0
        try require(lr >= 0, "learning rate", lr, context)
        try require(eps >= 0, "epsilon value", eps, context)
        try require(momentum >= 0, "momentum value", momentum, context)
        try require(wd >= 0, "weight_decay value", wd, context)
        try require(alpha >= 0, "alpha value", alpha, context)
    }

    override func requiredBuffers(_ o: [String: Double]) -> [String] {
        var names = ["square_avg"]
        if (o["momentum"] ?? 0) > 0 { names.append("momentum_buffer") }
        if (o["centered"] ?? 0) != 0 { names.append("grad_avg") }
        return names
    }

    override func applySingle(_ param: Tensor, _ grad: Tensor, _ state: ParamState, _ group: ParamGroup) throws {
        let square = try state.buffer("square_avg", like: param)
        let momentum = group.value("momentum") > 0 ? try state.buffer("momentum_buffer", like: param) : nil
        let average = group.flag("centered") ? try state.buffer("grad_avg", like: param) : nil
        if param.dtype == .float32 {
            RMSprop.update(Float.self, param, grad, square, momentum, average, group)
        } else {
            RMSprop.update(Double.self, param, grad, square, momentum, average, group)
        }
    }

    /// The fused update over all elements (both cores for large parameters).
    private static func update<T: FloatElement>(_: T.Type, _ param: Tensor, _ grad: Tensor, _ squareAvg: Tensor,
                                                _ momentumBuffer: Tensor?, _ gradAvg: Tensor?, _ group: ParamGroup) {
        let alpha = group.value("alpha")
        let a = T(alpha), w = T(1 - alpha), eps = T(group.value("eps"))
        let wd = T(group.value("weight_decay"))
        let mu = T(group.value("momentum")), negLR = T(-group.value("lr"))
        let sign: T = group.flag("maximize") ? -1 : 1
        let p = param.pointer(T.self), g = grad.pointer(T.self), s = squareAvg.pointer(T.self)
        // Pointers of absent buffers are never read.
        let buf = momentumBuffer?.pointer(T.self) ?? s, ga = gradAvg?.pointer(T.self) ?? s
        let count = param.numel
        Elementwise.run(count: count) { range in
            withConstant(group.value("weight_decay") != 0) { hasDecay in
                withConstant(gradAvg != nil) { centered in
                    withConstant(momentumBuffer != nil) { hasMomentum in
                        withConstant(abs(w) < 0.5) { smallWeight in
                            for i in range {
                                var d = sign * g[i]
                                if hasDecay { d = d + wd * p[i] }
                                let si = s[i] * a + w * d * d
                                s[i] = si
                                var avg: T
                                if centered {
                                    let mean = lerp(ga[i], d, w, small: smallWeight)
                                    ga[i] = mean
                                    avg = T.sqrt(si + (-1) * mean * mean)
                                } else {
                                    avg = T.sqrt(si)
                                }
                                avg = avg + eps
                                if hasMomentum {
                                    let b = buf[i] * mu + d / avg
                                    buf[i] = b
                                    p[i] = p[i] + negLR * b
                                } else {
                                    p[i] = p[i] + negLR * (d / avg)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
