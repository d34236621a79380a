-- RL environments from Lua: Gymnasium's API with 1-based discrete values.

test("CartPole: reset, spaces and steps", function()
  local env = envs.make("CartPole-v1")
  assert_eq(env.action_space.n, 2)
  assert_eq(env.action_space.kind, "Discrete")
  assert_eq(env.observation_space.shape[1], 4)
  assert_eq(tostring(env.action_space), "Discrete(2)")
  local obs, info = env:reset{seed = 42}
  assert_true(torch.is_tensor(obs))
  assert_eq(obs.dtype, "float32")
  assert_eq(obs:size(1), 4)
  assert_eq(type(info), "table")
  for i = 1, 4 do assert_true(math.abs(obs[i]) <= 0.05) end
  local o, r, term, trunc, inf = env:step(2)
  assert_eq(r, 1.0)
  assert_eq(term, false)
  assert_eq(trunc, false)
  assert_eq(type(inf), "table")
  assert_eq(o:size(1), 4)
  assert_eq(type(env:render()), "string")
end)

test("CartPole: given state follows the published equations", function()
  local env = envs.make("CartPole-v1")
  local s = {0.01, -0.02, 0.03, 0.04}
  env:reset{options = {state = s}}
  local function step(state, action)
    local x, x_dot, theta, theta_dot = state[1], state[2], state[3], state[4]
    local force = action == 2 and 10 or -10
    local total, pml = 1.1, 0.05
    local c, sn = math.cos(theta), math.sin(theta)
    local temp = (force + pml * theta_dot ^ 2 * sn) / total
    local thetaacc = (9.8 * sn - c * temp) / (0.5 * (4 / 3 - 0.1 * c ^ 2 / total))
    local xacc = temp - pml * thetaacc * c / total
    return {x + 0.02 * x_dot, x_dot + 0.02 * xacc, theta + 0.02 * theta_dot, theta_dot + 0.02 * thetaacc}
  end
  for _, a in ipairs({2, 1, 2, 2, 1}) do
    s = step(s, a)
    local obs = env:step(a)
    assert_close(obs, s, 1e-6)
  end
  -- The raw float64 state is exposed through properties().
  assert_close(env:properties().state, s, 1e-12)
  -- `state` also works as a direct reset option.
  local obs = env:reset{state = {0, 0, 0, 0}}
  assert_close(obs, {0, 0, 0, 0})
  env:step(2)
  assert_close(env:properties().state, {0, 8 / 41, 0, -12 / 41}, 1e-12)
end)

test("CartPole: termination and the 500-step limit", function()
  local env = envs.make("CartPole-v1")
  env:reset{state = {0, 0, 0.2093, 0.5}}
  local _, r, term = env:step(2)
  assert_eq(term, true)
  assert_eq(r, 1.0)
  assert_error(function() env:step(1) end, "[CartPole-v1.step] the episode has ended (terminated); call reset()")
  local obs = env:reset{seed = 3}
  local steps, truncated = 0, false
  repeat
    local a = (obs[3] + 0.5 * obs[4] + 0.01 * obs[1] + 0.1 * obs[2]) > 0 and 2 or 1
    local t
    obs, _, t, truncated = env:step(a)
    steps = steps + 1
    assert_eq(t, false)
  until truncated
  assert_eq(steps, 500)
  local short = envs.make("CartPole-v1", {max_episode_steps = 5})
  short:reset{seed = 1}
  for i = 1, 5 do
    local _, _, _, tr = short:step(1 + i % 2)
    assert_eq(tr, i == 5)
  end
  assert_eq(short.spec.max_episode_steps, 5)
  local ansi = envs.make("CartPole-v1", {render_mode = "ansi"})
  ansi:reset{seed = 0}
  assert_eq(type(ansi:render()), "string")
end)

