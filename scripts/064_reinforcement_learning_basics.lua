-- 064 Reinforcement learning basics: MDPs, Bellman equations, dynamic programming, TD learning, bandits.
--
-- What it teaches: a Markov decision process (MDP) and its two Bellman equations (expectation and
-- optimality) on a tiny example solved by hand; value iteration and policy iteration written from
-- scratch with tensor math (GridWorld, FrozenLake 8x8) and checked against the library's solvers;
-- tabular Q-learning, whose greedy policy must agree with dynamic programming's; TD(0) policy
-- evaluation measured against the exact (DP) value function; on-policy SARSA vs off-policy
-- Q-learning on CliffWalking (the safe path vs the optimal path along the cliff edge);
-- exploration vs exploitation on a multi-armed bandit: epsilon-greedy vs UCB1 vs Thompson
-- sampling, with regret curves.
--
-- Domain application (post-silicon validation):
--   * a tester that drifts out of calibration (the small MDP of section 1);
--   * choosing among candidate test recipes for a new product as a 10-armed bandit (section 6);
--   * an adaptive test flow (section 7): for each device under test, decide after every test
--     whether to run the next test, skip it, or stop and ship, given the outcomes so far; test
--     time costs money and escapes (defective devices shipped) cost much more. The exact MDP is
--     built from the parameters of the library's AdaptiveTest-v0 simulator and solved by value
--     iteration; Q-learning learns it model-free, both on the MDP wrapped as an environment and
--     on the raw simulator; the policies are printed and compared with the fixed full test flow
--     and with every fixed subset of tests (test time saved vs escapes).
--
-- Run:   lumen scripts/064_reinforcement_learning_basics.lua [--quick] [--seed N] [--out DIR]
-- Time:  full about 75 s of CPU (1.5 min on a quiet 2-core machine), --quick about 10 s of CPU.

local nb = notebook.start{
  id = "064", title = "Reinforcement learning basics",
  key_metrics = {"policy_agreement", "ucb_regret", "eps_greedy_regret"},
  config = {
    gamma_grid = 0.9,            -- discount of the GridWorld experiments
    dp_tol = 1e-10,              -- stop DP sweeps when the largest value change is below this
    grid_q_episodes = 50000,     -- Q-learning episodes on GridWorld (exploring starts)
    grid_q_epsilon = 0.2,        -- exploration rate of that Q-learning
    lr_power = 0.7,              -- step size alpha = 1 / N(s, a)^lr_power (decays; converges)
    td_episodes = 20000,         -- TD(0) episodes (uniform random policy, exploring starts)
    td_lr_power = 0.8,           -- TD(0) step size alpha = 1 / N(s)^td_lr_power
    td_alpha = 0.1,              -- constant step size of the second TD(0) run (for contrast)
    cliff_runs = 20,             -- independent runs averaged in the cliff curves
    cliff_episodes = 500,        -- episodes per run
    cliff_alpha = 0.1,           -- step size of Q-learning and SARSA on the cliff
    cliff_epsilon = 0.1,         -- epsilon-greedy exploration on the cliff (kept during learning)
    bandit_arms = 10,            -- candidate test recipes
    bandit_steps = 2000,         -- pulls (test insertions) per run
    bandit_runs = 200,           -- products (bandit instances) averaged in the regret curves
    bandit_epsilon = 0.1,        -- epsilon of epsilon-greedy
    ucb_c = math.sqrt(2),        -- UCB1's exploration constant: mean + c sqrt(ln t / n)
    flow_marginal_z = 1.0,       -- a passing test's reading above this z-score counts as marginal
    flow_escape_cost = 1000,     -- cost of shipping a defective device, in tester seconds
    flow_q_episodes = 300000,    -- episodes (devices) of each test-flow Q-learner
    flow_q_epsilon = 0.1,        -- exploration of that Q-learning
    flow_sim_devices = 200000,   -- devices simulated to validate each flow policy
  },
  quick = {grid_q_episodes = 10000, td_episodes = 10000, cliff_runs = 6, bandit_runs = 40,
           bandit_steps = 1000, flow_q_episodes = 60000, flow_sim_devices = 15000},
}
local config = nb.config
math.randomseed(nb.seed)            -- Lua's own RNG drives the agents' exploration
local f64 = {dtype = "float64"}

-- Small helpers used throughout -------------------------------------------------------------------

-- Index of the largest value of a Lua list (the first of equals).
local function argmax(values)
  local best = 1
  for a = 2, #values do if values[a] > values[best] then best = a end end
  return best
end

-- Greedy action with random tie-breaking (so untrained, all-zero rows do not always pick action 1).
local function greedy_random_ties(values)
  local best, count, choice = -math.huge, 0, 1
  for a = 1, #values do
    if values[a] > best then best, count, choice = values[a], 1, a
    elseif values[a] == best then
      count = count + 1
      if math.random(count) == 1 then choice = a end
    end
  end
  return choice
end

