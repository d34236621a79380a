-- A tour of lumen.envs: Gymnasium-style environments simulated in Swift.
-- Run: lumen examples/envs.lua

-- %% CartPole with a hand-written controller
local env = envs.make("CartPole-v1")
print(env)
local returns = envs.rollout(env, function(obs)
  return (obs[3] + 0.5 * obs[4] + 0.01 * obs[1] + 0.1 * obs[2]) > 0 and 2 or 1   -- actions 1 (left), 2 (right)
end, {episodes = 3, seed = 0})
print("controller returns", table.concat(returns, " "))
print(env:render())

-- %% FrozenLake: value iteration on the transition table env.P
local lake = envs.make("FrozenLake-v1", {is_slippery = false})
local V, policy = envs.value_iteration(lake, {gamma = 0.9})
print("optimal values (gamma 0.9):")
print(V:view(4, 4))

-- %% Tabular Q-learning on the slippery lake
torch.manual_seed(0)
local slippery = envs.make("FrozenLake-v1")
local nS, nA = slippery.observation_space.n, slippery.action_space.n
local Q = {}
for s = 1, nS do Q[s] = {0, 0, 0, 0} end
local function greedy(s)
  local best = 1
  for a = 2, nA do if Q[s][a] > Q[s][best] then best = a end end
  return best
end
local alpha, gamma, epsilon = 0.1, 0.99, 0.1
for episode = 1, 5000 do
  local s = slippery:reset{seed = episode}
  while true do
    local a = math.random() < epsilon and slippery.action_space:sample() or greedy(s)
    local s2, r, terminated, truncated = slippery:step(a)
    local target = r + (terminated and 0 or gamma * Q[s2][greedy(s2)])
    Q[s][a] = Q[s][a] + alpha * (target - Q[s][a])
    s = s2
    if terminated or truncated then break end
  end
end
local wins = envs.rollout(slippery, function(s) return greedy(s) end, {episodes = 500, seed = 10000})
local total = 0
for _, r in ipairs(wins) do total = total + r end
print(string.format("Q-learning success rate on the slippery lake: %.2f", total / #wins))

-- %% A vector of 8 CartPoles with auto-reset
local vec = envs.vector("CartPole-v1", 8)
local obs = vec:reset{seed = 1}
local finished = 0
for _ = 1, 200 do
  local _, _, _, _, info = vec:step(vec.action_space:sample())
  if info.episode then finished = finished + info.episode._r:sum():item() end
end
print("episodes finished by the vector in 200 steps:", finished, "obs batch", obs:size(1) .. "x" .. obs:size(2))

-- %% Tic-tac-toe against a random opponent
local game = envs.make("TicTacToe-v0", {opponent = "random"})
game:reset{seed = 3}
repeat
  local legal = game:legal_actions()
  local _, reward, terminated = game:step(legal[1])
  if terminated then print(game:render()); print("reward", reward) end
until terminated
