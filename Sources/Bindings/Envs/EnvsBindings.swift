import CLua
import CLuaShim
import Engine

/// The Swift side of `lumen.envs` (Sources/Bindings/lua/lumen/envs.lua wraps these in the
/// Lua API). Functions live in `lumen_internal` with an `envs_` prefix; arguments that are
/// environments may be handles or the Lua env objects holding them in `_handle`.
enum EnvsBindings {
    static func entry(_ name: String, _ f: @escaping Binding) -> BindingEntry {
        BindingEntry(.namespace("lumen_internal", "envs_" + name), f)
    }

    /// Reset arguments: nil, a seed, or {seed = n, options = {...}, other options...}.
    static func resetArguments(_ lua: Lua, _ i: Int32, _ op: String) throws -> (UInt64?, EnvOptions) {
        if lua.isNoneOrNil(i) { return (nil, EnvOptions([:], indexBase: EnvConvert.base)) }
        if lua.type(i) == LUA_TNUMBER { return (try EnvConvert.seed(lua, i, op), EnvOptions([:], indexBase: EnvConvert.base)) }
        guard lua.type(i) == LUA_TTABLE else {
            throw EngineError(op, "expected nil, a seed or a table {seed = ..., options = {...}}; got \(lua.typeName(i))")
        }
        var seed: UInt64?
        if let s = try lua.withField(i, "seed", { try EnvConvert.seed(lua, -1, op) }) { seed = s }
        var options = try EnvConvert.options(lua, i, op, skip: ["seed", "options"])
        if let nested = try lua.withField(i, "options", { try EnvConvert.options(lua, -1, op) }) {
            for (k, v) in nested.values { options[k] = v }
        }
        return (seed, options)
    }

    static func pushTransitions(_ lua: Lua, _ table: [[[Transition]]]) {
        let L = lua.L
        lua_createtable(L, Int32(table.count), 0)
        for (s, actions) in table.enumerated() {
            lua_createtable(L, Int32(actions.count), 0)
            for (a, outcomes) in actions.enumerated() {
                lua_createtable(L, Int32(outcomes.count), 0)
                for (k, t) in outcomes.enumerated() {
                    lua_createtable(L, 4, 0)
                    lua_pushnumber(L, t.probability); lua_rawseti(L, -2, 1)
                    lua_pushinteger(L, lua_Integer(t.nextState + EnvConvert.base)); lua_rawseti(L, -2, 2)
                    lua_pushnumber(L, t.reward); lua_rawseti(L, -2, 3)
                    lua_pushboolean(L, t.terminated ? 1 : 0); lua_rawseti(L, -2, 4)
                    lua_rawseti(L, -2, lua_Integer(k + 1))
                }
                lua_rawseti(L, -2, lua_Integer(a + 1))
            }
            lua_rawseti(L, -2, lua_Integer(s + 1))
        }
    }

    static func tabular(_ e: Env, _ op: String) throws -> any TabularEnvironment {
        guard let t = e.base as? any TabularEnvironment else {
            throw EngineError(op, "\(e.id) has no transition table (tabular environments: FrozenLake-v1, FrozenLake8x8-v1, CliffWalking-v0, GridWorld-v0)")
        }
        return t
    }

    static func gamma(_ lua: Lua, _ i: Int32, _ op: String) throws -> Double {
        let g = try lua.optNumber(i, op, "gamma") ?? 0.99
        guard g >= 0 && g <= 1 else { throw EngineError(op, "argument \(i) (gamma): expected a discount in [0, 1]; got \(g)") }
        return g
    }

    static func tolerance(_ lua: Lua, _ i: Int32, _ op: String) throws -> Double {
        let t = try lua.optNumber(i, op, "tolerance") ?? 1e-10
        guard t > 0 else { throw EngineError(op, "argument \(i) (tolerance): expected a positive number; got \(t)") }
        return t
    }

