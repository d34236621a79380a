/// A finite MDP given by its transition lists (Gymnasium's `P[s][a] = [(p, s', r, terminated)]`),
/// with the dynamic-programming solvers of Sutton & Barto ch. 4.
///
/// Backups treat a terminated outcome as having no future: `Q(s,a) = Σ p·(r + γ·V(s')·(1 − done))`.
///
///     let lake = try FrozenLake(options: ["is_slippery": false])
///     let (v, policy, _) = try lake.mdp.valueIteration(gamma: 0.9)
public struct TabularMDP: Sendable {
    public let transitions: [[[Transition]]]

    public init(transitions: [[[Transition]]]) { self.transitions = transitions }

    public var stateCount: Int { transitions.count }
    public var actionCount: Int { transitions.first?.count ?? 0 }

    /// Q(s, a) for every state and action under values `v`.
    public func qValues(_ v: [Double], gamma: Double) -> [[Double]] {
        transitions.map { actions in
            actions.map { outcomes in
                outcomes.reduce(0) { $0 + $1.probability * ($1.reward + ($1.terminated ? 0 : gamma * v[$1.nextState])) }
            }
        }
    }

    /// Synchronous value iteration until the largest change is below `tolerance`.
    /// Long solves stop with `[value_iteration] interrupted` on Ctrl-C.
    public func valueIteration(gamma: Double, tolerance: Double = 1e-10, maxIterations: Int = 100_000) throws
        -> (values: [Double], policy: [Int], iterations: Int) {
        var v = [Double](repeating: 0, count: stateCount)
        var iterations = 0
        while iterations < maxIterations {
            iterations += 1
            try Interrupt.check("value_iteration")
            let q = qValues(v, gamma: gamma)
            var delta = 0.0
            var next = v
            for s in 0..<stateCount {
                let best = q[s].max() ?? 0
                delta = Swift.max(delta, abs(best - v[s]))
                next[s] = best
            }
            v = next
            if delta < tolerance { break }
        }
        return (v, greedyPolicy(v, gamma: gamma), iterations)
    }

    /// The greedy policy for `v` (ties go to the lowest action, as NumPy's argmax).
    public func greedyPolicy(_ v: [Double], gamma: Double) -> [Int] {
        qValues(v, gamma: gamma).map { row in
            var best = 0
            for a in row.indices where row[a] > row[best] + 1e-12 { best = a }
            return best
        }
    }

    /// Iterative evaluation of a stochastic policy `policy[s][a]` (probabilities).
    public func policyEvaluation(_ policy: [[Double]], gamma: Double, tolerance: Double = 1e-10,
                                 maxIterations: Int = 100_000) throws -> [Double] {
        var v = [Double](repeating: 0, count: stateCount)
        for _ in 0..<maxIterations {
            try Interrupt.check("policy_evaluation")
            let q = qValues(v, gamma: gamma)
            var delta = 0.0
            for s in 0..<stateCount {
                var value = 0.0
                for a in 0..<Swift.min(policy[s].count, q[s].count) { value += policy[s][a] * q[s][a] }
                delta = Swift.max(delta, abs(value - v[s]))
                v[s] = value
            }
            if delta < tolerance { break }
        }
        return v
    }

    /// Evaluation of a deterministic policy (one action per state).
    public func policyEvaluation(actions: [Int], gamma: Double, tolerance: Double = 1e-10) throws -> [Double] {
        let n = actionCount
        let policy = actions.map { a in (0..<n).map { $0 == a ? 1.0 : 0.0 } }
        return try policyEvaluation(policy, gamma: gamma, tolerance: tolerance)
    }

    /// Policy iteration from the all-zeros policy until the policy is stable.
    public func policyIteration(gamma: Double, tolerance: Double = 1e-10, maxIterations: Int = 1000) throws
        -> (values: [Double], policy: [Int], iterations: Int) {
        var policy = [Int](repeating: 0, count: stateCount)
        var v = [Double](repeating: 0, count: stateCount)
        var iterations = 0
        while iterations < maxIterations {
            iterations += 1
            v = try policyEvaluation(actions: policy, gamma: gamma, tolerance: tolerance)
            let q = qValues(v, gamma: gamma)
            var stable = true
            for s in 0..<stateCount {
                var best = policy[s]
                for a in q[s].indices where q[s][a] > q[s][best] + 1e-9 { best = a }
                if best != policy[s] { stable = false; policy[s] = best }
            }
            if stable { break }
        }
        return (v, policy, iterations)
    }
}
