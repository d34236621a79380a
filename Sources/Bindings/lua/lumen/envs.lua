-- lumen.envs: reinforcement-learning environments with Gymnasium's API, simulated in Swift.
-- Available as the global `envs` (and `require "lumen.envs"`).
--
--   local env = envs.make("CartPole-v1")
--   local obs, info = env:reset{seed = 42}          -- obs: float32 tensor (4)
--   local action = env.action_space:sample()         -- Discrete(2): 1 or 2 (Lua counts from 1)
--   local obs, reward, terminated, truncated, info = env:step(action)
--   print(env:render())
--
--   local vec = envs.vector("CartPole-v1", 16)        -- batched: obs 16x4, rewards (16), ...
--   local obs = vec:reset{seed = 0}                   -- copy i is seeded with seed + i - 1
--   local obs, r, term, trunc, info = vec:step(vec.action_space:sample())
--
--   local lake = envs.make("FrozenLake-v1", {is_slippery = false})
--   local V, policy = envs.value_iteration(lake, {gamma = 0.9})   -- uses lake.P
--
-- Discrete observations and actions count from 1 (states 1..nS, actions 1..n); Box observations
-- are float32 tensors; MultiDiscrete values are int64 tensors or tables of 1-based integers.
-- Lua-defined environments (tables with reset/step) work with envs.vector and envs.rollout.

local I = lumen_internal
local envs = {}

-- %% Spaces -----------------------------------------------------------------------------------

local Space = {}
Space.__index = Space
Space.__name = "Space"