local function epsilon_greedy(values, epsilon)
  if math.random() < epsilon then return math.random(#values) end
  return greedy_random_ties(values)
end

local function max_of(values)
  local m = -math.huge
  for _, v in ipairs(values) do if v > m then m = v end end
  return m
end

local function mean(values, first, last)
  first, last = first or 1, last or #values
  local s = 0
  for i = first, last do s = s + values[i] end
  return s / (last - first + 1)
end

-- A list of n copies of v (horizontal reference lines in plots).
local function constant(n, v)
  local t = {}
  for i = 1, n do t[i] = v end
  return t
end

-- Moving average over a window (shorter at the start), for readable learning curves.
local function moving_average(values, window)
  local out, sum = {}, 0
  for i, v in ipairs(values) do
    sum = sum + v
    if i > window then sum = sum - values[i - window] end
    out[i] = sum / math.min(i, window)
  end
  return out
end

-- %%
-- ## 1. MDPs and the Bellman equations
--
-- An MDP is (S, A, P, R, gamma): states, actions, transition probabilities P(s' | s, a), rewards
-- and a discount. Lumen's tabular environments expose the model Gymnasium-style as
-- env.P[s][a] = {{prob, next_state, reward, terminated}, ...} (1-based states and actions).
--
-- A policy pi(a | s) has a value V_pi(s) = E[r1 + gamma r2 + gamma^2 r3 + ... | s0 = s]. One step
-- of look-ahead gives the two Bellman equations:
--   expectation (a fixed policy):  V_pi(s) = sum_a pi(a|s) sum_s' P(s'|s,a) [r + gamma V_pi(s')]
--       linear in V_pi: V_pi = R_pi + gamma P_pi V_pi, so V_pi = (I - gamma P_pi)^-1 R_pi;
--   optimality (the best policy):  V*(s) = max_a sum_s' P(s'|s,a) [r + gamma V*(s')]
--       non-linear (the max); solved by iteration (value iteration) and
--   Q*(s, a) = sum_s' P(s'|s,a) [r + gamma max_a' Q*(s', a')];  pi*(s) = argmax_a Q*(s, a).
-- Both right-hand sides are gamma-contractions, so iterating them converges from any start.
--
-- The small example: a tester is calibrated or drifted. Testing lots on a calibrated tester
-- earns 10 (good throughput) but drifts it with probability 0.2; on a drifted tester testing
-- earns only 2 (retests, correlation failures) and it stays drifted; recalibrating costs 2
-- (downtime) and restores calibration.
nb:section("1. MDPs and the Bellman equations: a tester that drifts out of calibration")

local tester = {
  state_names = {"calibrated", "drifted"}, action_names = {"test", "recalibrate"},
  P = {
    { {{0.8, 1, 10, false}, {0.2, 2, 10, false}}, {{1.0, 1, -2, false}} },   -- calibrated
    { {{1.0, 2, 2, false}},                       {{1.0, 1, -2, false}} },   -- drifted
  },
}
local gamma_tester = 0.9

-- Q(s, a) = sum over outcomes p (r + gamma V(s')) for a Lua transition table (terminated
-- outcomes have no future). This is the Bellman backup used by every DP routine below.
local function q_backup(P, V, gamma, s, a)
  local q = 0
  for _, t in ipairs(P[s][a]) do q = q + t[1] * (t[3] + (t[4] and 0 or gamma * V[t[2]])) end
  return q
end

-- Bellman expectation for "always test": solve the 2x2 linear system (I - gamma P_pi) V = R_pi.
local always_test = {1, 1}
local A, b = {}, {}
for s = 1, 2 do
  A[s], b[s] = {0, 0}, 0
  for _, t in ipairs(tester.P[s][always_test[s]]) do
    A[s][t[2]] = A[s][t[2]] - gamma_tester * t[1]
    b[s] = b[s] + t[1] * t[3]
  end
  A[s][s] = A[s][s] + 1
end
local det = A[1][1] * A[2][2] - A[1][2] * A[2][1]
local V_test = {(b[1] * A[2][2] - A[1][2] * b[2]) / det, (A[1][1] * b[2] - b[1] * A[2][1]) / det}
print(string.format("Bellman expectation, policy 'always test', gamma %.1f:", gamma_tester))
print(string.format("  V(cal) = 10 + %.1f (0.8 V(cal) + 0.2 V(drift));  V(drift) = 2 + %.1f V(drift)", gamma_tester,
  gamma_tester))
print(string.format("  exact solution:     V(calibrated) = %.4f   V(drifted) = %.4f", V_test[1], V_test[2]))
-- The same values by iterating the equation (iterative policy evaluation).
local V_iter = {0, 0}
for _ = 1, 500 do
  V_iter = {q_backup(tester.P, V_iter, gamma_tester, 1, 1), q_backup(tester.P, V_iter, gamma_tester, 2, 1)}
end
print(string.format("  500 backups from 0: V(calibrated) = %.4f   V(drifted) = %.4f", V_iter[1], V_iter[2]))

-- Bellman optimality by value iteration (from scratch), then the library's solver on the same P.
local V_star = {0, 0}
for _ = 1, 1000 do
  local nxt = {}
  for s = 1, 2 do
    nxt[s] = math.max(q_backup(tester.P, V_star, gamma_tester, s, 1), q_backup(tester.P, V_star, gamma_tester, s, 2))
  end
  V_star = nxt
end
print("Bellman optimality (value iteration): Q*(s, a) and the greedy policy")
local tester_policy = {}
for s = 1, 2 do
  local q = {q_backup(tester.P, V_star, gamma_tester, s, 1), q_backup(tester.P, V_star, gamma_tester, s, 2)}
  tester_policy[s] = argmax(q)
  print(string.format("  %-10s Q*(test) = %8.4f  Q*(recalibrate) = %8.4f  -> V* = %.4f, pi* = %s", tester.state_names[s],
    q[1], q[2], V_star[s], tester.action_names[tester_policy[s]]))
end
local V_lib_tester, pi_lib_tester = envs.value_iteration(tester, {gamma = gamma_tester})
local tester_diff = math.max(math.abs(V_lib_tester[1] - V_star[1]), math.abs(V_lib_tester[2] - V_star[2]))
nb:check("tester MDP: scratch value iteration = envs.value_iteration (max diff < 1e-8)",
  tester_diff < 1e-8 and pi_lib_tester[1] == tester_policy[1] and pi_lib_tester[2] == tester_policy[2],
  string.format("%.2e", tester_diff))
nb:check("tester MDP: recalibrating a drifted tester beats 'always test'", V_star[2] > V_test[2] + 1,
  string.format("V*(drifted) %.2f vs %.2f", V_star[2], V_test[2]))

-- %%
-- ## 2. Value iteration and policy iteration from scratch (tensor math) on GridWorld
--
-- GridWorld-v0 is Russell & Norvig's 4x3 world: +1 goal, -1 pit, a wall, -0.04 per step, and
-- moves that slip sideways with probability 0.2 (0.1 each side). We turn env.P into tensors:
--   P (nS, nA, nS): probability of moving to s' and continuing (terminating outcomes dropped),
--   R (nS, nA):     expected immediate reward,
-- so that one Bellman optimality backup for all states at once is a batched mat-vec:
--   Q = R + gamma * P @ V     (nS, nA);      V <- max_a Q.
-- Policy iteration alternates policy evaluation (Bellman expectation until convergence) and
-- greedy improvement; it stops when the policy no longer changes (ties keep the current action,
-- otherwise equal actions could flip forever).
nb:section("2. Value iteration and policy iteration from scratch on GridWorld")

local gamma = config.gamma_grid
local grid = envs.make("GridWorld-v0")
local grid_info = grid:properties()
local rows, cols = grid_info.rows, grid_info.cols
print(grid:render())

-- Tensors P (nS, nA, nS) and R (nS, nA) from a tabular environment's transition lists.
local function model_tensors(env)
  local nS, nA = #env.P, #env.P[1]
  local P, R = {}, {}
  for s = 1, nS do
    P[s], R[s] = {}, {}
    for a = 1, nA do
      local row, r = {}, 0
      for j = 1, nS do row[j] = 0 end
      for _, t in ipairs(env.P[s][a]) do
        r = r + t[1] * t[3]
        if not t[4] then row[t[2]] = row[t[2]] + t[1] end
      end
      P[s][a], R[s][a] = row, r
    end
  end
  return torch.tensor(P, f64), torch.tensor(R, f64)
end

local function q_tensor(P, R, V, g) return R + g * torch.matmul(P, V) end   -- (nS, nA)

-- Value iteration: returns V*, the greedy policy, and every iterate V_k (for the curves).
local function value_iteration_tensor(P, R, g, tol)
  local V = torch.zeros(P:size(1), f64)
  local iterates = {}
  for _ = 1, 100000 do
    local V_new = q_tensor(P, R, V, g):max(2)
    local delta = (V_new - V):abs():max():item()
    V = V_new
    iterates[#iterates + 1] = V
    if delta < tol then break end
  end
  local _, policy = q_tensor(P, R, V, g):max(2)
  return V, policy, iterates
end

-- Policy iteration: evaluation by iterating V <- sum_a pi(a|s) Q(s, a) with a one-hot pi, then
-- greedy improvement. Returns V, policy, and V_pi of every policy visited.
local function policy_iteration_tensor(P, R, g, tol)
  local nS, nA = P:size(1), P:size(2)
  local policy = {}
  for s = 1, nS do policy[s] = 1 end
  local V = torch.zeros(nS, f64)
  local values, changes = {}, {}
  for _ = 1, 1000 do
    local onehot = {}
    for s = 1, nS do
      onehot[s] = {}
      for a = 1, nA do onehot[s][a] = a == policy[s] and 1 or 0 end
    end
    local pi = torch.tensor(onehot, f64)
    for _ = 1, 100000 do                                    -- policy evaluation
      local V_new = (pi * q_tensor(P, R, V, g)):sum(2)
      local delta = (V_new - V):abs():max():item()
      V = V_new
      if delta < tol then break end
    end
    values[#values + 1] = V
    local Q = q_tensor(P, R, V, g):totable()                -- policy improvement
    local changed = 0
    for s = 1, nS do
      local best = policy[s]
      for a = 1, nA do if Q[s][a] > Q[s][best] + 1e-9 then best = a end end
      if best ~= policy[s] then policy[s], changed = best, changed + 1 end
    end
    changes[#changes + 1] = changed
    if changed == 0 then break end
  end
  return V, torch.tensor(policy, {dtype = "int64"}), values, changes
end

local Pg, Rg = model_tensors(grid)
local V_vi, pi_vi, vi_iterates = value_iteration_tensor(Pg, Rg, gamma, config.dp_tol)
local V_pi, pi_pi, pi_values, pi_changes = policy_iteration_tensor(Pg, Rg, gamma, config.dp_tol)
print(string.format("value iteration: %d sweeps; policy iteration: %d policies (changes per step: %s)", #vi_iterates,
  #pi_values, table.concat(pi_changes, ", ")))

-- The library's solvers (Swift, Sutton & Barto ch. 4) on the same env.P.
local V_vi_lib, pi_vi_lib = envs.value_iteration(grid, {gamma = gamma, tol = config.dp_tol})
local V_pi_lib, pi_pi_lib = envs.policy_iteration(grid, {gamma = gamma, tol = config.dp_tol})
local vi_diff = (V_vi - V_vi_lib):abs():max():item()
local pi_diff = (V_pi - V_pi_lib):abs():max():item()
nb:metric("vi_scratch_vs_library", vi_diff, "%.2e")
nb:metric("pi_scratch_vs_library", pi_diff, "%.2e")
nb:check("scratch value iteration = envs.value_iteration (max |dV| < 1e-8)", vi_diff < 1e-8, string.format("%.2e", vi_diff))
nb:check("scratch policy iteration = envs.policy_iteration (max |dV| < 1e-8)", pi_diff < 1e-8, string.format("%.2e", pi_diff))

-- Q* from the converged values: the reference every policy is judged against.
local Q_star = envs.q_values(grid, V_vi_lib, {gamma = gamma}):totable()
local nS_grid, nA_grid = #Q_star, #Q_star[1]
local blocked = {}                                           -- terminal cells and walls
for _, s in ipairs(grid_info.terminals) do blocked[s] = "terminal" end
for _, s in ipairs(grid_info.walls) do blocked[s] = "wall" end
local free_states = {}
for s = 1, nS_grid do if not blocked[s] then free_states[#free_states + 1] = s end end

-- Ties: an action is optimal in s when its Q* is within a hair of the best one. Comparing action
-- values (not argmax indices) means two methods that break an exact tie differently still agree.
local tie_tol = 1e-9
local function is_optimal(s, a) return Q_star[s][a] >= max_of(Q_star[s]) - tie_tol end
local tied_states = 0
for _, s in ipairs(free_states) do
  local n = 0
  for a = 1, nA_grid do if is_optimal(s, a) then n = n + 1 end end
  if n > 1 then tied_states = tied_states + 1 end
end
print(string.format("states with several optimal actions (exact ties): %d of %d", tied_states, #free_states))

-- The reward collected on entering each terminal cell (read from the model).
local terminal_reward = {}
for _, sp in ipairs(free_states) do
  for a = 1, nA_grid do
    for _, t in ipairs(grid.P[sp][a]) do if t[4] then terminal_reward[t[2]] = t[3] end end
  end
end

local arrows = {"^", ">", "v", "<"}                          -- GridWorld actions: Up, Right, Down, Left
local function policy_picture(policy, label)
  print(label)
  for r = 1, rows do
    local line = " "
    for c = 1, cols do
      local s = (r - 1) * cols + c
      local mark
      if blocked[s] == "wall" then mark = "#"
      elseif blocked[s] then mark = terminal_reward[s] >= 0 and "G" or "P"
      else mark = arrows[policy[s]] end
      line = line .. " " .. mark
    end
    print(line)
  end
end

-- The value-function heatmap (walls as NaN, shown gray) and the policy in ASCII.
local V_grid_rows = {}
for r = 1, rows do
  V_grid_rows[r] = {}
  for c = 1, cols do
    local s = (r - 1) * cols + c
    V_grid_rows[r][c] = blocked[s] == "wall" and 0 / 0 or V_vi_lib[s]
  end
end
-- Terminal cells hold 0 in V (no future); show the reward collected on entering them instead.
for s, reward in pairs(terminal_reward) do V_grid_rows[(s - 1) // cols + 1][(s - 1) % cols + 1] = reward end
plot.heatmap(nb:figure("gridworld_values.png", "GridWorld (4x3) optimal values V* (goal/pit cells show their reward; gray = wall)"),
  V_grid_rows, {title = string.format("GridWorld V*, gamma %.2f", gamma),
    cell_labels = true, colormap = "coolwarm", xlabel = "column", ylabel = "row",
    row_labels = {"1", "2", "3"}, col_labels = {"1", "2", "3", "4"}, width = 700, height = 520})

-- The same scratch solver on a bigger model: the slippery 8x8 FrozenLake (reach G, avoid holes H;
-- each move goes sideways with probability 2/3), where V*(s) is the best achievable probability
-- of reaching the goal (discounted by gamma per step).
local lake = envs.make("FrozenLake8x8-v1")
local P_lake, R_lake = model_tensors(lake)
local V_lake, _, lake_iterates = value_iteration_tensor(P_lake, R_lake, 0.99, config.dp_tol)
local V_lake_lib = envs.value_iteration(lake, {gamma = 0.99, tol = config.dp_tol})
local lake_diff = (V_lake - V_lake_lib):abs():max():item()
nb:check("scratch value iteration = envs.value_iteration on FrozenLake8x8 (max |dV| < 1e-8)", lake_diff < 1e-8,
  string.format("%.2e after %d sweeps", lake_diff, #lake_iterates))
plot.heatmap(nb:figure("frozenlake_values.png", "FrozenLake 8x8 (slippery) optimal values V*, gamma 0.99 (holes and goal: 0)"),
  V_lake:view(8, 8), {title = "FrozenLake8x8 V*, gamma 0.99", cell_labels = true, xlabel = "column", ylabel = "row",
    row_labels = {"1", "2", "3", "4", "5", "6", "7", "8"}, col_labels = {"1", "2", "3", "4", "5", "6", "7", "8"},
    width = 760, height = 700})

-- Convergence: distance to V* of each value-iteration sweep and of each policy-iteration policy.
local function sup_distance(V) return math.max((V - V_vi_lib):abs():max():item(), 1e-14) end
local vi_curve, pi_curve = {}, {}
for k, V in ipairs(vi_iterates) do vi_curve[k] = sup_distance(V) end
for k, V in ipairs(pi_values) do pi_curve[k] = sup_distance(V) end
plot.line(nb:figure("dp_convergence.png", "Value iteration vs policy iteration: max |V - V*| per iteration (log scale)"),
  {["value iteration (sweeps)"] = vi_curve, ["policy iteration (policies)"] = pi_curve},
  {title = "Convergence to V* on GridWorld (floor 1e-14)", xlabel = "iteration", ylabel = "max_s |V(s) - V*(s)|", logy = true})
nb:metric("vi_sweeps", #vi_iterates)
nb:metric("pi_iterations", #pi_values)

-- %%
-- ## 3. Q-learning on GridWorld: model-free, and it must find the same policy
--
-- Q-learning never reads env.P: it steps the simulator and applies the sample version of the
-- optimality backup,  Q(s,a) += alpha (r + gamma max_a' Q(s',a') - Q(s,a)).
-- It is off-policy (learns Q* while acting epsilon-greedily). With every (s, a) visited often and
-- step sizes alpha = 1/N(s,a)^0.7 (sum alpha = inf, sum alpha^2 < inf) it converges to Q*.
-- Exploring starts (reset{options = {state = s}}) make every state a possible start.
nb:section("3. Q-learning on GridWorld and agreement with VI and PI")

local function q_learning_grid(episodes, epsilon)
  local Q, N = {}, {}
  for s = 1, nS_grid do Q[s], N[s] = {}, {}; for a = 1, nA_grid do Q[s][a], N[s][a] = 0, 0 end end
  for episode = 1, episodes do
    local s = grid:reset{seed = nb.seed * 1000003 + episode, options = {state = free_states[math.random(#free_states)]}}
    while true do
      local a = epsilon_greedy(Q[s], epsilon)
      local s2, r, terminated, truncated = grid:step(a)
      local target = r + (terminated and 0 or gamma * max_of(Q[s2]))
      N[s][a] = N[s][a] + 1
      Q[s][a] = Q[s][a] + (1 / N[s][a] ^ config.lr_power) * (target - Q[s][a])
      s = s2
      if terminated or truncated then break end
    end
  end
  return Q
end

local Q_grid = q_learning_grid(config.grid_q_episodes, config.grid_q_epsilon)
local pi_q = {}
for s = 1, nS_grid do pi_q[s] = argmax(Q_grid[s]) end
local q_error = 0
for _, s in ipairs(free_states) do
  for a = 1, nA_grid do q_error = math.max(q_error, math.abs(Q_grid[s][a] - Q_star[s][a])) end
end

local rows_table, agree = {}, 0
for _, s in ipairs(free_states) do
  local a_vi, a_pi, a_q = pi_vi[s], pi_pi[s], pi_q[s]
  -- (the library solvers' policies must be optimal too)
  local ok = is_optimal(s, a_vi) and is_optimal(s, a_pi) and is_optimal(s, a_q)
    and is_optimal(s, pi_vi_lib[s]) and is_optimal(s, pi_pi_lib[s])
  if ok then agree = agree + 1 end
  local gap = max_of(Q_star[s]) - Q_star[s][a_q]
  rows_table[#rows_table + 1] = {s, string.format("(%d,%d)", (s - 1) // cols + 1, (s - 1) % cols + 1), arrows[a_vi],
    arrows[a_pi], arrows[a_q], string.format("%.4f", max_of(Q_star[s])), string.format("%.4f", gap), ok and "yes" or "NO"}
end
nb:table("greedy actions per non-terminal state (Q* gap of Q-learning's action; 0 = optimal)",
  {"state", "(row,col)", "VI", "PI", "Q-learning", "V*", "Q* gap", "agree"}, rows_table)
policy_picture(pi_vi, "value iteration policy (G goal, P pit, # wall):")
policy_picture(pi_q, "Q-learning greedy policy:")
local policy_agreement = agree / #free_states
nb:metric("q_learning_max_q_error", q_error)
nb:metric("policy_agreement", policy_agreement)
nb:check("VI, PI and Q-learning agree on GridWorld's optimal policy (all non-terminal states, by action value)",
  policy_agreement == 1, string.format("%d/%d states", agree, #free_states))

-- %%
-- ## 4. TD(0) policy evaluation vs the exact DP values
--
-- TD(0) estimates V_pi from experience:  V(s) += alpha (r + gamma V(s') - V(s)), bootstrapping
-- on its own estimate of the next state (Monte Carlo would wait for the full return). We evaluate
-- the uniform random policy and compare with the exact answer from DP (envs.policy_evaluation on
-- the model). A constant alpha keeps a noise floor; a decaying alpha keeps improving.
nb:section("4. TD(0) policy evaluation compared with dynamic programming")

local uniform = torch.full({nS_grid, nA_grid}, 1 / nA_grid, f64)
local V_random = envs.policy_evaluation(grid, uniform, {gamma = gamma, tol = config.dp_tol})

local function td0(episodes, alpha_of)
  local V, N = {}, {}
  for s = 1, nS_grid do V[s], N[s] = 0, 0 end
  local curve, curve_x = {}, {}
  local every = math.max(1, episodes // 100)
  for episode = 1, episodes do
    local s = grid:reset{seed = nb.seed * 7919 + episode, options = {state = free_states[math.random(#free_states)]}}
    while true do
      local s2, r, terminated, truncated = grid:step(math.random(nA_grid))
      N[s] = N[s] + 1
      V[s] = V[s] + alpha_of(N[s]) * (r + (terminated and 0 or gamma * V[s2]) - V[s])
      s = s2
      if terminated or truncated then break end
    end
    if episode % every == 0 then
      local sq = 0
      for _, st in ipairs(free_states) do sq = sq + (V[st] - V_random[st]) ^ 2 end
      curve[#curve + 1], curve_x[#curve_x + 1] = math.sqrt(sq / #free_states), episode
    end
  end
  local worst = 0
  for _, st in ipairs(free_states) do worst = math.max(worst, math.abs(V[st] - V_random[st])) end
  return V, worst, curve, curve_x
end

local V_td, td_max_error, td_curve, td_x = td0(config.td_episodes, function(n) return 1 / n ^ config.td_lr_power end)
local _, td_const_error, td_const_curve, td_const_x = td0(config.td_episodes, function() return config.td_alpha end)
local td_rows = {}
for _, s in ipairs(free_states) do
  td_rows[#td_rows + 1] = {s, string.format("%.4f", V_random[s]), string.format("%.4f", V_td[s]),
    string.format("%+.4f", V_td[s] - V_random[s])}
end
nb:table(string.format("V of the uniform random policy: DP (exact) vs TD(0) (alpha = 1/N^%.1f)", config.td_lr_power),
  {"state", "DP", "TD(0)", "error"}, td_rows)
nb:metric("td0_max_error", td_max_error)
nb:metric("td0_const_alpha_max_error", td_const_error)
plot.line(nb:figure("td0_error.png", "TD(0) RMS error against the DP value function of the random policy"),
  {[string.format("alpha = 1/N(s)^%.1f", config.td_lr_power)] = {x = td_x, y = td_curve},
   [string.format("alpha = %.2f constant", config.td_alpha)] = {x = td_const_x, y = td_const_curve}},
  {title = "TD(0) vs DP, random policy", xlabel = "episode", ylabel = "RMS error over states", logy = true})
nb:check("TD(0) matches DP policy evaluation (max error < 0.05)", td_max_error < 0.05, string.format("%.4f", td_max_error))

-- %%
-- ## 5. SARSA vs Q-learning on CliffWalking: the safe path and the optimal path
--
-- Two temporal-difference control methods that differ in one term of the target:
--   SARSA (on-policy):      target = r + gamma Q(s', a')   with a' the action actually taken next
--   Q-learning (off-policy): target = r + gamma max_a' Q(s', a')
-- While exploring with epsilon = 0.1, a step along the cliff edge sometimes slips into the cliff
-- (-100, back to the start). SARSA's values include that risk, so it learns a path away from the
-- edge; Q-learning learns the values of the greedy policy, whose optimal path hugs the edge, and
-- therefore earns LESS reward per episode while it keeps exploring (Sutton & Barto, example 6.6).
nb:section("5. SARSA vs Q-learning on CliffWalking")

local cliff = envs.make("CliffWalking-v0")
local cliff_rows, cliff_cols = cliff:properties().nrow, cliff:properties().ncol
local nS_cliff, nA_cliff = cliff.observation_space.n, cliff.action_space.n
local cliff_start = cliff:reset{seed = nb.seed}
local V_cliff = envs.value_iteration(cliff, {gamma = 1})          -- undiscounted: return = -steps
local optimal_return = V_cliff[cliff_start]
print(string.format("DP: optimal return from the start = %.0f (the shortest path along the edge)", optimal_return))

local function td_control(method, seed)
  local Q = {}
  for s = 1, nS_cliff do Q[s] = {0, 0, 0, 0} end
  local returns = {}
  local alpha, epsilon = config.cliff_alpha, config.cliff_epsilon
  for episode = 1, config.cliff_episodes do
    local s = cliff:reset{seed = seed * 100003 + episode}
    local a = epsilon_greedy(Q[s], epsilon)
    local total = 0
    for _ = 1, 10000 do
      local s2, r, terminated = cliff:step(a)
      total = total + r
      local a2 = epsilon_greedy(Q[s2], epsilon)
      local next_value = method == "sarsa" and Q[s2][a2] or max_of(Q[s2])
      Q[s][a] = Q[s][a] + alpha * (r + (terminated and 0 or next_value) - Q[s][a])
      s, a = s2, a2
      if terminated then break end
    end
    returns[episode] = total
  end
  return Q, returns
end

-- The greedy path from the start (deterministic moves, so read it from the model P).
local function greedy_path(Q)
  local s, path, total = cliff_start, {cliff_start}, 0
  for _ = 1, 200 do
    local t = cliff.P[s][argmax(Q[s])][1]
    total = total + t[3]
    s = t[2]
    path[#path + 1] = s
    if t[4] then return path, total, true end
  end
  return path, total, false
end

-- Distance (in rows) between the path and the cliff row, over the cells strictly between the
-- start and goal columns: 1 = walking along the edge.
local function cliff_margin(path)
  local margin = math.huge
  for _, s in ipairs(path) do
    local r, c = (s - 1) // cliff_cols + 1, (s - 1) % cliff_cols + 1
    if c > 1 and c < cliff_cols then margin = math.min(margin, cliff_rows - r) end
  end
  return margin
end

local curves = {q = {}, sarsa = {}}
local stats = {q = {margins = {}, returns = {}, late = {}, reached = 0},
               sarsa = {margins = {}, returns = {}, late = {}, reached = 0}}
local example_paths = {}
for run = 1, config.cliff_runs do
  for _, method in ipairs({"q", "sarsa"}) do
    local Q, returns = td_control(method, nb.seed * 1000 + run)
    for e, r in ipairs(returns) do curves[method][e] = (curves[method][e] or 0) + r / config.cliff_runs end
    -- SARSA learns the values of its epsilon-greedy policy; the purely greedy policy read from
    -- those values occasionally walks in a loop. Such runs are counted, not averaged.
    local path, ret, reached = greedy_path(Q)
    local st = stats[method]
    if reached then
      st.reached = st.reached + 1
      st.margins[#st.margins + 1], st.returns[#st.returns + 1] = cliff_margin(path), ret
    end
    st.late[run] = mean(returns, config.cliff_episodes // 2 + 1)
    if example_paths[method] == nil and reached then example_paths[method] = path end
  end
end

-- ASCII pictures of run 1's greedy paths: * path, C cliff, S start, G goal.
local function path_picture(path, label)
  local on_path = {}
  for _, s in ipairs(path) do on_path[s] = true end
  print(label)
  for r = 1, cliff_rows do
    local line = "  "
    for c = 1, cliff_cols do
      local s = (r - 1) * cliff_cols + c
      local ch = "."
      if s == cliff_start then ch = "S" elseif r == cliff_rows and c == cliff_cols then ch = "G"
      elseif r == cliff_rows and c > 1 and c < cliff_cols then ch = "C" elseif on_path[s] then ch = "*" end
      line = line .. ch
    end
    print(line)
  end
end
path_picture(example_paths.q, "Q-learning greedy path (first run):")
path_picture(example_paths.sarsa, "SARSA greedy path (first run whose greedy path reaches the goal):")

-- The same paths as a figure: each cell 32x32 pixels, grid lines between cells.
local function path_image(path, path_color)
  local cell = 32
  local H, W = cliff_rows * cell, cliff_cols * cell
  local on_path = {}
  for _, s in ipairs(path) do on_path[s] = true end
  local img = {{}, {}, {}}
  for y = 1, H do
    for ch = 1, 3 do img[ch][y] = {} end
    for x = 1, W do
      local r, c = (y - 1) // cell + 1, (x - 1) // cell + 1
      local s = (r - 1) * cliff_cols + c
      local color = {0.93, 0.93, 0.93}                                   -- floor
      if r == cliff_rows and c > 1 and c < cliff_cols then color = {0.55, 0.08, 0.08} end   -- cliff
      if on_path[s] then color = path_color end
      if s == cliff_start then color = {0.10, 0.60, 0.20} end              -- start
      if r == cliff_rows and c == cliff_cols then color = {0.95, 0.75, 0.10} end   -- goal
      local border = (y - 1) % cell == 0 or (x - 1) % cell == 0
      for ch = 1, 3 do img[ch][y][x] = border and 0.6 * color[ch] or color[ch] end
    end
  end
  return img
end
local margin_q, margin_sarsa = mean(stats.q.margins), mean(stats.sarsa.margins)
plot.images(nb:figure("cliff_paths.png", "Greedy paths after training (first run): Q-learning hugs the cliff, SARSA keeps away"),
  torch.tensor({path_image(example_paths.q, {0.15, 0.35, 0.85}), path_image(example_paths.sarsa, {0.95, 0.50, 0.10})}, f64),
  {titles = {"Q-learning: optimal, on the edge", "SARSA: the safe path"}, columns = 1,
   title = "Greedy paths (start green, goal gold, cliff red)", normalize = false})

-- Reward per episode, averaged over runs and smoothed; clipped at -150 so the late curves show.
local function clipped(values) local out = {} for i, v in ipairs(values) do out[i] = math.max(v, -150) end return out end
plot.line(nb:figure("cliff_rewards.png", "Sum of rewards per episode (epsilon-greedy, mean of runs, moving average 10)"),
  {["Q-learning"] = clipped(moving_average(curves.q, 10)), SARSA = clipped(moving_average(curves.sarsa, 10)),
   ["optimal (DP)"] = constant(config.cliff_episodes, optimal_return)},
  {title = string.format("CliffWalking, mean of %d runs", config.cliff_runs), xlabel = "episode",
   ylabel = "reward per episode (clipped at -150)"})

local q_optimal_runs = 0
for _, r in ipairs(stats.q.returns) do if r == optimal_return then q_optimal_runs = q_optimal_runs + 1 end end
local late_q, late_sarsa = mean(stats.q.late), mean(stats.sarsa.late)
nb:table("CliffWalking, averaged over runs (path columns: runs whose greedy path reaches the goal)",
  {"method", "greedy path reaches goal", "path return", "path rows from cliff", "online reward (2nd half)"},
  {{"Q-learning", stats.q.reached .. "/" .. config.cliff_runs, mean(stats.q.returns), margin_q, late_q},
   {"SARSA", stats.sarsa.reached .. "/" .. config.cliff_runs, mean(stats.sarsa.returns), margin_sarsa, late_sarsa}})
nb:metric("cliff_q_path_margin", margin_q)
nb:metric("cliff_sarsa_path_margin", margin_sarsa)
nb:metric("cliff_q_online_reward", late_q)
nb:metric("cliff_sarsa_online_reward", late_sarsa)
nb:check("Q-learning's greedy path is optimal (return = DP optimum) in every run", q_optimal_runs == config.cliff_runs,
  string.format("%d/%d runs", q_optimal_runs, config.cliff_runs))
nb:check("SARSA's path is safer than Q-learning's (further from the cliff)", margin_sarsa > margin_q,
  string.format("%.2f vs %.2f rows", margin_sarsa, margin_q))
nb:check("SARSA earns more reward online while exploring", late_sarsa > late_q,
  string.format("%.1f vs %.1f per episode", late_sarsa, late_q))

-- %%
-- ## 6. Exploration vs exploitation: choosing a test recipe with a multi-armed bandit
--
-- A new product has 10 candidate test recipes (different insertion orders, patterns, limits).
-- Each insertion with recipe a returns a noisy score (defects caught per unit of tester time,
-- normalized) with unknown mean q*(a). We want the best recipe while spending as few insertions
-- as possible on worse ones: the regret after T pulls is sum_t (q*(best) - q*(a_t)).
--   epsilon-greedy: the best-looking arm, except a random arm with probability epsilon (regret
--       grows linearly: it never stops exploring at rate epsilon);
--   UCB1: the arm with the highest  mean(a) + c sqrt(ln t / n(a))  (optimism under uncertainty;
--       regret grows like log T);
--   Thompson sampling: sample q(a) from each arm's posterior (Gaussian, known noise, N(0, 1)
--       prior) and pull the best sample.
-- GaussianBandit-v0 is Sutton & Barto's 10-armed testbed: q*(a) ~ N(0, 1) drawn at each reset
-- (one "product" per run), rewards N(q*(a), 1); each step's info.regret is q*(best) - q*(a).
-- Note: on Bernoulli arms with small gaps, UCB1 with c = sqrt(2) explores more than needed and
-- can trail epsilon-greedy at short horizons; the comparison depends on the problem.
nb:section("6. Bandits: epsilon-greedy vs UCB1 vs Thompson sampling for test recipes")

local function randn()
  return math.sqrt(-2 * math.log(1 - math.random())) * math.cos(2 * math.pi * math.random())
end

local bandit_agents = {
  ["epsilon-greedy"] = function(n, sum)
    if math.random() < config.bandit_epsilon then return math.random(#n) end
    local means = {}
    for a = 1, #n do means[a] = n[a] > 0 and sum[a] / n[a] or math.huge end   -- try each arm once
    return greedy_random_ties(means)
  end,
  UCB1 = function(n, sum, t)
    for a = 1, #n do if n[a] == 0 then return a end end
    local scores = {}
    for a = 1, #n do scores[a] = sum[a] / n[a] + config.ucb_c * math.sqrt(math.log(t) / n[a]) end
    return argmax(scores)
  end,
  Thompson = function(n, sum)
    -- Posterior of q(a) with prior N(0, 1) and unit noise: N(sum / (n + 1), 1 / (n + 1)).
    local samples = {}
    for a = 1, #n do samples[a] = sum[a] / (n[a] + 1) + randn() / math.sqrt(n[a] + 1) end
    return argmax(samples)
  end,
}
local agent_names = {"epsilon-greedy", "UCB1", "Thompson"}

local bandit = envs.make("GaussianBandit-v0", {arms = config.bandit_arms, steps = config.bandit_steps})
local regret_curves, optimal_share = {}, {}
for _, name in ipairs(agent_names) do
  local curve, optimal = {}, 0
  for t = 1, config.bandit_steps do curve[t] = 0 end
  for run = 1, config.bandit_runs do
    bandit:reset{seed = nb.seed * 100000 + run}                -- the same products for every agent
    local n, sum, cumulative = {}, {}, 0
    for a = 1, config.bandit_arms do n[a], sum[a] = 0, 0 end
    for t = 1, config.bandit_steps do
      local a = bandit_agents[name](n, sum, t)
      local _, reward, _, _, info = bandit:step(a)
      n[a], sum[a] = n[a] + 1, sum[a] + reward
      cumulative = cumulative + info.regret
      curve[t] = curve[t] + cumulative / config.bandit_runs
      if t > config.bandit_steps - 100 and info.optimal then optimal = optimal + 1 end
    end
  end
  regret_curves[name] = curve
  optimal_share[name] = optimal / (100 * config.bandit_runs)
end
local bandit_rows = {}
for _, name in ipairs(agent_names) do
  bandit_rows[#bandit_rows + 1] = {name, regret_curves[name][config.bandit_steps], optimal_share[name]}
end
nb:table(string.format("%d-armed testbed, %d pulls, mean of %d products", config.bandit_arms, config.bandit_steps,
  config.bandit_runs), {"agent", "cumulative regret", "best arm share (last 100 pulls)"}, bandit_rows)
plot.line(nb:figure("bandit_regret.png", "Cumulative regret of the bandit agents (mean over products)"), regret_curves,
  {title = string.format("Regret, %d test recipes, %d runs", config.bandit_arms, config.bandit_runs),
   xlabel = "pull (test insertion)", ylabel = "cumulative regret"})
local ucb_regret = nb:metric("ucb_regret", regret_curves.UCB1[config.bandit_steps])
local eps_greedy_regret = nb:metric("eps_greedy_regret", regret_curves["epsilon-greedy"][config.bandit_steps])
nb:metric("thompson_regret", regret_curves.Thompson[config.bandit_steps])
nb:check("UCB1's cumulative regret < epsilon-greedy's", ucb_regret < eps_greedy_regret,
  string.format("%.1f vs %.1f", ucb_regret, eps_greedy_regret))
-- Log vs linear growth: UCB1 adds far less regret in the second half than in the first.
local half = config.bandit_steps // 2
local ucb_first, ucb_second = regret_curves.UCB1[half], ucb_regret - regret_curves.UCB1[half]
nb:check("UCB1's regret grows sub-linearly (second half adds < 60% of the first half)", ucb_second < 0.6 * ucb_first,
  string.format("%.1f then %.1f", ucb_first, ucb_second))

-- %%
-- ## 7. The adaptive test flow as an MDP: value iteration, Q-learning, and the full flow
--
-- AdaptiveTest-v0 simulates one device under test per episode: K tests (tester seconds, defect
-- coverage per latent defect mechanism), actions run / skip / stop-and-ship; a failing test bins
-- the device; shipping a defective device is an escape (-escape_cost), binning a good one is
-- overkill (-overkill_cost); each test costs its time. A passing test also reports a reading
-- whose mean shifts up when mechanisms are present; we call a passing reading "marginal" (M)
-- when its z-score exceeds flow_marginal_z, else normal (N); "-" is a skipped test.
--
-- The device's defects are hidden, so the Markov state is what we know: the history of outcomes
-- (e.g. "NN-M"). Its belief over defect mechanisms follows from Bayes' rule with the simulator's
-- parameters, which gives the exact transition model P[s][a] of this belief MDP:
--   P(test k fails | history)        = sum_d b(d) P(detect or false fail | d)
--   P(test k passes with reading o)  = sum_d b(d) (1 - P(fail | d)) P(o | d),   b = posterior
--   ship (stop, or no tests left):   reward -escape_cost * P(defective | history)
-- K = 6 tests give 1 + 3 + ... + 3^5 = 364 decision states; the problem is acyclic (one test
-- per step), so value iteration with gamma = 1 converges in K + 1 sweeps.
nb:section("7. Adaptive test flow: MDP solved by value iteration, learned by Q-learning")

-- The simulator's parameters (AdaptiveTest-v0's defaults, written out): 6 tests, 3 mechanisms.
-- Only the escape cost differs: at the default (100 tester seconds) the optimal flow runs test 1
-- and ships (see the sweep below): the reward, not the algorithm, decides what "good" means.
local flow = {
  costs = {1.0, 2.0, 1.5, 3.0, 0.5, 4.0},                  -- tester seconds per test
  prevalence = {0.04, 0.02, 0.01},                         -- P(mechanism present) per device
  coverage = {                                             -- P(test k detects mechanism m)
    {0.60, 0.10, 0.00}, {0.30, 0.50, 0.10}, {0.20, 0.20, 0.20},
    {0.10, 0.60, 0.30}, {0.00, 0.00, 0.40}, {0.40, 0.30, 0.70},
  },
  false_fail = 0.002, shift = 1.5,                         -- overkill rate; reading shift per coverage
  escape_cost = config.flow_escape_cost,                   -- the simulator's default is 100 (see the sweep)
  overkill_cost = 20, time_weight = 1,                     -- cost of binning a good device; per second
}
local K, M = #flow.costs, #flow.prevalence
local n_configs = 1 << M                                   -- defect configurations d (bit m = mechanism m)
local action_names = {"run", "skip", "stop"}

local function erfc(x)      -- Numerical Recipes' erfc (relative error < 1.2e-7)
  local z = math.abs(x)
  local t = 1 / (1 + 0.5 * z)
  local r = t * math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
    + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))))
  return x >= 0 and r or 2 - r
end
local function normal_cdf(x) return 0.5 * erfc(-x / math.sqrt(2)) end

-- Per configuration d (1-based index d + 1): prior, P(test k fails | d), P(marginal reading | d).
local prior, fail_prob, marginal_prob = {}, {}, {}
for d = 0, n_configs - 1 do
  local p = 1
  for m = 1, M do p = p * ((d >> (m - 1)) & 1 == 1 and flow.prevalence[m] or 1 - flow.prevalence[m]) end
  prior[d + 1] = p
end
for k = 1, K do
  fail_prob[k], marginal_prob[k] = {}, {}
  for d = 0, n_configs - 1 do
    local miss, shift = 1, 0
    for m = 1, M do
      if (d >> (m - 1)) & 1 == 1 then
        miss = miss * (1 - flow.coverage[k][m])
        shift = shift + flow.shift * flow.coverage[k][m]
      end
    end
    fail_prob[k][d + 1] = d == 0 and flow.false_fail or 1 - miss
    marginal_prob[k][d + 1] = 1 - normal_cdf(config.flow_marginal_z - shift)
  end
end

-- Joint weights w(d) = P(history, d) after test k passes with reading o ("N"/"M") or is skipped.
local function child_weights(w, k, o)
  local out = {}
  for i = 1, n_configs do
    if o == "-" then out[i] = w[i]
    else
      local pm = marginal_prob[k][i]
      out[i] = w[i] * (1 - fail_prob[k][i]) * (o == "M" and pm or 1 - pm)
    end
  end
  return out
end
local function total(w) local s = 0 for _, v in ipairs(w) do s = s + v end return s end
local function p_defective(w) local W = total(w) return W > 0 and (W - w[1]) / W or 0 end

-- The belief MDP. Transitions are {prob, next, reward, terminated, seconds, P(escape), P(overkill)}:
-- the first four are Gymnasium's format (so envs.value_iteration can solve it), the last three
-- split the expected cost into test time, escapes and overkill for reporting.
local function build_flow_mdp(escape_cost)
  local states, index = {}, {}
  local function add(k, hist, w) states[#states + 1] = {k = k, hist = hist, w = w}; index[hist] = #states end
  add(0, "", prior)
  local i = 1
  while i <= #states do                                    -- breadth-first: parents before children
    local st = states[i]
    if st.k + 1 < K then
      for _, o in ipairs({"N", "M", "-"}) do add(st.k + 1, st.hist .. o, child_weights(st.w, st.k + 1, o)) end
    end
    i = i + 1
  end
  local terminal = #states + 1
  local P = {}
  for s, st in ipairs(states) do
    local k, w, W = st.k + 1, st.w, total(st.w)            -- k: the test decided now (1-based)
    local ship = {{1, terminal, -escape_cost * p_defective(w), true, 0, p_defective(w), 0}}
    local run = {}
    local c = flow.time_weight * flow.costs[k]
    local fail_w, fail_good = 0, w[1] * fail_prob[k][1]
    for d = 1, n_configs do fail_w = fail_w + w[d] * fail_prob[k][d] end
    if fail_w > 0 then
      local p_overkill = fail_good / fail_w                 -- P(good device | it failed)
      run[#run + 1] = {fail_w / W, terminal, -c - flow.overkill_cost * p_overkill, true, flow.costs[k], 0, p_overkill}
    end
    for _, o in ipairs({"N", "M"}) do
      local w2 = child_weights(w, k, o)
      local p = total(w2) / W
      if p > 0 then
        if k == K then    -- last test passed: the device ships
          run[#run + 1] = {p, terminal, -c - escape_cost * p_defective(w2), true, flow.costs[k], p_defective(w2), 0}
        else
          run[#run + 1] = {p, index[st.hist .. o], -c, false, flow.costs[k], 0, 0}
        end
      end
    end
    local skip = k == K and ship or {{1, index[st.hist .. "-"], 0, false, 0, 0, 0}}
    P[s] = {run, skip, ship}
  end
  P[terminal] = {}
  for a = 1, 3 do P[terminal][a] = {{1, terminal, 0, true, 0, 0, 0}} end
  return {P = P, states = states, index = index, terminal = terminal}
end

-- Value iteration on Lua tables (any P in Gymnasium's format), from scratch.
local function value_iteration_tables(P, g, tol)
  local V = {}
  for s = 1, #P do V[s] = 0 end
  local sweeps = 0
  repeat
    sweeps = sweeps + 1
    local delta, new = 0, {}
    for s = 1, #P do
      local best = -math.huge
      for a = 1, #P[s] do best = math.max(best, q_backup(P, V, g, s, a)) end
      new[s] = best
      delta = math.max(delta, math.abs(best - V[s]))
    end
    V = new
  until delta < tol or sweeps >= 100000
  local policy = {}
  for s = 1, #P do
    local q = {}
    for a = 1, #P[s] do q[a] = q_backup(P, V, g, s, a) end
    policy[s] = argmax(q)
  end
  return V, policy, sweeps
end

-- Exact expected cost, test time, escape and overkill rates of a policy, by pushing the state
-- distribution forward through the acyclic MDP (states are stored parents first).
local function evaluate_flow(mdp, policy)
  local reach = {[1] = 1}
  local r = {cost = 0, time = 0, escape = 0, overkill = 0}
  for s = 1, #mdp.states do
    local ps = reach[s] or 0
    if ps > 0 then
      for _, t in ipairs(mdp.P[s][policy[s]]) do
        local q = ps * t[1]
        r.cost, r.time = r.cost - q * t[3], r.time + q * t[5]
        r.escape, r.overkill = r.escape + q * t[6], r.overkill + q * t[7]
        if not t[4] then reach[t[2]] = (reach[t[2]] or 0) + q end
      end
    end
  end
  r.reach = reach
  return r
end

local mdp = build_flow_mdp(flow.escape_cost)
local n_flow = #mdp.states
print(string.format("belief MDP: %d decision states + 1 terminal, %d actions", n_flow, #action_names))
local V_flow, pi_flow, flow_sweeps = value_iteration_tables(mdp.P, 1, config.dp_tol)
local V_flow_lib, pi_flow_lib = envs.value_iteration({P = mdp.P}, {gamma = 1, tol = config.dp_tol})
local flow_diff = 0
for s = 1, n_flow do flow_diff = math.max(flow_diff, math.abs(V_flow[s] - V_flow_lib[s])) end
print(string.format("value iteration: %d sweeps; expected cost per device from the start: %.4f", flow_sweeps, -V_flow[1]))
nb:check("test flow: scratch value iteration = envs.value_iteration on the same P (max diff < 1e-8)",
  flow_diff < 1e-8, string.format("%.2e", flow_diff))

local full_policy = {}
for s = 1, n_flow do full_policy[s] = 1 end                 -- the fixed flow: run every test
local full = evaluate_flow(mdp, full_policy)
local optimal = evaluate_flow(mdp, pi_flow)
print(string.format("exact evaluation agrees with VI: %.6f vs %.6f", optimal.cost, -V_flow[1]))

-- Q-learning on the belief MDP as an environment: a Lua-defined env (envs.Env subclass) that
-- samples the next history from P. The agent does not read P; it only steps the env.
local FlowMDP = envs.Env:extend("TestFlowMDP")
function FlowMDP:init(model)
  self.model = model
  self.observation_space = envs.spaces.Discrete(#model.P)
  self.action_space = envs.spaces.Discrete(3)
end
function FlowMDP:reset() self.s = 1; return 1, {} end
function FlowMDP:step(a)
  local u, outcomes = math.random(), self.model.P[self.s][a]
  local t = outcomes[#outcomes]
  for _, o in ipairs(outcomes) do
    if u < o[1] then t = o; break end
    u = u - o[1]
  end
  self.s = t[2]
  return t[2], t[3], t[4], false, {}
end

local function q_learning_flow(env, state_of, episodes)
  local Q, N = {}, {}
  for s = 1, n_flow do Q[s], N[s] = {0, 0, 0}, {0, 0, 0} end
  local function greedy()
    local policy = {}
    for s = 1, n_flow do policy[s] = argmax(Q[s]) end
    return policy
  end
  local curve_x, curve = {}, {}
  local every = math.max(1, episodes // 60)
  local obs = env:reset{seed = nb.seed * 7777 + 1}
  for episode = 1, episodes do
    if episode > 1 then obs = env:reset() end
    local s = state_of(obs)
    while true do
      local a = epsilon_greedy(Q[s], config.flow_q_epsilon)
      local obs2, r, terminated = env:step(a)
      local target, s2 = r, nil
      if not terminated then s2 = state_of(obs2); target = r + max_of(Q[s2]) end
      N[s][a] = N[s][a] + 1
      Q[s][a] = Q[s][a] + (1 / N[s][a] ^ config.lr_power) * (target - Q[s][a])
      if terminated then break end
      s = s2
    end
    if episode % every == 0 then
      curve_x[#curve_x + 1], curve[#curve + 1] = episode, evaluate_flow(mdp, greedy()).cost
    end
  end
  return greedy(), Q, curve_x, curve
end
local pi_q_mdp, _, qm_x, qm_curve = q_learning_flow(FlowMDP(mdp), function(s) return s end, config.flow_q_episodes)
local learned_mdp = evaluate_flow(mdp, pi_q_mdp)

-- Q-learning on the AdaptiveTest-v0 simulator itself: observations are the tests run and their
-- readings (mapped to the same history states) and the reward is the realized cost: -escape_cost
-- when a defective device ships, which happens to a few devices in a thousand. That signal is
-- rare and loud, so the same number of episodes teaches much less (compare the two curves).
local simulator = envs.make("AdaptiveTest-v0", flow)
local function flow_state(obs)
  local o = obs:totable()
  local decided = math.floor(o[2 * K + 1] * K + 0.5)        -- tests run or skipped so far
  local hist = {}
  for j = 1, decided do
    hist[j] = o[2 * j - 1] > 0.5 and (o[2 * j] > config.flow_marginal_z and "M" or "N") or "-"
  end
  return mdp.index[table.concat(hist)]
end
local pi_q_raw, _, qr_x, qr_curve = q_learning_flow(simulator, flow_state, config.flow_q_episodes)
local learned_raw = evaluate_flow(mdp, pi_q_raw)
local pi_q_flow, learned = pi_q_mdp, learned_mdp

-- The policies side by side on the histories a device reaches with probability >= 2% under
-- the optimal policy. "Agree" compares action VALUES: at the last test, skip and stop both ship
-- the device, an exact tie that argmax may break either way.
local function flow_q_star(s, a) return q_backup(mdp.P, V_flow, 1, s, a) end
local function flow_optimal(s, a) return flow_q_star(s, a) >= V_flow[s] - 1e-9 * math.max(1, math.abs(V_flow[s])) end
local policy_rows = {}
local agree_mass, decided_mass = 0, 0
for s = 1, n_flow do
  local reach = optimal.reach[s] or 0
  if reach > 0 then
    decided_mass = decided_mass + reach
    if flow_optimal(s, pi_q_flow[s]) then agree_mass = agree_mass + reach end
  end
  if reach >= 0.02 then
    local st = mdp.states[s]
    policy_rows[#policy_rows + 1] = {st.hist == "" and "(start)" or st.hist, "test " .. (st.k + 1),
      string.format("%.3f", reach), string.format("%.4f", p_defective(st.w)), action_names[pi_flow[s]],
      action_names[pi_q_flow[s]] .. (flow_optimal(s, pi_q_flow[s]) and "" or " (x)"), action_names[pi_q_raw[s]]}
  end
end
nb:table("flow policies (N normal pass, M marginal pass, - skipped; reach under VI; (x) = not optimal); full flow runs all",
  {"history", "decide", "reach", "P(defective)", "VI", "Q (MDP env)", "Q (raw sim)"}, policy_rows)
local flow_agreement = agree_mass / decided_mass
nb:metric("flow_q_vs_vi_agreement", flow_agreement)

-- Simulate the policies on AdaptiveTest-v0 to validate the belief model against the simulator.
local function simulate(policy, devices, seed)
  local sum, sq, time, escapes, overkills = 0, 0, 0, 0, 0
  local o = simulator:reset{seed = seed}
  for device = 1, devices do
    if device > 1 then o = simulator:reset() end
    local cost = 0
    while true do
      local _, r, terminated, _, info
      o, r, terminated, _, info = simulator:step(policy[flow_state(o)])
      cost = cost - r
      if terminated then
        time = time + info.test_time
        if info.escape then escapes = escapes + 1 end
        if info.overkill then overkills = overkills + 1 end
        break
      end
    end
    sum, sq = sum + cost, sq + cost * cost
  end
  local m = sum / devices
  return {cost = m, se = math.sqrt((sq / devices - m * m) / devices), time = time / devices,
          escape = escapes / devices, overkill = overkills / devices}
end
local sim_full = simulate(full_policy, config.flow_sim_devices, nb.seed * 31 + 1)
local sim_vi = simulate(pi_flow, config.flow_sim_devices, nb.seed * 31 + 2)
local function dppm(p) return p * 1e6 end
local flow_rows = {}
for _, row in ipairs({{"full flow (run every test)", full, sim_full}, {"value iteration (optimal)", optimal, sim_vi},
                      {"Q-learning on the MDP env", learned}, {"Q-learning on the raw simulator", learned_raw}}) do
  local name, exact, sim = row[1], row[2], row[3]
  flow_rows[#flow_rows + 1] = {name, string.format("%.3f", exact.cost),
    sim and string.format("%.2f +- %.2f", sim.cost, sim.se) or "", string.format("%.3f", exact.time),
    string.format("%.1f%%", 100 * (1 - exact.time / full.time)), string.format("%.0f", dppm(exact.escape)),
    sim and string.format("%.0f", dppm(sim.escape)) or "", string.format("%.0f", dppm(exact.overkill))}
end
nb:table(string.format("adaptive test flow per device (escape cost %d s; exact = on the model, sim = %d simulated devices)",
  flow.escape_cost, config.flow_sim_devices),
  {"policy", "cost exact", "cost sim", "test time s", "time saved", "escapes DPPM", "sim DPPM", "overkill DPPM"}, flow_rows)
nb:metric("flow_time_saved", 1 - optimal.time / full.time)
nb:metric("flow_escape_dppm_vi", dppm(optimal.escape), "%.0f")
nb:metric("flow_escape_dppm_full", dppm(full.escape), "%.0f")
nb:metric("flow_cost_full", full.cost)
nb:metric("flow_cost_vi", optimal.cost)
nb:metric("flow_cost_q_mdp_env", learned.cost)
nb:metric("flow_cost_q_raw_sim", learned_raw.cost)

-- The trade-off: the escape cost decides how much test time is worth spending. Value iteration
-- for a range of escape costs traces the adaptive frontier; every fixed subset of the 6 tests
-- (a non-adaptive reduced flow, 64 of them) is a point too. The adaptive flow uses the readings,
-- so at the same test time it lets fewer defective devices escape.
local sweep_rows, frontier_x, frontier_y = {}, {}, {}
for _, E in ipairs({100, 200, 500, 1000, 2000}) do
  local m = build_flow_mdp(E)
  local _, policy = value_iteration_tables(m.P, 1, config.dp_tol)
  local r = evaluate_flow(m, policy)
  frontier_x[#frontier_x + 1], frontier_y[#frontier_y + 1] = r.time, dppm(r.escape)
  sweep_rows[#sweep_rows + 1] = {E, string.format("%.3f", r.time), string.format("%.1f%%", 100 * (1 - r.time / full.time)),
    string.format("%.0f", dppm(r.escape)), string.format("%.0f", dppm(r.overkill))}
end
nb:table("value-iteration flow vs escape cost (AdaptiveTest-v0's default escape cost is 100)",
  {"escape cost s", "test time s", "time saved", "escapes DPPM", "overkill DPPM"}, sweep_rows)

local subset_x, subset_y, best_subset = {}, {}, nil
for mask = 0, (1 << K) - 1 do
  local policy = {}
  for s = 1, n_flow do policy[s] = (mask >> mdp.states[s].k) & 1 == 1 and 1 or 2 end
  local r = evaluate_flow(mdp, policy)
  subset_x[#subset_x + 1], subset_y[#subset_y + 1] = r.time, dppm(r.escape)
  if best_subset == nil or r.cost < best_subset.cost then best_subset = r; best_subset.mask = mask end
end
local subset_names = {}
for k = 1, K do if (best_subset.mask >> (k - 1)) & 1 == 1 then subset_names[#subset_names + 1] = tostring(k) end end
print(string.format("best fixed subset at escape cost %d: tests {%s}, cost %.3f, time %.3f s, escapes %.0f DPPM",
  flow.escape_cost, table.concat(subset_names, ","), best_subset.cost, best_subset.time, dppm(best_subset.escape)))
nb:metric("flow_cost_best_fixed_subset", best_subset.cost)

local xs, ys, classes = {}, {}, {}
local function add_points(px, py, class)
  for i2 = 1, #px do xs[#xs + 1], ys[#ys + 1], classes[#classes + 1] = px[i2], py[i2], class end
end
add_points(subset_x, subset_y, 1)
add_points(frontier_x, frontier_y, 2)
add_points({full.time}, {dppm(full.escape)}, 3)
add_points({learned.time}, {dppm(learned.escape)}, 4)
plot.scatter(nb:figure("flow_tradeoff.png",
  "Test time vs escapes: fixed test subsets, the adaptive (VI) flow for escape costs 100..2000, the full flow"),
  xs, ys, {classes = torch.tensor(classes, {dtype = "int64"}),
    class_names = {"fixed test subsets", "adaptive (VI)", "full flow", "Q-learning (MDP env)"},
    title = "Test time vs escapes per policy", xlabel = "mean test time per device (s)", ylabel = "escapes (DPPM)"})

plot.line(nb:figure("flow_qlearning.png", "Expected cost per device of Q-learning's greedy policy during training"),
  {["Q-learning, MDP env"] = {x = qm_x, y = qm_curve},
   ["Q-learning, raw sim"] = {x = qr_x, y = qr_curve},
   ["VI optimum"] = {x = qm_x, y = constant(#qm_x, optimal.cost)},
   ["full flow"] = {x = qm_x, y = constant(#qm_x, full.cost)}},
  {title = string.format("Greedy flow during Q-learning, escape cost %d", flow.escape_cost),
   xlabel = "episode (device)", ylabel = "expected cost per device (s)"})

local sim_z = math.abs(sim_vi.cost - optimal.cost) / sim_vi.se
nb:check("belief MDP matches the simulator: simulated cost of the VI policy within 4 standard errors of the exact value",
  sim_z < 4, string.format("%.3f vs %.3f, z = %.2f", sim_vi.cost, optimal.cost, sim_z))
nb:check("adaptive (VI) flow costs less than the full flow and saves test time",
  optimal.cost < full.cost and optimal.time < full.time,
  string.format("cost %.3f vs %.3f, time %.2f vs %.2f s", optimal.cost, full.cost, optimal.time, full.time))
nb:check("adaptive flow beats the best fixed subset of tests (the readings carry information)",
  optimal.cost < best_subset.cost - 1e-6, string.format("%.3f vs %.3f", optimal.cost, best_subset.cost))
nb:check("Q-learning (MDP env) policy within 2% of the VI optimum and below the full flow's cost",
  learned.cost <= 1.02 * optimal.cost and learned.cost < full.cost,
  string.format("%.3f vs VI %.3f, full %.3f", learned.cost, optimal.cost, full.cost))

-- %%
-- ## Results
nb:section("Results")
print(string.format("GridWorld: VI, PI and Q-learning agree on %d/%d states; TD(0) max error %.4f",
  agree, #free_states, td_max_error))
print(string.format("Cliff: greedy paths %.2f (Q-learning, return %.0f = DP optimum) vs %.2f (SARSA) rows from the cliff; "
  .. "online reward %.1f vs %.1f", margin_q, optimal_return, margin_sarsa, late_q, late_sarsa))
print(string.format("Bandit regret after %d pulls: epsilon-greedy %.1f, UCB1 %.1f, Thompson %.1f", config.bandit_steps,
  eps_greedy_regret, ucb_regret, regret_curves.Thompson[config.bandit_steps]))
print(string.format("Test flow (escape cost %d): adaptive saves %.1f%% test time at %.0f vs %.0f DPPM escapes; cost %.3f vs %.3f",
  flow.escape_cost, 100 * (1 - optimal.time / full.time), dppm(optimal.escape), dppm(full.escape), optimal.cost, full.cost))
nb:finish()
