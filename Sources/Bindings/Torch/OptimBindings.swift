import CLua
import CLuaShim
import Engine

/// The Swift optimizers, schedules and gradient clipping behind lumen/optim.lua.
enum OptimBindings {
    /// An options table as PyTorch-named numbers: booleans become 0/1, `betas = {b1, b2}` becomes
    /// beta1/beta2; `params` and non-option fields are skipped.
    static func options(_ lua: Lua, _ i: Int32, _ op: String) throws -> [String: Double] {
        var out: [String: Double] = [:]
        guard lua_type(lua.L, i) == LUA_TTABLE else { return out }
        let t = lua_absindex(lua.L, i)
        lua_pushnil(lua.L)
        while lua_next(lua.L, t) != 0 {
            defer { lumen_pop(lua.L, 1) }
            guard lua_type(lua.L, -2) == LUA_TSTRING else { continue }
            let key = String(cString: lua_tolstring(lua.L, -2, nil))
            if key == "params" { continue }
            switch lua_type(lua.L, -1) {
            case LUA_TBOOLEAN: out[key] = lua.boolean(-1) ? 1 : 0
            case LUA_TNUMBER: out[key] = try lua.number(-1, op, key)
            case LUA_TTABLE where key == "betas":
                let betas = try (1...2).map { k -> Double in
                    lua_rawgeti(lua.L, -1, lua_Integer(k))
                    defer { lumen_pop(lua.L, 1) }
                    return try lua.number(-1, op, "betas[\(k)]")
                }
                out["beta1"] = betas[0]
                out["beta2"] = betas[1]
            default:
                throw EngineError(op, "option \(key): expected a number or boolean; got \(lua.typeName(-1))")
            }
        }
        return out
    }

    /// Parameter groups from a Lua array of `{params = {...}, lr = ...}` tables.
    static func groups(_ lua: Lua, _ i: Int32, _ op: String) throws -> [ParamGroup] {
        guard lua_type(lua.L, i) == LUA_TTABLE else {
            throw EngineError(op, "expected a list of parameter groups; got \(lua.typeName(i))")
        }
        let t = lua_absindex(lua.L, i)
        return try (1...max(1, Int(lua_rawlen(lua.L, t)))).compactMap { k -> ParamGroup? in
            guard k <= Int(lua_rawlen(lua.L, t)) else { return nil }
            lua_rawgeti(lua.L, t, lua_Integer(k))
            defer { lumen_pop(lua.L, 1) }
            lua_getfield(lua.L, -1, "params")
            let params = try TorchShape.tensorList(lua, -1, op)
            lumen_pop(lua.L, 1)
            return ParamGroup(params, options: try options(lua, -1, op))
        }
    }

    static func make(_ kind: String, _ groups: [ParamGroup], _ d: [String: Double]) throws -> Optimizer {
        func flag(_ k: String) -> Bool { (d[k] ?? 0) != 0 }
        switch kind {
        case "SGD":
            return try SGD(groups, lr: d["lr"] ?? 1e-3, momentum: d["momentum"] ?? 0, dampening: d["dampening"] ?? 0,
                           weightDecay: d["weight_decay"] ?? 0, nesterov: flag("nesterov"), maximize: flag("maximize"))
        case "Adam", "AdamW":
            let lr = d["lr"] ?? 1e-3, beta1 = d["beta1"] ?? 0.9, beta2 = d["beta2"] ?? 0.999, eps = d["eps"] ?? 1e-8
            if kind == "AdamW" {
                return try AdamW(groups, lr: lr, beta1: beta1, beta2: beta2, eps: eps, weightDecay: d["weight_decay"] ?? 1e-2,
                                 amsgrad: flag("amsgrad"), maximize: flag("maximize"))
            }
            return try Adam(groups, lr: lr, beta1: beta1, beta2: beta2, eps: eps, weightDecay: d["weight_decay"] ?? 0,
                            amsgrad: flag("amsgrad"), maximize: flag("maximize"))
        case "RMSprop":
            return try RMSprop(groups, lr: d["lr"] ?? 1e-2, alpha: d["alpha"] ?? 0.99, eps: d["eps"] ?? 1e-8,
                               weightDecay: d["weight_decay"] ?? 0, momentum: d["momentum"] ?? 0,
                               centered: flag("centered"), maximize: flag("maximize"))
        case "Adagrad":
            return try Adagrad(groups, lr: d["lr"] ?? 1e-2, lrDecay: d["lr_decay"] ?? 0, weightDecay: d["weight_decay"] ?? 0,
                               initialAccumulatorValue: d["initial_accumulator_value"] ?? 0, eps: d["eps"] ?? 1e-10,
                               maximize: flag("maximize"))
        default:
            throw EngineError("optim", "unknown optimizer \(kind) (expected SGD, Adam, AdamW, RMSprop or Adagrad)")
        }
    }

