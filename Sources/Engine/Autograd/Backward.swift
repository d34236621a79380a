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
        try GradMode.withoutGrad {
            guard let root = gradFn else {
                try Tensor.accumulate(seed, into: self)
                return
            }
            let order = try Tensor.topologicalOrder(from: root)
            var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): seed]
            for node in order {
                guard let g = pending.removeValue(forKey: ObjectIdentifier(node)) else { continue }
                if let owner = node.owner, owner.retainsGrad { try Tensor.accumulate(g, into: owner) }
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
                        try Tensor.accumulate(gradient, into: input)
                    }
                }
                if !retainGraph { node.release() }
            }
        }
    }

    /// Sums `g` into `t.grad` (a fresh contiguous tensor, never aliasing another gradient).
    static func accumulate(_ g: Tensor, into t: Tensor) throws {
        if let existing = t.grad {
            t.grad = try existing.add(g)
        } else {
            t.grad = try g.clone()
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