    /// Pushes a vector environment's step info (Gymnasium's vector info: per-key arrays with
    /// `_key` masks, plus the final observations and infos of the episodes that ended).
    static func pushVectorInfo(_ lua: Lua, _ v: VectorEnv, infos: [Info], step: VectorStep?) throws {
        let L = lua.L
        let n = v.count
        lua_createtable(L, 0, 4)
        var keys = Set<String>()
        for info in infos { keys.formUnion(info.keys) }
        for key in keys.sorted() {
            let values = infos.map { $0[key] }
            let numeric = values.allSatisfy { value in
                guard let value else { return true }
                switch value {
                case .number, .integer, .bool, .index: return true
                default: return false
                }
            }
            if numeric {
                let present = values.compactMap { $0 }
                let allBool = present.allSatisfy { if case .bool = $0 { return true }; return false }
                let allInteger = present.allSatisfy {
                    switch $0 { case .integer, .index: return true; default: return false }
                }
                let data = values.map { value -> Double in
                    guard let value else { return 0 }
                    if case .index(let i) = value { return Double(i + EnvConvert.base) }
                    return value.number ?? 0
                }
                let dtype: DType = allBool ? .bool : (allInteger ? .int64 : .float32)
                lua.push(try Tensor(data, shape: [n], dtype: dtype))
                lua_setfield(L, -2, key)
                lua.push(try Tensor(values.map { $0 == nil ? 0 : 1 }, shape: [n], dtype: .bool))
                lua_setfield(L, -2, "_" + key)
            } else {
                lua_createtable(L, 0, 0)
                for (i, value) in values.enumerated() {
                    guard let value else { continue }
                    try EnvConvert.push(lua, value, observationSpace: v.singleObservationSpace)
                    lua_rawseti(L, -2, lua_Integer(i + 1))
                }
                lua_setfield(L, -2, key)
            }
        }
        guard let step, !step.finalObservations.isEmpty else { return }
        let ended = step.finalObservations.keys.sorted()
        lua_createtable(L, 0, Int32(ended.count))
        for i in ended {
            try EnvConvert.push(lua, step.finalObservations[i] ?? .discrete(0), space: v.singleObservationSpace)
            lua_rawseti(L, -2, lua_Integer(i + 1))
        }
        lua_setfield(L, -2, "final_observation")
        lua_createtable(L, 0, Int32(ended.count))
        for i in ended {
            try EnvConvert.push(lua, step.finalInfos[i] ?? [:], observationSpace: v.singleObservationSpace)
            lua_rawseti(L, -2, lua_Integer(i + 1))
        }
        lua_setfield(L, -2, "final_info")
        var mask = [Double](repeating: 0, count: n)
        var returns = [Double](repeating: 0, count: n)
        var lengths = [Double](repeating: 0, count: n)
        for i in ended {
            mask[i] = 1
            returns[i] = step.episodeReturns[i] ?? 0
            lengths[i] = Double(step.episodeLengths[i] ?? 0)
        }
        let maskTensor = try Tensor(mask, shape: [n], dtype: .bool)
        lua.push(maskTensor)
        lua_setfield(L, -2, "_final_observation")
        lua_createtable(L, 0, 3)
        lua.push(try Tensor(returns, shape: [n], dtype: .float32)); lua_setfield(L, -2, "r")
        lua.push(try Tensor(lengths, shape: [n], dtype: .int64)); lua_setfield(L, -2, "l")
        lua.push(maskTensor); lua_setfield(L, -2, "_r")
        lua_setfield(L, -2, "episode")
    }