    /// A schedule built from a kind name and its PyTorch-named options.
    static func schedule(_ kind: String, _ o: [String: Double]) throws -> any LRSchedule {
        func int(_ k: String, _ fallback: Int? = nil) throws -> Int {
            guard let v = o[k] ?? fallback.map(Double.init) else { throw EngineError("lr_scheduler", "\(kind) needs option \(k)") }
            return Int(Int64(fromDouble: v))
        }
        switch kind {
        case "StepLR": return try StepLR(stepSize: int("step_size"), gamma: o["gamma"] ?? 0.1)
        case "ExponentialLR": return try ExponentialLR(gamma: o["gamma"] ?? 0.1)
        case "CosineAnnealingLR": return try CosineAnnealingLR(tMax: int("T_max"), etaMin: o["eta_min"] ?? 0)
        case "LinearWarmup":
            return try LinearWarmup(steps: int("warmup_steps"), startFactor: o["start_factor"] ?? 1.0 / 3, endFactor: o["end_factor"] ?? 1)
        case "OneCycleLR":
            return try OneCycleLR(maxLR: o["max_lr"], totalSteps: int("total_steps"), pctStart: o["pct_start"] ?? 0.3,
                                  divFactor: o["div_factor"] ?? 25, finalDivFactor: o["final_div_factor"] ?? 1e4,
                                  cycleMomentum: (o["cycle_momentum"] ?? 1) != 0)
        default:
            throw EngineError("lr_scheduler", "unknown schedule \(kind)")
        }
    }