test("bad actions and arguments give clear errors", function()
  local env = envs.make("CartPole-v1")
  assert_error(function() env:step(1) end, "[CartPole-v1.step] call reset() before step()")
  env:reset{seed = 0}
  assert_error(function() env:step(3) end, "[CartPole-v1.step] invalid action 3: out of range; expected an integer in 1..2 (Discrete(2))")
  assert_error(function() env:step(0) end, "invalid action 0")
  assert_error(function() env:step("left") end, "invalid action of type string: expected an integer in 1..2")
  assert_error(function() env:step(1.5) end, "invalid action 1.5 (not an integer)")
  assert_error(function() env:step() end, "invalid action of type no value")
  assert_error(function() env:step(math.mininteger) end, "invalid action -9223372036854775808: out of range")
  assert_error(function() env:step(math.maxinteger) end, "out of range")
  assert_error(function() env:step(1e300) end, "not an integer")
  local cyclic = {}
  cyclic.self = cyclic
  assert_error(function() envs.make("CartPole-v1", {gravity = cyclic}) end, "nested too deeply")
  assert_error(function() envs.spaces.Box(0, 1, {2 ^ 40, 2 ^ 40}) end, "at most 2^24 elements")
  assert_error(function() envs.make("MatrixGame-v0", {payoff = {{}}}) end, "option payoff")
  -- the env still works after errors
  local _, r = env:step(1)
  assert_eq(r, 1.0)
  local pendulum = envs.make("Pendulum-v1")
  pendulum:reset{seed = 0}
  assert_error(function() pendulum:step({1, 2}) end, "[Pendulum-v1.step] invalid action {1, 2}: 2 values given; expected 1 number in [-2, 2]")
  assert_error(function() pendulum:step(0 / 0) end, "not finite")
  assert_error(function() pendulum:step({"x"}) end, "element 1 is a string")
  local _, reward = pendulum:step(torch.tensor({5.0}))  -- clipped to 2, as Gymnasium does
  assert_true(reward <= 0)
  assert_error(function() envs.make("CartPole-v0") end, "[envs.make] no environment named \"CartPole-v0\" (did you mean \"CartPole-v1\"?)")
  assert_error(function() envs.make("FrozenLake-v1", {slippery = false}) end, "[FrozenLake-v1] unknown option slippery")
  assert_error(function() envs.make("FrozenLake-v1", {is_slippery = 1}) end, "option is_slippery: expected a boolean; got 1")
  assert_error(function() envs.make(42) end, "[envs.make] argument 1 (name)")
  assert_error(function() env:reset{seed = "x"} end, "seed: expected an integer; got string")
  assert_error(function() env:reset{state = {1, 2}} end, "option state: expected a list of 4 numbers; got 2")
  assert_error(function() envs.make("CartPole-v1").step({}, 1) end, "expected an environment")
  local game = envs.make("ClimbingGame-v0")
  game:reset()
  assert_error(function() game:step({1, 4}) end, "[ClimbingGame-v0.step] invalid action {1, 4}: component 2 is out of range; expected 2 integers in {1..3, 1..3}")
  assert_error(function() game:step(2) end, "invalid action of type number")
end)

test("spaces: sample, contains, seed, Lua-made spaces", function()
  local env = envs.make("Pendulum-v1")
  local a = env.action_space:sample()
  assert_true(torch.is_tensor(a))
  assert_true(a[1] >= -2 and a[1] <= 2)
  assert_eq(env.action_space.shape[1], 1)
  assert_close(env.action_space.low, {-2})
  assert_close(env.action_space.high, {2})
  assert_true(env.action_space:contains(a))
  assert_true(not env.action_space:contains({3}))
  local d = envs.spaces.Discrete(5, {seed = 1})
  local seen = {}
  for _ = 1, 200 do
    local v = d:sample()
    assert_eq(math.type(v), "integer")
    assert_true(v >= 1 and v <= 5)
    seen[v] = true
  end
  for v = 1, 5 do assert_true(seen[v], "value " .. v .. " sampled") end
  assert_true(d:contains(5))
  assert_true(not d:contains(6))
  assert_true(not d:contains(0))
  d:seed(7); local x1 = {d:sample(), d:sample(), d:sample()}
  d:seed(7); local x2 = {d:sample(), d:sample(), d:sample()}
  assert_eq(table.concat(x1, ","), table.concat(x2, ","))
  local box = envs.spaces.Box(-1, 1, {2, 3})
  local b = box:sample()
  assert_eq(b:dim(), 2)
  assert_eq(b:size(2), 3)
  assert_true(box:contains(b))
  local unbounded = envs.spaces.Box({-math.huge, 0}, {math.huge, 1})
  assert_eq(unbounded:sample():size(1), 2)
  local md = envs.spaces.MultiDiscrete({3, 2})
  local m = md:sample()
  assert_eq(m.dtype, "int64")
  assert_true(m[1] >= 1 and m[1] <= 3 and m[2] >= 1 and m[2] <= 2)
  assert_true(md:contains({3, 2}))
  assert_true(not md:contains({3, 3}))
  assert_error(function() envs.spaces.Discrete(0) end, "[envs.spaces] option n: expected an integer in 1..")
  assert_error(function() envs.spaces.Box(1, -1, 2) end, "low must not exceed high")
end)