--- A random member of the space (an environment's action space samples legal moves only).
function Space:sample() return I.envs_sample(self._handle) end
--- True when x belongs to the space.
function Space:contains(x) return I.envs_contains(self._handle, x) end
--- Reseeds the space's sampler.
function Space:seed(seed) I.envs_seed(self._handle, seed); return self end
Space.__tostring = function(self) return self.repr end

local function wrap_space(desc)
  return setmetatable(desc, Space)
end

envs.Space = Space
envs.spaces = {}

local function seed_of(options)
  return type(options) == "table" and options.seed or nil
end

--- Discrete(n): the integers 1..n.
function envs.spaces.Discrete(n, options)
  return wrap_space(I.envs_space_new({kind = "Discrete", n = n}, seed_of(options)))
end

--- Box(low, high, shape): float32 tensors of `shape` with elementwise bounds (numbers, tables
--- or tensors; math.huge for unbounded).
function envs.spaces.Box(low, high, shape, options)
  if type(shape) == "number" then shape = {shape} end
  if shape == nil then
    local ref = torch.is_tensor(low) and low or (torch.is_tensor(high) and high or nil)
    if ref then shape = ref:size()
    elseif type(low) == "table" then shape = {#low}
    elseif type(high) == "table" then shape = {#high}
    else shape = {1} end
  end
  return wrap_space(I.envs_space_new({kind = "Box", low = low, high = high, shape = shape}, seed_of(options)))
end

--- MultiDiscrete(nvec): tables/tensors whose component i lies in 1..nvec[i].
function envs.spaces.MultiDiscrete(nvec, options)
  if torch.is_tensor(nvec) then nvec = nvec:totable() end
  return wrap_space(I.envs_space_new({kind = "MultiDiscrete", nvec = nvec}, seed_of(options)))
end

-- %% Built-in environments --------------------------------------------------------------------

local Env = {}
local env_methods = {}
Env.__name = "Env"

--- env:reset{seed = n, options = {...}} (or env:reset(n), env:reset()) -> obs, info
env_methods.reset = I.envs_reset
--- env:step(action) -> obs, reward, terminated, truncated, info
env_methods.step = I.envs_step
--- env:render() -> a text picture of the state
env_methods.render = I.envs_render
--- Environment-specific facts (bandit means, a game's board and winner, the raw state...).
env_methods.properties = I.envs_properties
--- Legal actions now (board games: the free cells/columns; others: all actions).
env_methods.legal_actions = I.envs_legal_actions
--- Steps taken, return so far, whether a reset is needed, the time limit.
env_methods.status = I.envs_status

--- Frees the simulator now (it is also freed when the env is garbage collected).
function env_methods:close() I.envs_close(self) end

local wrap_env

--- An independent copy of the current state (board games and classic control), for MCTS.
function env_methods:clone() return wrap_env(I.envs_clone(self), self.id) end

-- Conveniences over properties() for games and bandits.
function env_methods:current_player() return self:properties().current_player end
function env_methods:winner() return self:properties().winner end
function env_methods:is_over() return self:properties().is_over == true end
function env_methods:canonical_board()
  local p = self:properties()
  return torch.tensor(p.canonical_board):view(p.rows, p.cols)
end
function env_methods:optimal_arm() return self:properties().optimal_arm end
--- Expected regret of pulling `arm` once: q*(best) - q*(arm).
function env_methods:regret(arm)
  local p = self:properties()
  if p.means == nil then error("[regret] " .. self.id .. " is not a bandit", 2) end
  if math.type(arm) ~= "integer" or arm < 1 or arm > #p.means then
    error(string.format("[regret] arm %s is out of range 1..%d", tostring(arm), #p.means), 2)
  end
  return p.optimal_value - p.means[arm]
end

Env.__index = function(self, key)
  local m = env_methods[key]
  if m ~= nil then return m end
  if key == "P" then
    local P = I.envs_transitions(self)
    rawset(self, "P", P)
    return P
  elseif key == "unwrapped" then
    return self
  elseif key == "spec" then
    local s = I.envs_status(self)
    return {id = s.id, max_episode_steps = s.max_episode_steps}
  end
  return nil
end
Env.__tostring = function(self)
  return string.format("%s(observation_space=%s, action_space=%s)", self.id, self.observation_space.repr,
    self.action_space.repr)
end

wrap_env = function(handle, id)
  local obs_space, action_space = I.envs_spaces(handle)
  return setmetatable({_handle = handle, id = id, observation_space = wrap_space(obs_space),
    action_space = wrap_space(action_space)}, Env)
end

envs.BuiltinEnv = Env

local lua_registry = {}

--- envs.make(name, options) -> env. Options are the environment's make options plus
--- max_episode_steps (0 for no limit). Names registered with envs.register come first.
function envs.make(name, options)
  local factory = lua_registry[name]
  if factory then
    local env = factory(options or {})
    if type(env) ~= "table" then error("[envs.make] the factory of " .. name .. " did not return an environment", 2) end
    if rawget(env, "id") == nil then env.id = name end
    return env
  end
  if type(name) ~= "string" then
    error("[envs.make] argument 1 (name): expected an environment id such as \"CartPole-v1\"; got " .. type(name), 2)
  end
  return wrap_env(I.envs_make(name, options), name)
end

--- envs.register(name, factory): makes envs.make(name, options) call factory(options), so a
--- Lua-defined environment works with envs.make and envs.vector like a built-in one.
function envs.register(name, factory)
  if type(name) ~= "string" then error("[envs.register] argument 1: expected a name", 2) end
  if type(factory) ~= "function" then error("[envs.register] argument 2: expected a function(options) -> env", 2) end
  lua_registry[name] = factory
end

--- The ids of every environment (built-in first), and a table id -> one-line summary.
function envs.list()
  local ids, summaries = {}, {}
  for _, e in ipairs(I.envs_list()) do ids[#ids + 1] = e.id; summaries[e.id] = e.summary end
  local extra = {}
  for id in pairs(lua_registry) do if summaries[id] == nil then extra[#extra + 1] = id end end
  table.sort(extra)
  for _, id in ipairs(extra) do ids[#ids + 1] = id; summaries[id] = "Lua-defined" end
  return ids, summaries
end

-- %% Lua-defined environments -------------------------------------------------------------------

--- Base class for environments written in Lua:
---   local Coin = envs.Env:extend("Coin")
---   function Coin:init() self.observation_space = envs.spaces.Discrete(1); self.action_space = envs.spaces.Discrete(2) end
---   function Coin:reset(args) return 1, {} end
---   function Coin:step(a) return 1, a == 2 and 1 or 0, true, false, {} end
local LuaEnv = {}
LuaEnv.__index = LuaEnv
LuaEnv.__name = "Env"

function LuaEnv:extend(name)
  local cls = {}
  cls.__index = cls
  cls.__name = name
  cls.__tostring = self.__tostring
  cls.super = self
  return setmetatable(cls, {
    __index = self,
    __call = function(c, ...)
      local object = setmetatable({}, c)
      if object.init then object:init(...) end
      return object
    end,
  })
end

function LuaEnv:render() return tostring(self) end
function LuaEnv:close() end
LuaEnv.__tostring = function(self) return (getmetatable(self).__name or "Env") .. "()" end

envs.Env = LuaEnv

-- %% Vector environments -----------------------------------------------------------------------

local Vector = {}
local vector_methods = {}
Vector.__name = "VectorEnv"

--- vec:reset{seed = n, options = {...}} -> batched obs, info
vector_methods.reset = I.envs_vector_reset
--- vec:step(actions) -> obs, rewards, terminated, truncated, info. actions: a tensor with one
--- row per copy (or a table of n actions). Copies whose episode ended are reset in the same
--- step: info.final_observation[i] / info.final_info[i] hold the last observation / info,
--- info.episode = {r = returns, l = lengths, _r = mask} the finished episodes' statistics.
vector_methods.step = I.envs_vector_step
function vector_methods:close() I.envs_close(self) end
function vector_methods:render(i) return self.envs[i or 1]:render() end

Vector.__index = function(self, key)
  local m = vector_methods[key]
  if m ~= nil then return m end
  if key == "envs" then
    local list = {}
    for i = 1, self.num_envs do list[i] = wrap_env(I.envs_vector_env(self, i), self.id) end
    rawset(self, "envs", list)
    return list
  end
  return nil
end
Vector.__tostring = function(self)
  return string.format("VectorEnv(%s, num_envs=%d)", self.id, self.num_envs)
end

-- Vector of Lua-defined (or any) environments, stepped from Lua with the same semantics.
local LuaVector = {}
LuaVector.__index = LuaVector
LuaVector.__name = "VectorEnv"
LuaVector.__tostring = Vector.__tostring

local function batch_values(values)
  local first = values[1]
  if torch.is_tensor(first) then return torch.stack(values) end
  if type(first) == "number" then
    local integers = true
    for _, v in ipairs(values) do if math.type(v) ~= "integer" then integers = false end end
    return torch.tensor(values, {dtype = integers and "int64" or "float32"})
  end
  if type(first) == "table" then return torch.tensor(values) end
  return values
end

local function merge_infos(infos, n)
  local merged = {}
  local keys = {}
  for _, info in pairs(infos) do
    if type(info) == "table" then for k in pairs(info) do keys[k] = true end end
  end
  for k in pairs(keys) do
    local numeric, values, mask = true, {}, {}
    for i = 1, n do
      local v = infos[i] and infos[i][k]
      if v ~= nil and type(v) ~= "number" and type(v) ~= "boolean" then numeric = false end
    end
    if numeric then
      local bools = true
      for i = 1, n do
        local v = infos[i] and infos[i][k]
        if type(v) == "number" then bools = false end
      end
      for i = 1, n do
        local v = infos[i] and infos[i][k]
        mask[i] = v ~= nil
        if bools then values[i] = v == true else values[i] = v or 0 end
      end
      merged[k] = torch.tensor(values, {dtype = bools and "bool" or "float32"})
      merged["_" .. k] = torch.tensor(mask, {dtype = "bool"})
    else
      local t = {}
      for i = 1, n do if infos[i] then t[i] = infos[i][k] end end
      merged[k] = t
    end
  end
  return merged
end

local function reset_args(args)
  if type(args) == "number" then return args, nil end
  if type(args) == "table" then
    local options = args.options
    for k, v in pairs(args) do
      if k ~= "seed" and k ~= "options" then options = options or {}; options[k] = v end
    end
    return args.seed, options
  end
  return nil, nil
end

function LuaVector:reset(args)
  local seed, options = reset_args(args)
  local observations, infos = {}, {}
  for i, env in ipairs(self.envs) do
    observations[i], infos[i] = env:reset{seed = seed and seed + i - 1, options = options}
    self.returns[i], self.lengths[i] = 0, 0
  end
  return batch_values(observations), merge_infos(infos, self.num_envs)
end

local function action_at(actions, i)
  if torch.is_tensor(actions) then
    local a = actions[i]
    return a
  end
  return actions[i]
end

function LuaVector:step(actions)
  local n = self.num_envs
  if torch.is_tensor(actions) then
    if actions:size(1) ~= n then error(string.format("[%s.step] expected %d actions; got %d", self.id, n, actions:size(1)), 2) end
  elseif type(actions) ~= "table" or #actions ~= n then
    error(string.format("[%s.step] expected %d actions (one per environment)", self.id, n), 2)
  end
  local observations, rewards, terminated, truncated, infos = {}, {}, {}, {}, {}
  local final_obs, final_info, ended = {}, {}, {}
  for i, env in ipairs(self.envs) do
    local obs, r, term, trunc, info = env:step(action_at(actions, i))
    self.returns[i] = self.returns[i] + r
    self.lengths[i] = self.lengths[i] + 1
    rewards[i], terminated[i], truncated[i] = r, term == true, trunc == true
    if term or trunc then
      final_obs[i], final_info[i] = obs, info
      ended[i] = {self.returns[i], self.lengths[i]}
      self.returns[i], self.lengths[i] = 0, 0
      obs, info = env:reset()
    end
    observations[i], infos[i] = obs, info
  end
  local merged = merge_infos(infos, n)
  if next(ended) then
    merged.final_observation, merged.final_info = final_obs, final_info
    local r, l, m = {}, {}, {}
    for i = 1, n do
      r[i] = ended[i] and ended[i][1] or 0
      l[i] = ended[i] and ended[i][2] or 0
      m[i] = ended[i] ~= nil
    end
    local mask = torch.tensor(m, {dtype = "bool"})
    merged._final_observation = mask
    merged.episode = {r = torch.tensor(r), l = torch.tensor(l, {dtype = "int64"}), _r = mask}
  end
  return batch_values(observations), torch.tensor(rewards), torch.tensor(terminated, {dtype = "bool"}),
    torch.tensor(truncated, {dtype = "bool"}), merged
end

function LuaVector:close() for _, env in ipairs(self.envs) do if env.close then env:close() end end end
function LuaVector:render(i) return self.envs[i or 1]:render() end

-- Batched space of n copies for Lua vectors: sample() gives one action per copy.
local BatchedSpace = {}
BatchedSpace.__index = BatchedSpace
function BatchedSpace:sample()
  local values = {}
  for i, env in ipairs(self.vector.envs) do values[i] = env.action_space:sample() end
  return batch_values(values)
end
BatchedSpace.__tostring = function(self) return "Batched(" .. tostring(self.single) .. ", " .. self.n .. ")" end

--- envs.vector(name, n, options) -> n copies stepped together (Gymnasium's SyncVectorEnv with
--- same-step auto-reset). `name` may also be a function returning a new environment, or the
--- name of an environment registered with envs.register.
function envs.vector(name, n, options)
  if math.type(n) ~= "integer" or n < 1 then
    error("[envs.vector] argument 2 (n): expected a positive integer; got " .. tostring(n), 2)
  end
  if type(name) == "string" and lua_registry[name] == nil then
    local handle = I.envs_vector_make(name, n, options)
    local obs_space, action_space, single_obs, single_action, count = I.envs_vector_spaces(handle)
    return setmetatable({_handle = handle, id = name, num_envs = count,
      observation_space = wrap_space(obs_space), action_space = wrap_space(action_space),
      single_observation_space = wrap_space(single_obs), single_action_space = wrap_space(single_action)}, Vector)
  end
  local factory = name
  if type(name) == "string" then
    factory = function() return envs.make(name, options) end
  elseif type(name) == "table" then
    local mt = getmetatable(name)
    if mt and mt.__call then
      -- A class (e.g. an envs.Env subclass): each copy is Class(options).
      factory = function() return name(options) end
    elseif type(name.reset) == "function" and type(name.step) == "function" and n == 1 then
      factory = function() return name end
    else
      error("[envs.vector] argument 1: an environment instance cannot be copied; pass its class or a function returning a new one", 2)
    end
  end
  if type(factory) ~= "function" then
    error("[envs.vector] argument 1: expected an environment name, class or a function returning an environment; got " .. type(name), 2)
  end
  local list = {}
  for i = 1, n do list[i] = factory(options) end
  local id = type(name) == "string" and name or (rawget(list[1], "id") or "LuaEnv")
  local vec = setmetatable({envs = list, num_envs = n, id = id, returns = {}, lengths = {},
    single_observation_space = list[1].observation_space, single_action_space = list[1].action_space}, LuaVector)
  vec.action_space = setmetatable({vector = vec, single = list[1].action_space, n = n}, BatchedSpace)
  return vec
end

-- %% Running episodes ---------------------------------------------------------------------------

--- envs.rollout(env, policy, {episodes = 1, seed = nil, max_steps = nil}) -> returns, lengths
--- Runs whole episodes; policy(obs, info, env) returns an action (nil policy: random actions
--- from env.action_space). With a seed, episode k is reset with seed + k - 1.
function envs.rollout(env, policy, options)
  options = options or {}
  if type(env) ~= "table" or type(env.reset) ~= "function" or type(env.step) ~= "function" then
    error("[envs.rollout] argument 1: expected an environment (a table with reset and step)", 2)
  end
  if policy == nil then
    if env.action_space == nil then error("[envs.rollout] no policy given and the environment has no action_space", 2) end
    policy = function() return env.action_space:sample() end
  elseif type(policy) ~= "function" then
    error("[envs.rollout] argument 2: expected a function(obs, info, env) -> action; got " .. type(policy), 2)
  end
  local episodes = options.episodes or 1
  local returns, lengths = {}, {}
  for episode = 1, episodes do
    local obs, info = env:reset(options.seed and {seed = options.seed + episode - 1} or nil)
    local total, steps = 0, 0
    while true do
      local reward, terminated, truncated
      obs, reward, terminated, truncated, info = env:step(policy(obs, info, env))
      total = total + reward
      steps = steps + 1
      if terminated or truncated or (options.max_steps and steps >= options.max_steps) then break end
    end
    returns[episode], lengths[episode] = total, steps
  end
  return returns, lengths
end

-- %% Dynamic programming on transition tables ------------------------------------------------

-- Lua versions for Lua-defined tabular envs (env.P[s][a] = {{p, s', r, done}, ...}, 1-based).
local function lua_q(P, V, gamma)
  local Q = {}
  for s = 1, #P do
    Q[s] = {}
    for a = 1, #P[s] do
      local q = 0
      for _, t in ipairs(P[s][a]) do
        q = q + t[1] * (t[3] + (t[4] and 0 or gamma * V[t[2]]))
      end
      Q[s][a] = q
    end
  end
  return Q
end

local function lua_value_iteration(P, gamma, tol)
  local V = {}
  for s = 1, #P do V[s] = 0 end
  local iterations = 0
  repeat
    iterations = iterations + 1
    local Q, delta = lua_q(P, V, gamma), 0
    for s = 1, #P do
      local best = -math.huge
      for a = 1, #Q[s] do best = math.max(best, Q[s][a]) end
      if best == -math.huge then best = 0 end
      delta = math.max(delta, math.abs(best - V[s]))
      V[s] = best
    end
  until delta < tol or iterations >= 100000
  local Q, policy = lua_q(P, V, gamma), {}
  for s = 1, #P do
    local best = 1
    for a = 2, #Q[s] do if Q[s][a] > Q[s][best] + 1e-12 then best = a end end
    policy[s] = best
  end
  return torch.tensor(V, {dtype = "float64"}), torch.tensor(policy, {dtype = "int64"}), iterations
end

local function dp_options(options)
  options = options or {}
  if type(options) == "number" then options = {gamma = options} end
  return options.gamma or 0.99, options.tol or options.tolerance or 1e-10
end

--- envs.value_iteration(env, {gamma = 0.99, tol = 1e-10}) -> V (float64, nS), policy (int64
--- actions 1..nA), iterations. Uses env.P.
function envs.value_iteration(env, options)
  local gamma, tol = dp_options(options)
  if rawget(env, "_handle") then return I.envs_value_iteration(env, gamma, tol) end
  if env.P == nil then error("[envs.value_iteration] the environment has no transition table P", 2) end
  return lua_value_iteration(env.P, gamma, tol)
end

--- envs.policy_iteration(env, {gamma, tol}) -> V, policy, iterations (built-in tabular envs).
function envs.policy_iteration(env, options)
  local gamma, tol = dp_options(options)
  return I.envs_policy_iteration(env, gamma, tol)
end

--- envs.policy_evaluation(env, policy, {gamma, tol}) -> V. policy: actions per state (1-based
--- tensor/table) or an nS x nA tensor of probabilities.
function envs.policy_evaluation(env, policy, options)
  local gamma, tol = dp_options(options)
  return I.envs_policy_evaluation(env, policy, gamma, tol)
end

--- envs.q_values(env, V, {gamma}) -> Q (nS x nA, float64).
function envs.q_values(env, V, options)
  local gamma = dp_options(options)
  if rawget(env, "_handle") then return I.envs_q_values(env, V, gamma) end
  local values = torch.is_tensor(V) and V:totable() or V
  return torch.tensor(lua_q(env.P, values, gamma), {dtype = "float64"})
end

-- %% REPL help (`?envs.make`) -------------------------------------------------------------------

local has_help, help = pcall(require, "lumen.help")
if has_help and type(help) == "table" then
  local entries = {
    ["envs.make"] = "envs.make(name, options) -> env with reset/step/render, observation_space, action_space\n"
      .. "  Ids: see envs.list(). Discrete actions and states count from 1.  envs.make(\"FrozenLake-v1\", {is_slippery = false})",
    ["envs.list"] = "envs.list() -> ids, {id = summary}: the registered environments",
    ["envs.vector"] = "envs.vector(name, n, options) -> n copies stepped together: batched obs (n x ...), rewards, "
      .. "terminated, truncated (n); same-step auto-reset with info.final_observation; reset{seed = s} seeds copy i with s + i - 1",
    ["envs.rollout"] = "envs.rollout(env, policy, {episodes =, seed =, max_steps =}) -> returns, lengths\n"
      .. "  policy(obs, info, env) -> action; nil policy = random actions",
    ["envs.register"] = "envs.register(name, factory) -> envs.make(name, options) calls factory(options) (Lua-defined envs)",
    ["envs.Env"] = "envs.Env:extend(name) -> base class for Lua-defined environments (define init, reset, step)",
    ["envs.value_iteration"] = "envs.value_iteration(env, {gamma = 0.99, tol = 1e-10}) -> V, policy (1-based actions), iterations",
    ["envs.policy_iteration"] = "envs.policy_iteration(env, {gamma =}) -> V, policy, iterations",
    ["envs.policy_evaluation"] = "envs.policy_evaluation(env, policy, {gamma =}) -> V for actions per state or an nS x nA probability tensor",
    ["envs.q_values"] = "envs.q_values(env, V, {gamma =}) -> Q (nS x nA)",
    ["envs.spaces.Discrete"] = "envs.spaces.Discrete(n, {seed =}) -> space of the integers 1..n with :sample(), :contains(x)",
    ["envs.spaces.Box"] = "envs.spaces.Box(low, high, shape, {seed =}) -> space of float32 tensors within [low, high]",
    ["envs.spaces.MultiDiscrete"] = "envs.spaces.MultiDiscrete(nvec, {seed =}) -> integer vectors with component i in 1..nvec[i]",
    ["Env.reset"] = "env:reset{seed = n, options = {...}} -> obs, info (obs: tensor for Box spaces, integer 1..n for Discrete)",
    ["Env.step"] = "env:step(action) -> obs, reward, terminated, truncated, info (Discrete actions 1..n; Box: number, table or tensor)",
    ["Env.render"] = "env:render() -> text picture of the state",
    ["Env.P"] = "env.P[s][a] -> {{prob, next_state, reward, terminated}, ...} for tabular envs (1-based)",
    ["Env.clone"] = "env:clone() -> independent copy of the state (board games, classic control) for tree search",
    ["Env.legal_actions"] = "env:legal_actions() -> legal actions now (1-based)",
  }
  for k, v in pairs(entries) do if help[k] == nil then help[k] = v end end
end

return envs
