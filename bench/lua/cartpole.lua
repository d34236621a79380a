-- CartPole stepping throughput from Lua: a single env with random actions (reset on episode
-- end), and a vector of 16 copies (auto-reset) stepped with batched random actions.
-- Run: .build/release/lumen bench/lua/cartpole.lua
local clock = lumen_internal.clock

local function best_of(repeats, body)
  local best = 0
  for _ = 1, repeats do best = math.max(best, body()) end
  return best
end

local env = envs.make("CartPole-v1")
local space = env.action_space
local single = best_of(5, function()
  env:reset{seed = 0}
  local steps = 200000
  local started = clock()
  for _ = 1, steps do
    local _, _, terminated, truncated = env:step(space:sample())
    if terminated or truncated then env:reset() end
  end
  return steps / (clock() - started)
end)
print(string.format("%-28s %10.3f %s", "cartpole_steps_per_s", single, "steps/s (Lua env:step, random actions)"))

local vec = envs.vector("CartPole-v1", 16)
local batch_space = vec.action_space
local vector = best_of(5, function()
  vec:reset{seed = 0}
  local calls = 20000
  local started = clock()
  for _ = 1, calls do vec:step(batch_space:sample()) end
  return calls * 16 / (clock() - started)
end)
print(string.format("%-28s %10.3f %s", "cartpole_vector_steps_per_s", vector, "env steps/s (vector of 16, auto-reset)"))