    static let bindings: [BindingEntry] = [
        BindingEntry(.namespace("optim_internal", "new")) { lua in
            let kind = try lua.string(1, "optim", "kind")
            let defaults = try options(lua, 3, kind.lowercased())
            // Top-level options apply to every group that does not set its own (and are checked there).
            let merged = try groups(lua, 2, kind.lowercased()).map { group in
                ParamGroup(group.params, options: group.options.merging(defaults) { own, _ in own })
            }
            let optimizer = try make(kind, merged, defaults)
            ObjectUserdata.push(lua, optimizer)
            return 1
        },
        BindingEntry(.namespace("optim_internal", "step")) { lua in
            try ObjectUserdata.get(lua, 1, Optimizer.self, "step").step()
            return 0
        },
        BindingEntry(.namespace("optim_internal", "zero_grad")) { lua in
            try ObjectUserdata.get(lua, 1, Optimizer.self, "zero_grad").zeroGrad()
            return 0
        },
        BindingEntry(.namespace("optim_internal", "set")) { lua in
            let opt = try ObjectUserdata.get(lua, 1, Optimizer.self, "set")
            let group = try lua.optInteger(4, "set", "group").map { $0 - 1 }
            try opt.set(lua.string(2, "set", "option"), lua.number(3, "set", "value"), group: group)
            return 0
        },
        BindingEntry(.namespace("optim_internal", "groups")) { lua in
            // A Lua array of option tables (plus `params`), one per group.
            let opt = try ObjectUserdata.get(lua, 1, Optimizer.self, "param_groups")
            lua_createtable(lua.L, Int32(opt.paramGroups.count), 0)
            for (g, group) in opt.paramGroups.enumerated() {
                lua_createtable(lua.L, 0, Int32(group.options.count + 2))
                for (k, v) in group.options.sorted(by: { $0.key < $1.key }) {
                    lua.push(v)
                    lua_setfield(lua.L, -2, k)
                }
                lua.push(group.initialLR)
                lua_setfield(lua.L, -2, "initial_lr")
                lua.push(group.params)
                lua_setfield(lua.L, -2, "params")
                lua_rawseti(lua.L, -2, lua_Integer(g + 1))
            }
            return 1
        },
        BindingEntry(.namespace("optim_internal", "state_dict")) { lua in
            let dict = try ObjectUserdata.get(lua, 1, Optimizer.self, "state_dict").stateDict()
            lua_createtable(lua.L, 0, Int32(dict.tensors.count))
            for (k, t) in dict.tensors { lua.push(t); lua_setfield(lua.L, -2, k) }
            lua_createtable(lua.L, 0, Int32(dict.scalars.count))
            for (k, v) in dict.scalars { lua.push(v); lua_setfield(lua.L, -2, k) }
            lua.push(dict.optimizer)
            return 3
        },
        BindingEntry(.namespace("optim_internal", "load_state_dict")) { lua in
            let opt = try ObjectUserdata.get(lua, 1, Optimizer.self, "load_state_dict")
            var tensors: [String: Tensor] = [:]
            var scalars: [String: Double] = [:]
            for (index, isTensor) in [(Int32(2), true), (Int32(3), false)] {
                guard lua_type(lua.L, index) == LUA_TTABLE else {
                    throw EngineError("load_state_dict", "argument \(index): expected a table; got \(lua.typeName(index))")
                }
                lua_pushnil(lua.L)
                while lua_next(lua.L, index) != 0 {
                    defer { lumen_pop(lua.L, 1) }
                    let key = try lua.string(-2, "load_state_dict", "key")
                    if isTensor { tensors[key] = try lua.tensor(-1, "load_state_dict") }
                    else { scalars[key] = try lua.number(-1, "load_state_dict", key) }
                }
            }
            try opt.loadStateDict(OptimizerStateDict(optimizer: lua.string(4, "load_state_dict", "optimizer"),
                                                     tensors: tensors, scalars: scalars))
            return 0
        },
        BindingEntry(.namespace("optim_internal", "lr_at")) { lua in
            let s = try schedule(lua.string(1, "lr_scheduler", "kind"), options(lua, 2, "lr_scheduler"))
            lua.push(try s.lr(at: lua.integer(3, "lr_scheduler", "step"), baseLR: lua.number(4, "lr_scheduler", "base_lr")))
            return 1
        },
        BindingEntry(.namespace("optim_internal", "plateau_new")) { lua in
            let o = try options(lua, 1, "reduce_lr_on_plateau")
            let mode = try lua.optionString(1, "mode", "reduce_lr_on_plateau") ?? "min"
            let thresholdMode = try lua.optionString(1, "threshold_mode", "reduce_lr_on_plateau") ?? "rel"
            guard let m = ReduceLROnPlateau.Mode(rawValue: mode), let tm = ReduceLROnPlateau.ThresholdMode(rawValue: thresholdMode) else {
                throw EngineError("reduce_lr_on_plateau", "mode must be min or max and threshold_mode rel or abs; got \(mode), \(thresholdMode)")
            }
            let p = try ReduceLROnPlateau(mode: m, factor: o["factor"] ?? 0.1, patience: Int(Int64(fromDouble: o["patience"] ?? 10)),
                                          threshold: o["threshold"] ?? 1e-4, thresholdMode: tm,
                                          cooldown: Int(Int64(fromDouble: o["cooldown"] ?? 0)), minLR: o["min_lr"] ?? 0,
                                          eps: o["eps"] ?? 1e-8)
            ObjectUserdata.push(lua, Box(p))
            return 1
        },
        BindingEntry(.namespace("optim_internal", "plateau_step")) { lua in
            let box = try ObjectUserdata.get(lua, 1, Box<ReduceLROnPlateau>.self, "reduce_lr_on_plateau")
            let opt = try ObjectUserdata.get(lua, 3, Optimizer.self, "reduce_lr_on_plateau")
            lua.push(try box.value.step(lua.number(2, "reduce_lr_on_plateau", "metric"), optimizer: opt))
            return 1
        },
        BindingEntry(.namespace("optim_internal", "clip_grad_norm")) { lua in
            let params = try TorchShape.tensorList(lua, 1, "clip_grad_norm_")
            let norm = try lua.optNumber(3, "clip_grad_norm_", "norm_type") ?? 2
            lua.push(try clipGradNorm(params, maxNorm: lua.number(2, "clip_grad_norm_", "max_norm"), normType: norm,
                                      errorIfNonfinite: lua.boolean(4)))
            return 1
        },
        BindingEntry(.namespace("optim_internal", "clip_grad_value")) { lua in
            try clipGradValue(TorchShape.tensorList(lua, 1, "clip_grad_value_"), clipValue: lua.number(2, "clip_grad_value_", "clip_value"))
            return 0
        },
    ]
}