    static let bindings: [BindingEntry] = [
        entry("close") { lua in
            EnvObjects.release(lua, 1)
            if lua.type(1) == LUA_TTABLE {
                lua_pushstring(lua.L, "_handle")
                lua_rawget(lua.L, 1)
                EnvObjects.release(lua, -1)
                lumen_pop(lua.L, 1)
            }
            return 0
        },
        entry("list") { lua in
            let L = lua.L
            lua_createtable(L, Int32(EnvRegistry.entries.count), 0)
            for (k, e) in EnvRegistry.entries.enumerated() {
                lua_createtable(L, 0, 2)
                lua.push(e.id); lua_setfield(L, -2, "id")
                lua.push(e.summary); lua_setfield(L, -2, "summary")
                lua_rawseti(L, -2, lua_Integer(k + 1))
            }
            return 1
        },
        entry("make") { lua in
            let name = try lua.string(1, "envs.make", "name")
            let options = try EnvConvert.options(lua, 2, "envs.make")
            let env = try EnvRegistry.make(name, options: options)
            env.indexBase = EnvConvert.base
            EnvObjects.push(lua, env)
            return 1
        },
        entry("spaces") { lua in
            let e = try EnvObjects.env(lua, 1, "envs.spaces")
            try EnvConvert.push(lua, describing: e.observationSpace, sampler: SpaceSampler(space: e.observationSpace, source: .envObservation(e)))
            try EnvConvert.push(lua, describing: e.actionSpace, sampler: SpaceSampler(space: e.actionSpace, source: .envAction(e)))
            return 2
        },
        entry("reset") { lua in
            let e = try EnvObjects.env(lua, 1, "reset")
            let (seed, options) = try resetArguments(lua, 2, e.id + ".reset")
            let (obs, info) = try e.reset(seed: seed, options: options)
            try EnvConvert.push(lua, obs, space: e.observationSpace)
            try EnvConvert.push(lua, info, observationSpace: e.observationSpace)
            return 2
        },
        entry("step") { lua in
            let e = try EnvObjects.env(lua, 1, "step")
            let action = try EnvConvert.action(lua, 2, space: e.actionSpace, e.stepOp)
            let s = try e.step(action)
            try EnvConvert.push(lua, s.observation, space: e.observationSpace)
            lua.push(s.reward)
            lua.push(s.terminated)
            lua.push(s.truncated)
            if s.info.isEmpty { lua_createtable(lua.L, 0, 0) } else {
                try EnvConvert.push(lua, s.info, observationSpace: e.observationSpace)
            }
            return 5
        },
        entry("render") { lua in
            lua.push(try EnvObjects.env(lua, 1, "render").render())
            return 1
        },
        entry("transitions") { lua in
            let e = try EnvObjects.env(lua, 1, "P")
            pushTransitions(lua, try tabular(e, e.id + ".P").transitions)
            return 1
        },
        entry("properties") { lua in
            let e = try EnvObjects.env(lua, 1, "properties")
            try EnvConvert.push(lua, e.properties(), observationSpace: e.observationSpace)
            return 1
        },
        entry("status") { lua in
            let e = try EnvObjects.env(lua, 1, "status")
            let L = lua.L
            lua_createtable(L, 0, 5)
            lua.push(e.id); lua_setfield(L, -2, "id")
            lua.push(e.elapsedSteps); lua_setfield(L, -2, "elapsed_steps")
            lua.push(e.episodeReturn); lua_setfield(L, -2, "episode_return")
            lua.push(e.needsReset); lua_setfield(L, -2, "needs_reset")
            if let m = e.maxEpisodeSteps { lua.push(m); lua_setfield(L, -2, "max_episode_steps") }
            return 1
        },
        entry("legal_actions") { lua in
            let e = try EnvObjects.env(lua, 1, "legal_actions")
            guard let legal = e.legalActions() else {
                if case .discrete(let n) = e.actionSpace { lua.push((0..<n).map { $0 + 1 }); return 1 }
                lua.pushNil()
                return 1
            }
            lua.push(legal.map { $0 + EnvConvert.base })
            return 1
        },
        entry("clone") { lua in
            let e = try EnvObjects.env(lua, 1, "clone")
            EnvObjects.push(lua, try e.clone())
            return 1
        },
        entry("value_iteration") { lua in
            let op = "envs.value_iteration"
            let e = try EnvObjects.env(lua, 1, op)
            let mdp = try tabular(e, op).mdp
            let (v, policy, iterations) = try mdp.valueIteration(gamma: try gamma(lua, 2, op), tolerance: try tolerance(lua, 3, op))
            lua.push(try Tensor(v, shape: [v.count], dtype: .float64))
            lua.push(try Tensor(policy.map { Double($0 + EnvConvert.base) }, shape: [policy.count], dtype: .int64))
            lua.push(iterations)
            return 3
        },
        entry("policy_iteration") { lua in
            let op = "envs.policy_iteration"
            let e = try EnvObjects.env(lua, 1, op)
            let mdp = try tabular(e, op).mdp
            let (v, policy, iterations) = try mdp.policyIteration(gamma: try gamma(lua, 2, op), tolerance: try tolerance(lua, 3, op))
            lua.push(try Tensor(v, shape: [v.count], dtype: .float64))
            lua.push(try Tensor(policy.map { Double($0 + EnvConvert.base) }, shape: [policy.count], dtype: .int64))
            lua.push(iterations)
            return 3
        },
        entry("policy_evaluation") { lua in
            // policy: an (nS) tensor/table of actions 1..nA, or an nS×nA tensor of probabilities.
            let op = "envs.policy_evaluation"
            let e = try EnvObjects.env(lua, 1, op)
            let mdp = try tabular(e, op).mdp
            let nS = mdp.stateCount, nA = mdp.actionCount
            let values: [Double]
            let rank2: Bool
            if let t = lua.optTensor(2) { values = try t.toDoubles(); rank2 = t.rank == 2 }
            else if lua.type(2) == LUA_TTABLE {
                values = try EnvConvert.numbers(lua, 2, op, what: "policy")
                rank2 = values.count == nS * nA && nA > 1
            } else { throw EngineError(op, "argument 2 (policy): expected a tensor or table; got \(lua.typeName(2))") }
            let gammaValue = try gamma(lua, 3, op), tol = try tolerance(lua, 4, op)
            let v: [Double]
            if rank2 {
                guard values.count == nS * nA else {
                    throw EngineError(op, "policy: expected \(nS)x\(nA) probabilities; got \(values.count) values")
                }
                v = try mdp.policyEvaluation((0..<nS).map { s in Array(values[(s * nA)..<((s + 1) * nA)]) }, gamma: gammaValue, tolerance: tol)
            } else {
                guard values.count == nS else { throw EngineError(op, "policy: expected \(nS) actions (one per state); got \(values.count)") }
                let actions = try values.enumerated().map { s, a -> Int in
                    guard a == a.rounded(), a >= 1, a <= Double(nA) else {
                        throw EngineError(op, "policy: state \(s + 1) has action \(a); expected an integer in 1..\(nA)")
                    }
                    return Int(a) - EnvConvert.base
                }
                v = try mdp.policyEvaluation(actions: actions, gamma: gammaValue, tolerance: tol)
            }
            lua.push(try Tensor(v, shape: [v.count], dtype: .float64))
            return 1
        },
        entry("q_values") { lua in
            let op = "envs.q_values"
            let e = try EnvObjects.env(lua, 1, op)
            let mdp = try tabular(e, op).mdp
            let v = try lua.tensor(2, op).toDoubles()
            guard v.count == mdp.stateCount else { throw EngineError(op, "values: expected \(mdp.stateCount) state values; got \(v.count)") }
            let q = mdp.qValues(v, gamma: try gamma(lua, 3, op))
            lua.push(try Tensor(Array(q.joined()), shape: [mdp.stateCount, mdp.actionCount], dtype: .float64))
            return 1
        },

        // MARK: spaces

        entry("space_new") { lua in
            let op = "envs.spaces"
            let space = try EnvConvert.space(lua, 1, op)
            let seed = lua.isNoneOrNil(2) ? Generator.default.nextSeed() : try EnvConvert.seed(lua, 2, op)
            let sampler = SpaceSampler(space: space, source: .free(Generator(seed: seed)))
            try EnvConvert.push(lua, describing: space, sampler: sampler)
            return 1
        },
        entry("sample") { lua in
            let s = try EnvObjects.sampler(lua, 1, "sample")
            try EnvConvert.push(lua, s.sample(), space: s.space)
            return 1
        },
        entry("contains") { lua in
            let s = try EnvObjects.sampler(lua, 1, "contains")
            guard let value = try? EnvConvert.action(lua, 2, space: s.space, "contains") else { lua.push(false); return 1 }
            lua.push(s.space.contains(value))
            return 1
        },
        entry("seed") { lua in
            let s = try EnvObjects.sampler(lua, 1, "seed")
            s.generator.manualSeed(try EnvConvert.seed(lua, 2, "seed"))
            return 0
        },

        // MARK: vector environments

        entry("vector_make") { lua in
            let op = "envs.vector"
            let name = try lua.string(1, op, "name")
            let n = try lua.integer(2, op, "n")
            let options = try EnvConvert.options(lua, 3, op)
            let v = try VectorEnv(id: name, count: n, options: options)
            v.indexBase = EnvConvert.base
            EnvObjects.push(lua, v)
            return 1
        },
        entry("vector_spaces") { lua in
            let v = try EnvObjects.vector(lua, 1, "vector_spaces")
            try EnvConvert.push(lua, describing: v.observationSpace, sampler: SpaceSampler(space: v.observationSpace, source: .vectorObservation(v)))
            try EnvConvert.push(lua, describing: v.actionSpace, sampler: SpaceSampler(space: v.actionSpace, source: .vectorAction(v)))
            let first = v.envs[0]
            try EnvConvert.push(lua, describing: first.observationSpace, sampler: SpaceSampler(space: first.observationSpace, source: .envObservation(first)))
            try EnvConvert.push(lua, describing: first.actionSpace, sampler: SpaceSampler(space: first.actionSpace, source: .envAction(first)))
            lua.push(v.count)
            return 5
        },
        entry("vector_reset") { lua in
            let v = try EnvObjects.vector(lua, 1, "reset")
            let (seed, options) = try resetArguments(lua, 2, v.id + ".reset")
            let (obs, infos) = try v.reset(seed: seed, options: options)
            lua.push(obs)
            try pushVectorInfo(lua, v, infos: infos, step: nil)
            return 2
        },
        entry("vector_step") { lua in
            let v = try EnvObjects.vector(lua, 1, "step")
            let actions = try EnvConvert.actions(lua, 2, count: v.count, space: v.singleActionSpace, v.id + ".step")
            let s = try v.step(actions)
            lua.push(s.observations)
            lua.push(s.rewards)
            lua.push(s.terminated)
            lua.push(s.truncated)
            try pushVectorInfo(lua, v, infos: s.infos, step: s)
            return 5
        },
        entry("vector_env") { lua in
            let v = try EnvObjects.vector(lua, 1, "vector_env")
            let i = try lua.integer(2, "vector_env", "index")
            guard i >= 1 && i <= v.count else {
                throw EngineError("vector_env", "index \(i) out of range: the vector has environments 1..\(v.count)")
            }
            EnvObjects.push(lua, v.envs[i - 1])
            return 1
        },
    ]
}
