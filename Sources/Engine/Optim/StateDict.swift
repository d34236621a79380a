/// A snapshot of an optimizer: what `Optimizer.stateDict()` returns and `loadStateDict` takes.
///
/// Parameters are numbered 0, 1, ... across the groups in order (as PyTorch's state dicts).
/// - `tensors`: `state.<i>.<buffer>`, e.g. `state.0.exp_avg`, `state.3.momentum_buffer`.
/// - `scalars`: `num_param_groups`; per group `param_groups.<g>.params` (its parameter count),
///   `param_groups.<g>.initial_lr` and every option (`param_groups.<g>.lr`, ...); per stepped
///   parameter `state.<i>.step`.
public struct OptimizerStateDict: Sendable {
    /// The optimizer's name (`SGD`, `Adam`, ...).
    public var optimizer: String
    public var tensors: [String: Tensor]
    public var scalars: [String: Double]

    public init(optimizer: String, tensors: [String: Tensor], scalars: [String: Double]) {
        self.optimizer = optimizer
        self.tensors = tensors
        self.scalars = scalars
    }
}

extension Optimizer {
    /// A copy of the hyperparameters and state (buffers are copied, so later steps leave it as is).
    public func stateDict() throws -> OptimizerStateDict {
        var tensors: [String: Tensor] = [:]
        var scalars: [String: Double] = ["num_param_groups": Double(paramGroups.count)]
        var index = 0
        for (g, group) in paramGroups.enumerated() {
            scalars["param_groups.\(g).params"] = Double(group.params.count)
            scalars["param_groups.\(g).initial_lr"] = group.initialLR
            for (key, value) in group.options { scalars["param_groups.\(g).\(key)"] = value }
            for p in group.params {
                if let state = states[ObjectIdentifier(p)] {
                    scalars["state.\(index).step"] = Double(state.step)
                    for (name, buffer) in state.buffers { tensors["state.\(index).\(name)"] = try buffer.castCopy(to: buffer.dtype) }
                }
                index += 1
            }
        }
        return OptimizerStateDict(optimizer: name, tensors: tensors, scalars: scalars)
    }

    /// Restores hyperparameters and state saved by `stateDict` from an optimizer of the same kind
    /// over parameters of the same shapes (group by group). Everything is checked first; on
    /// error the optimizer is left unchanged. Buffers are copied (converted to each parameter's
    /// dtype), so the dict can be loaded again.
    public func loadStateDict(_ dict: OptimizerStateDict) throws {
        let lop = "load_state_dict"
        guard dict.optimizer == name else {
            throw EngineError(lop, "state dict is for \(dict.optimizer); this optimizer is \(name)")
        }
        var used = Set<String>()
        func number(_ key: String) throws -> Double {
            guard let v = dict.scalars[key] else { throw EngineError(lop, "missing '\(key)'") }
            used.insert(key)
            return v
        }
        func count(_ key: String) throws -> Int {
            let v = try number(key)
            guard v >= 0, v < 1e15, v == v.rounded() else {
                throw EngineError(lop, "'\(key)' must be a non-negative integer; got \(v)")
            }
            return Int(v)
        }
        let groupCount = try count("num_param_groups")
        guard groupCount == paramGroups.count else {
            throw EngineError(lop, "state dict has \(groupCount) parameter group(s); this optimizer has \(paramGroups.count)")
        }
        var groups = paramGroups
        var params: [(param: Tensor, group: Int)] = []
        for g in 0..<groupCount {
            let n = try count("param_groups.\(g).params")
            guard n == paramGroups[g].params.count else {
                throw EngineError(lop, "group \(g) has \(n) parameter(s) in the state dict; this optimizer's has \(paramGroups[g].params.count)")
            }
            var options: [String: Double] = [:]
            for key in defaults.keys.sorted() { options[key] = try number("param_groups.\(g).\(key)") }
            do { try checkOptions(options, context: " in group \(g) of the state dict") }
            catch let error as EngineError { throw EngineError(lop, error.detail) }
            groups[g].options = options
            groups[g].initialLR = try number("param_groups.\(g).initial_lr")
            params += paramGroups[g].params.map { ($0, g) }
        }
        var restored: [ObjectIdentifier: ParamState] = [:]
        for (i, (param, g)) in params.enumerated() {
            let prefix = "state.\(i)."
            let names = dict.tensors.keys.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
            guard dict.scalars[prefix + "step"] != nil else {
                if let name = names.sorted().first {
                    throw EngineError(lop, "'\(prefix)\(name)' given without '\(prefix)step'")
                }
                continue
            }
            let state = ParamState()
            state.step = try count(prefix + "step")
            for name in names.sorted() {
                guard knownBuffers.contains(name) else {
                    throw EngineError(lop, "unknown buffer '\(prefix)\(name)' for \(self.name); expected one of \(knownBuffers.sorted().joined(separator: ", "))")
                }
                guard let t = dict.tensors[prefix + name] else { continue }
                guard t.shape == param.shape else {
                    throw EngineError(lop, "'\(prefix)\(name)' has shape \(shapeString(t.shape)); parameter \(i) has shape \(shapeString(param.shape))")
                }
                guard t.dtype.isFloatingPoint else {
                    throw EngineError(lop, "'\(prefix)\(name)' must be floating point; got \(t.dtype)")
                }
                state.buffers[name] = try t.castCopy(to: param.dtype)
                used.insert(prefix + name)
            }
            if state.step > 0 {
                for name in requiredBuffers(groups[g].options) where state.buffers[name] == nil {
                    throw EngineError(lop, "missing buffer '\(prefix)\(name)' (parameter \(i) has been stepped \(state.step) time(s))")
                }
            }
            restored[ObjectIdentifier(param)] = state
        }
        let unexpected = (Array(dict.scalars.keys) + Array(dict.tensors.keys)).filter { !used.contains($0) }
        if let key = unexpected.sorted().first {
            throw EngineError(lop, "unexpected key '\(key)' (\(params.count) parameter(s) in \(groupCount) group(s))")
        }
        paramGroups = groups
        states = restored
    }

    /// Writes `stateDict()` as a safetensors file (buffers as tensors; the optimizer's name and
    /// the scalars, exactly, as metadata), atomically.
    public func save(to path: String) throws {
        let dict = try stateDict()
        var metadata = ["optimizer": dict.optimizer]
        for (key, value) in dict.scalars { metadata[key] = "\(value)" }
        try Safetensors.write(dict.tensors, metadata: metadata, to: path)
    }

    /// Restores state written by `save(to:)` (checked as `loadStateDict`).
    public func load(from path: String) throws {
        let file = try Safetensors.read(path: path)
        guard let kind = file.metadata["optimizer"] else {
            throw EngineError("load_state_dict", "\(path) has no 'optimizer' metadata; was it written by Optimizer.save?")
        }
        var scalars: [String: Double] = [:]
        for (key, text) in file.metadata where key != "optimizer" {
            guard let value = Double(text) else {
                throw EngineError("load_state_dict", "\(path): metadata '\(key)' is not a number: \(text)")
            }
            scalars[key] = value
        }
        try loadStateDict(OptimizerStateDict(optimizer: kind, tensors: file.tensors, scalars: scalars))
    }
}