test("FrozenLake: 1-based states, P and value iteration", function()
  local lake = envs.make("FrozenLake-v1", {is_slippery = false})
  assert_eq(lake.observation_space.n, 16)
  local s, info = lake:reset{seed = 0}
  assert_eq(s, 1)
  assert_eq(info.prob, 1)
  local s2, r, term, _, inf = lake:step(3)  -- RIGHT
  assert_eq(s2, 2)
  assert_eq(r, 0.0)
  assert_eq(term, false)
  assert_eq(inf.prob, 1.0)
  -- P[s][a] = {{prob, next_state, reward, terminated}}
  assert_eq(#lake.P, 16)
  assert_eq(#lake.P[1], 4)
  local t = lake.P[15][3][1]  -- state 15 (row 4, col 3), RIGHT -> goal 16
  assert_eq(t[1], 1.0); assert_eq(t[2], 16); assert_eq(t[3], 1.0); assert_eq(t[4], true)
  local V, policy = envs.value_iteration(lake, {gamma = 0.9})
  assert_close(V, {0.59049, 0.6561, 0.729, 0.6561, 0.6561, 0, 0.81, 0, 0.729, 0.81, 0.9, 0, 0, 0.9, 1, 0}, 1e-10)
  assert_eq(policy[15], 3)
  local V2 = envs.policy_evaluation(lake, policy, {gamma = 0.9})
  assert_close(V2, V, 1e-8)
  local Q = envs.q_values(lake, V, {gamma = 0.9})
  assert_eq(Q:size(2), 4)
  local Vp = envs.policy_iteration(lake, {gamma = 0.9})
  assert_close(Vp, V, 1e-8)
  -- Slippery: three outcomes of 1/3 each.
  local slippery = envs.make("FrozenLake-v1")
  for s = 1, 16 do
    for a = 1, 4 do
      local total = 0
      for _, o in ipairs(slippery.P[s][a]) do total = total + o[1] end
      assert_close(total, 1, 1e-12)
    end
  end
  assert_eq(#slippery.P[1][1], 3)
  assert_error(function() return envs.make("CartPole-v1").P end, "CartPole-v1 has no transition table")
  assert_true(lake:render():find("%[F%]") ~= nil)
end)

test("CliffWalking: the cliff sends the agent back to the start", function()
  local env = envs.make("CliffWalking-v0")
  local s = env:reset()
  assert_eq(s, 37)
  local s2, r, term, _, info = env:step(2)  -- RIGHT into the cliff
  assert_eq(s2, 37)
  assert_eq(r, -100.0)
  assert_eq(term, false)
  assert_eq(info.cliff, true)
end)

test("GridWorld: options in 1-based positions", function()
  local env = envs.make("GridWorld-v0", {rows = 2, cols = 2, start = {2, 1}, goals = {{1, 2, 10}}, step_reward = -1})
  assert_eq(env:reset(), 3)
  local s, r = env:step(1)  -- UP
  assert_eq(s, 1); assert_eq(r, -1.0)
  local s2, r2, term = env:step(2)  -- RIGHT into the goal
  assert_eq(s2, 2); assert_eq(r2, 10.0); assert_eq(term, true)
  local V = envs.value_iteration(envs.make("GridWorld-v0"), {gamma = 1, tol = 1e-12})
  assert_close(V[9] - 0.04, 0.705, 2e-3)  -- Russell & Norvig's U(1,1)
  assert_error(function() envs.make("GridWorld-v0", {rows = 2, cols = 2, start = {3, 1}}) end, "outside the 2x2 grid")
  assert_error(function() envs.make("GridWorld-v0", {map = {"S.", ".X"}}) end, "cells are S, ., #, G, P")
end)

test("bandits: optimal arm, regret, statistics", function()
  local env = envs.make("BernoulliBandit-v0", {probs = {0.1, 0.9, 0.5}, steps = 5000})
  assert_eq(env:reset{seed = 1}, 1)
  assert_eq(env:optimal_arm(), 2)
  assert_close(env:regret(1), 0.8, 1e-12)
  assert_eq(env:regret(2), 0)
  assert_error(function() env:regret(4) end, "[regret] arm 4 is out of range 1..3")
  local total = 0
  for _ = 1, 4000 do
    local _, r, _, _, info = env:step(2)
    total = total + r
    assert_eq(info.optimal, true)
  end
  assert_close(total / 4000, 0.9, 0.02)
  local testbed = envs.make("Bandit-v0", {arms = 5})
  testbed:reset{seed = 3}
  assert_eq(#testbed:properties().means, 5)
end)

test("board games: legal moves, winner, canonical board, clone", function()
  local ttt = envs.make("TicTacToe-v0")
  local obs, info = ttt:reset()
  assert_eq(obs:size(1), 3); assert_eq(obs:size(2), 3)
  assert_eq(#info.legal_actions, 9)
  assert_eq(info.current_player, 1)
  local o, r, term, _, inf = ttt:step(5)
  assert_eq(o[2][2], -1)  -- player 2's view: player 1's stone is -1
  assert_eq(inf.current_player, 2)
  assert_eq(#ttt:legal_actions(), 8)
  assert_true(inf.action_mask[5] == false)
  assert_error(function() ttt:step(5) end, "[TicTacToe-v0.step] illegal action 5: legal actions are {1, 2, 3, 4, 6, 7, 8, 9}")
  local copy = ttt:clone()
  for _, m in ipairs({1, 9, 2, 8}) do copy:step(m) end
  assert_eq(#ttt:legal_actions(), 8, "the original is unchanged")
  local _, r2, t2, _, i2 = copy:step(3)  -- player 2 completes 1-2-3? no: player 2 has 5? check winner
  assert_eq(copy:winner(), i2.winner)
  -- player 1: 5, 9, 8 ... build a clear win: X at 1, 2, 3
  ttt:reset()
  for _, m in ipairs({1, 4, 2, 5}) do ttt:step(m) end
  local _, rw, tw, _, iw = ttt:step(3)
  assert_eq(rw, 1.0); assert_eq(tw, true); assert_eq(iw.winner, 1)
  assert_eq(ttt:winner(), 1)
  assert_true(ttt:is_over())
  local c4 = envs.make("ConnectFour-v0")
  c4:reset()
  for _ = 1, 6 do c4:step(4) end
  assert_error(function() c4:step(4) end, "illegal action 4")
  assert_eq(c4:canonical_board():size(1), 6)
  assert_true(c4:render():find("1 2 3 4 5 6 7") ~= nil)
  local _ = r; local _ = term; local _ = r2; local _ = t2
end)

test("multi-agent: joint actions as tables or tensors", function()
  local env = envs.make("CoopForage-v0")
  local obs = env:reset{seed = 0}
  assert_eq(obs:size(1), 2)
  assert_eq(obs:size(2), 29)
  local a = env.action_space:sample()
  assert_eq(a.dtype, "int64")
  env:step(a)
  env:step({1, 5})
  local game = envs.make("PenaltyGame-v0", {k = -20})
  game:reset()
  local o, r = game:step({1, 3})
  assert_eq(r, -20.0)
  assert_close(o, {1, 0, 0, 0, 0, 1})
end)

test("domain environments run with random actions", function()
  for _, id in ipairs({"AdaptiveTest-v0", "EquipmentScheduling-v0", "EquipmentTwin-v0", "StockTrading-v0"}) do
    local env = envs.make(id)
    local returns, lengths = envs.rollout(env, nil, {episodes = 2, seed = 1})
    assert_eq(#returns, 2, id)
    assert_true(lengths[1] >= 1, id)
    assert_eq(type(env:render()), "string", id)
  end
  local trade = envs.make("StockTrading-v0")
  local _, info = trade:reset{seed = 2}
  assert_eq(info.portfolio_value, 1.0)
  assert_eq(info.position, 0)
end)

test("vector env: batches, auto-reset, seeds", function()
  local vec = envs.vector("CartPole-v1", 4)
  assert_eq(vec.num_envs, 4)
  local obs = vec:reset{seed = 0}
  assert_eq(obs:size(1), 4); assert_eq(obs:size(2), 4)
  -- copy i is seeded with seed + i - 1
  local single = envs.make("CartPole-v1")
  assert_close(obs[3], single:reset{seed = 2}, 0)
  local ended = 0
  for _ = 1, 100 do
    local actions = vec.action_space:sample()
    assert_eq(actions:size(1), 4)
    local o, r, term, trunc, info = vec:step(actions)
    assert_eq(r:size(1), 4)
    assert_eq(term.dtype, "bool")
    if info.final_observation then
      for i, fo in pairs(info.final_observation) do
        ended = ended + 1
        assert_eq(fo:size(1), 4)
        assert_true(info._final_observation[i])
        assert_true(info.episode.l[i] > 0)
        assert_true(math.abs(fo[3]) > 0.2 or math.abs(fo[1]) > 2.4, "final obs is past a threshold")
        assert_true(math.abs(o[i][3]) <= 0.05, "returned obs is the next episode's first")
      end
    end
  end
  assert_true(ended > 0)
  vec:step({1, 2, 1, 2})
  assert_error(function() vec:step({1, 2}) end, "expected 4 actions (one per environment); got 2")
  assert_error(function() vec:step({1, 2, 3, 1}) end, "environment 3: invalid action 3")
  assert_eq(type(vec:render(2)), "string")
  local lakes = envs.vector("FrozenLake-v1", 3)
  local s = lakes:reset{seed = 0}
  assert_eq(s.dtype, "int64")
  assert_close(s, {1, 1, 1})
  local _, _, _, _, info = lakes:step(torch.tensor({1, 2, 3}))
  assert_eq(info.prob:size(1), 3)
  assert_true(info._prob[1])
end)

test("seeds reproduce episodes", function()
  local function run(seed)
    local env = envs.make("FrozenLake-v1")
    local first = env:reset{seed = seed}
    local trace = {first}
    for _ = 1, 50 do
      local s, r, term, trunc = env:step(env.action_space:sample())
      trace[#trace + 1] = s
      if term or trunc then break end
    end
    return table.concat(trace, ",")
  end
  assert_eq(run(5), run(5))
  local differs = false
  for seed = 6, 12 do if run(seed) ~= run(5) then differs = true end end
  assert_true(differs)
  torch.manual_seed(11)
  local a = envs.make("CartPole-v1"):reset()
  torch.manual_seed(11)
  local b = envs.make("CartPole-v1"):reset()
  assert_close(a, b, 0)
end)

-- A Lua-defined environment: guess the hidden coin side (1 or 2) in one step.
local Coin = envs.Env:extend("Coin")
function Coin:init(options)
  self.bias = (options and options.bias) or 0.5
  self.observation_space = envs.spaces.Discrete(1)
  self.action_space = envs.spaces.Discrete(2)
end
function Coin:reset(args)
  if args and args.seed then self.rng = args.seed else self.rng = (self.rng or 0) + 1 end
  self.side = (self.rng % 2) + 1
  return 1, {}
end
function Coin:step(action)
  return 1, action == self.side and 1 or 0, true, false, {side = self.side}
end

test("Lua-defined environments work with rollout and vector", function()
  local env = Coin()
  local returns, lengths = envs.rollout(env, function() return 2 end, {episodes = 4, seed = 1})
  assert_eq(#returns, 4)
  assert_eq(lengths[1], 1)
  local sum = 0
  for _, r in ipairs(returns) do sum = sum + r end
  assert_eq(sum, 2)  -- seeds 1..4 alternate the side
  local vec = envs.vector(function() return Coin() end, 3)
  local obs = vec:reset{seed = 10}
  assert_close(obs, {1, 1, 1})
  local o, r, term, trunc, info = vec:step({1, 2, 1})
  assert_eq(r:size(1), 3)
  assert_true(term[1])
  assert_true(info.final_observation ~= nil)
  assert_eq(info.episode.l[2], 1)
  local sample = vec.action_space:sample()
  assert_eq(sample:size(1), 3)
  local by_class = envs.vector(Coin, 2)
  assert_close(by_class:reset{seed = 1}, {1, 1})
  assert_error(function() envs.vector(Coin(), 2) end, "cannot be copied")
  envs.register("Coin-v0", function(options) return Coin(options) end)
  local made = envs.make("Coin-v0", {bias = 0.7})
  assert_eq(made.bias, 0.7)
  assert_eq(made.id, "Coin-v0")
  local v2 = envs.vector("Coin-v0", 2)
  v2:reset()
  v2:step(torch.tensor({1, 2}))
  local ids = envs.list()
  assert_eq(ids[1], "CartPole-v1")
  assert_eq(ids[#ids], "Coin-v0")
  local _ = o; local _ = trunc
end)

test("rollout of a built-in env and random policies", function()
  local env = envs.make("CartPole-v1")
  local r1, l1 = envs.rollout(env, nil, {episodes = 3, seed = 7})
  local r2, l2 = envs.rollout(env, nil, {episodes = 3, seed = 7})
  for i = 1, 3 do
    assert_eq(r1[i], r2[i])
    assert_eq(l1[i], l2[i])
    assert_eq(r1[i], l1[i])
  end
  local _, lengths = envs.rollout(env, function(obs) return obs[3] + obs[4] > 0 and 2 or 1 end, {episodes = 1, seed = 0, max_steps = 20})
  assert_eq(lengths[1], 20)
  assert_error(function() envs.rollout({}, nil) end, "[envs.rollout] argument 1")
end)

test("closing and garbage collection", function()
  for _ = 1, 200 do
    local e = envs.make("ConnectFour-v0")
    e:reset()
  end
  collectgarbage()
  local env = envs.make("CartPole-v1")
  env:close()
  assert_error(function() env:reset() end, "a closed environment")
end)
