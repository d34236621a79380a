#if canImport(Glibc)
import Glibc
#endif

/// Adam, exactly PyTorch's `torch.optim.Adam` (weight decay as an L2 term in the gradient):
///
///     g = maximize ? -grad : grad
///     g = g + weight_decay * p                 (when weight_decay != 0)
///     m = lerp(m, g, 1 - beta1)                (= beta1 * m + (1 - beta1) * g)
///     v = beta2 * v + (1 - beta2) * g * g
///     vmax = max(vmax, v)                      (amsgrad; then vmax replaces v below)
///     denom = sqrt(v) / sqrt(1 - beta2^t) + eps
///     p = p - lr / (1 - beta1^t) * m / denom
///
/// Options: `lr`, `beta1`, `beta2`, `eps`, `weight_decay`, `amsgrad`, `maximize`.
/// State: `exp_avg`, `exp_avg_sq`, and `max_exp_avg_sq` with amsgrad.
public class Adam: Optimizer {
    /// True for AdamW: weight decay shrinks the parameter instead of adding to the gradient.
    let decoupled: Bool

    public init(_ groups: [ParamGroup], lr: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
                eps: Double = 1e-8, weightDecay: Double = 0, amsgrad: Bool = false, maximize: Bool = false) throws {
        decoupled = false
        try super.init(name: "Adam", op: "adam", groups: groups,
                       defaults: Adam.defaults(lr, beta1, beta2, eps, weightDecay, amsgrad, maximize),
                       flags: ["amsgrad", "maximize"], buffers: ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"])
    }

    /// One group holding `params`.
    public convenience init(_ params: [Tensor], lr: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
                            eps: Double = 1e-8, weightDecay: Double = 0, amsgrad: Bool = false,
                            maximize: Bool = false) throws {
        try self.init([ParamGroup(params)], lr: lr, beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay,
                      amsgrad: amsgrad, maximize: maximize)
    }

    /// For AdamW.
    init(decoupledGroups groups: [ParamGroup], lr: Double, beta1: Double, beta2: Double, eps: Double,
         weightDecay: Double, amsgrad: Bool, maximize: Bool) throws {
        decoupled = true
        try super.init(name: "AdamW", op: "adamw", groups: groups,
                       defaults: Adam.defaults(lr, beta1, beta2, eps, weightDecay, amsgrad, maximize),
                       flags: ["amsgrad", "maximize"], buffers: ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"])
    }

    private static func defaults(_ lr: Double, _ beta1: Double, _ beta2: Double, _ eps: Double, _ weightDecay: Double,
                                 _ amsgrad: Bool, _ maximize: Bool) -> [String: Double] {
        ["lr": lr, "beta1": beta1, "beta2": beta2, "eps": eps, "weight_decay": weightDecay,
         "amsgrad": amsgrad ? 1 : 0, "maximize": maximize ? 1 : 0]
    }

    override func validate(_ o: [String: Double], context: String) throws {
        let lr = o["lr"] ?? 0, eps = o["eps"] ?? 0, b1 = o["beta1"] ?? 0, b2 = o["beta2"] ?? 0
        let wd = o["weight_decay"] ?? 0
        try require(lr >= 0, "learning rate", lr, context)
        try require(eps >= 0, "epsilon value", eps, context)
        try require(b1 >= 0 && b1 < 1, "beta1 (expected 0 <= beta1 < 1)", b1, context)
        try require(b2 >= 0 && b2 < 1, "beta2 (expected 0 <= beta2 < 1)", b2, context)
        try require(wd >= 0, "weight_decay value", wd, context)
    }

    override func requiredBuffers(_ o: [String: Double]) -> [String] {
        (o["amsgrad"] ?? 0) != 0 ? ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"] : ["exp_avg", "exp_avg_sq"]
    }

    override func applySingle(_ param: Tensor, _ grad: Tensor, _ state: ParamState, _ group: ParamGroup) throws {
        let m = try state.buffer("exp_avg", like: param)
        let v = try state.buffer("exp_avg_sq", like: param)
        let vmax = group.flag("amsgrad") ? try state.buffer("max_exp_avg_sq", like: param) : nil
        if param.dtype == .float32 {
            Adam.update(Float.self, param, grad, m, v, vmax, step: state.step, decoupled: decoupled, group)
        } else {
            Adam.update(Double.self, param, grad, m, v, vmax, step: state.step, decoupled: decoupled, group)
        }
    }

    /// The fused update over all elements (both cores for large parameters).
    private static func update<T: FloatElement>(_: T.Type, _ param: Tensor, _ grad: Tensor, _ expAvg: Tensor,
                                                _ expAvgSq: Tensor, _ maxExpAvgSq: Tensor?, step: Int,
                                                decoupled: Bool, _ group: ParamGroup) {
        let lr = group.value("lr"), beta1 = group.value("beta1"), beta2 = group.value("beta2")
        let weightDecay = group.value("weight_decay")
        // Scalars are computed in double precision, then converted, as PyTorch does.
        let t = Double(step)
        let biasCorrection1 = 1 - Glibc.pow(beta1, t)
        let biasCorrection2 = 1 - Glibc.pow(beta2, t)
        let negStepSize = T(-(lr / biasCorrection1))
        let bc2Sqrt = T(biasCorrection2.squareRoot())
        let w1 = T(1 - beta1), b2 = T(beta2), w2 = T(1 - beta2), eps = T(group.value("eps"))
        let wd = T(weightDecay)
        // Decoupled decay multiplies by (1 - lr wd); a multiply by exactly 1 changes nothing, so
        // Adam (and AdamW without decay) need no branch. Likewise negation for `maximize`.
        let shrink = T(decoupled ? 1 - lr * weightDecay : 1)
        let sign: T = group.flag("maximize") ? -1 : 1
        let p = param.pointer(T.self), g = grad.pointer(T.self)
        let m = expAvg.pointer(T.self), v = expAvgSq.pointer(T.self)
        // Without amsgrad the pointer is never read.
        let vmax = maxExpAvgSq?.pointer(T.self) ?? v
        let count = param.numel
        Elementwise.run(count: count) { range in
            withConstant(!decoupled && weightDecay != 0) { l2 in
                withConstant(maxExpAvgSq != nil) { amsgrad in
                    withConstant(abs(w1) < 0.5) { smallWeight in
                        for i in range {
                            let x = p[i] * shrink
                            var d = sign * g[i]
                            if l2 { d = d + wd * x }
                            let mi = lerp(m[i], d, w1, small: smallWeight)
                            m[i] = mi
                            var vi = v[i] * b2 + w2 * d * d
                            v[i] = vi
                            if amsgrad {
                                vi = Swift.max(vmax[i], vi)
                                vmax[i] = vi
                            }
                            let denom = T.sqrt(vi) / bc2Sqrt + eps
                            p[i] = x + negStepSize * (mi / denom)
                        }
                    }
                }
            }
        }
    }
}

/// AdamW, exactly PyTorch's `torch.optim.AdamW`: Adam with decoupled weight decay, applied first
/// as `p = p * (1 - lr * weight_decay)`; the gradient is left alone. Default weight decay 0.01.
public final class AdamW: Adam {
    public override init(_ groups: [ParamGroup], lr: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
                eps: Double = 1e-8, weightDecay: Double = 1e-2, amsgrad: Bool = false, maximize: Bool = false) throws {
        try super.init(decoupledGroups: groups, lr: lr, beta1: beta1, beta2: beta2, eps: eps,
                       weightDecay: weightDecay, amsgrad: amsgrad, maximize: maximize)
    }

    /// One group holding `params`.
    public convenience init(_ params: [Tensor], lr: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
                            eps: Double = 1e-8, weightDecay: Double = 1e-2, amsgrad: Bool = false,
                            maximize: Bool = false) throws {
        try self.init([ParamGroup(params)], lr: lr, beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay,
                      amsgrad: amsgrad, maximize: maximize)
    }
}
