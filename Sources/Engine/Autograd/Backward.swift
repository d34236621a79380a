/// Reverse-mode differentiation over the recorded graph (PyTorch semantics): topological order,
/// one reversed walk, gradients summed per node and accumulated into leaves' `.grad`.
extension Tensor {
    /// Backpropagates from this tensor. Without `gradient` the tensor must hold one element.
    /// Unless `retainGraph`, the graph is freed afterwards; a second backward through it throws.
    public func backward(gradient: Tensor? = nil, retainGraph: Bool = false) throws {
        guard requiresGrad else {
            throw EngineError("backward", "tensor does not require grad and has no grad_fn")
        }
        let seed: Tensor
        if let gradient {
            guard gradient.shape == shape else {
                throw EngineError("backward", "gradient shape \(shapeString(gradient.shape)) does not match tensor shape \(shapeString(shape))")
            }
            seed = try gradient.to(dtype)
        } else {
            guard numel == 1 else {
                throw EngineError("backward", "grad can be implicitly created only for a tensor with one element; got shape \(shapeString(shape)); pass a gradient")
            }
            seed = try Tensor.full(shape, 1, dtype: dtype)
        }
        // Storages already handed out as a `.grad` (or owned by the caller's seed): a gradient
        // buffer is adopted as `.grad` without a copy only if nobody else holds it.
        var claimed: Set<ObjectIdentifier> = [ObjectIdentifier(seed.storage)]
        try GradMode.withoutGrad {
            guard let root = gradFn else {
                try Tensor.accumulate(seed, into: self, claimed: &claimed)
                return
            }
            let order = try Tensor.topologicalOrder(from: root)
            var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): seed]
            for node in order {
                guard let g = pending.removeValue(forKey: ObjectIdentifier(node)) else { continue }
                if let owner = node.owner, owner.retainsGrad { try Tensor.accumulate(g, into: owner, claimed: &claimed) }
                guard let rule = node.rule else { throw Tensor.freedGraphError(node) }
                let grads = try rule(g)
                for (input, gi) in zip(node.inputs, grads) {
                    guard let gi, input.requiresGrad else { continue }
                    guard gi.shape == input.shape else {
                        throw EngineError("backward", "internal: \(node.name) produced a gradient of shape \(shapeString(gi.shape)) for an input of shape \(shapeString(input.shape))")
                    }
                    let gradient = gi.dtype == input.dtype ? gi : try gi.to(input.dtype)
                    if let fn = input.gradFn {
                        let key = ObjectIdentifier(fn)
                        pending[key] = try pending[key].map { try $0.add(gradient) } ?? gradient
                    } else {
                        try Tensor.accumulate(gradient, into: input, claimed: &claimed)
                    }
                }
                if !retainGraph { node.release() }
            }
        }
    }

    /// Sums `g` into `t.grad`, which is always a contiguous tensor aliasing no other gradient:
    /// a fresh, whole, unclaimed buffer is adopted as is; anything else is copied.
    static func accumulate(_ g: Tensor, into t: Tensor, claimed: inout Set<ObjectIdentifier>) throws {
        if let existing = t.grad {
            t.grad = try existing.add(g)
            return
        }
        let whole = g.isContiguous && g.offset == 0 && g.numel == g.storage.count
        if whole && claimed.insert(ObjectIdentifier(g.storage)).inserted {
            t.grad = g.detach()
        } else {
            t.grad = try g.castCopy(to: g.dtype)
        }
    }

    static func freedGraphError(_ node: GradFn) -> EngineError {
        EngineError("backward", "trying to backward through the graph a second time (through \(node.name)); its saved values were freed by the first backward. Pass retainGraph (retain_graph=true) to the first call")
    }

    /// Nodes reachable from `root`, each after every node that consumes it (iterative DFS, so
    /// long graphs such as unrolled RNNs do not overflow the stack).
    static func topologicalOrder(from root: GradFn) throws -> [GradFn] {
        var visited = Set<ObjectIdentifier>()
        var postOrder: [GradFn] = []
        var stack: [(node: GradFn, nextInput: Int)] = [(root, 0)]
        visited.insert(ObjectIdentifier(root))
        if root.rule == nil { throw freedGraphError(root) }
        while !stack.isEmpty {
            let (node, i) = stack[stack.count - 1]
            if i < node.inputs.count {
                stack[stack.count - 1].nextInput += 1
                if let child = node.inputs[i].gradFn, visited.insert(ObjectIdentifier(child)).inserted {
                    stack.append((child, 0))
                }
            } else {
                postOrder.append(node)
                stack.removeLast()
            }
        }
        return postOrder.reversed()
    }
}
