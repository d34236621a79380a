-- 064 Reinforcement learning basics: MDPs, Bellman equations, dynamic programming, TD learning, bandits.
--
-- What it teaches: a Markov decision process (MDP) and its two Bellman equations (expectation and
-- optimality) on a tiny example solved by hand; value iteration and policy iteration written from
-- scratch with tensor math and checked against the library's solvers; tabular Q-learning, whose
-- greedy policy must agree with dynamic programming's; TD(0) policy evaluation measured against
-- the exact (DP) value function; on-policy SARSA vs off-policy Q-learning on CliffWalking (the
-- safe path vs the optimal path along the cliff edge); exploration vs exploitation on a
-- multi-armed bandit: epsilon-greedy vs UCB1 vs Thompson sampling, with regret curves.
--
-- Domain application (post-silicon validation):
--   * a tester that drifts out of calibration (the small MDP of section 1);
--   * choosing among candidate test recipes for a new product as a 10-armed bandit (section 6);
--   * an adaptive test flow (section 7): for each device under test, decide after every test
--     whether to run the next test, skip it, or stop and ship, given the outcomes so far; test
--     time costs money and escapes (defective devices shipped) cost much more. The exact MDP is
--     built from the parameters of the library's AdaptiveTest-v0 simulator, solved by value
--     iteration, learned model-free by Q-learning on the simulator, and compared with the fixed
--     full test flow (test time saved vs escapes).
--
-- Run:   lumen scripts/064_reinforcement_learning_basics.lua [--quick] [--seed N] [--out DIR]
-- Time:  full about 1 min, --quick about 10 s (2 cores).

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
    flow_q_episodes = 300000,    -- Q-learning devices (episodes) on the AdaptiveTest-v0 simulator
    flow_q_epsilon = 0.1,        -- exploration of that Q-learning
    flow_sim_devices = 200000,   -- devices simulated to validate each flow policy
  },
  quick = {grid_q_episodes = 10000, td_episodes = 10000, cliff_runs = 6, bandit_runs = 40,
           bandit_steps = 1000, flow_q_episodes = 60000, flow_sim_devices = 40000},
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
  for s = 1, 2 do nxt[s] = math.max(q_backup(tester.P, V_star, gamma_tester, s, 1), q_backup(tester.P, V_star, gamma_tester, s, 2)) end
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
plot.heatmap(nb:figure("gridworld_values.png", "GridWorld (4x3) optimal state values V* from value iteration"),
  V_grid_rows, {title = string.format("GridWorld V* (gamma %.2f); goal/pit cells show their reward", gamma),
    cell_labels = true, colormap = "coolwarm", xlabel = "column", ylabel = "row",
    row_labels = {"1", "2", "3"}, col_labels = {"1", "2", "3", "4"}, width = 700, height = 520})

-- Convergence: distance to V* of each value-iteration sweep and of each policy-iteration policy.
local function sup_distance(V) return math.max((V - V_vi_lib):abs():max():item(), 1e-14) end
local vi_curve, pi_curve = {}, {}
for k, V in ipairs(vi_iterates) do vi_curve[k] = sup_distance(V) end
for k, V in ipairs(pi_values) do pi_curve[k] = sup_distance(V) end
plot.line(nb:figure("dp_convergence.png", "Value iteration vs policy iteration: max |V - V*| per iteration (log scale)"),
  {["value iteration (one sweep per iteration)"] = vi_curve, ["policy iteration (one evaluated policy per iteration)"] = pi_curve},
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
  local ok = is_optimal(s, a_vi) and is_optimal(s, a_pi) and is_optimal(s, a_q)
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
nb:table(string.format("V of the uniform random policy: DP (exact) vs TD(0) (alpha = 1/N^%.1f)", config.td_lr_power), {"state", "DP", "TD(0)", "error"}, td_rows)
nb:metric("td0_max_error", td_max_error)
nb:metric("td0_const_alpha_max_error", td_const_error)
plot.line(nb:figure("td0_error.png", "TD(0) RMS error against the DP value function of the random policy"),
  {[string.format("alpha = 1/N(s)^%.1f", config.td_lr_power)] = {x = td_x, y = td_curve}, [string.format("alpha = %.2f constant", config.td_alpha)] = {x = td_const_x, y = td_const_curve}},
  {title = "TD(0) policy evaluation vs DP (uniform random policy)", xlabel = "episode", ylabel = "RMS error over states", logy = true})
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
local stats = {q = {margins = {}, returns = {}, late = {}, reached = 0}, sarsa = {margins = {}, returns = {}, late = {}, reached = 0}}
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

-- The same paths as a figure: each cell 16x16 pixels, grid lines between cells.
local function path_image(path, path_color)
  local cell, H, W = 16, cliff_rows * 16, cliff_cols * 16
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
  {titles = {"Q-learning (blue): optimal, along the edge", "SARSA (orange): the safe path"}, columns = 1,
   title = "CliffWalking greedy paths (green start, gold goal, dark red cliff)", normalize = false})

-- Reward per episode, averaged over runs and smoothed; clipped at -150 so the late curves show.
local function clipped(values) local out = {} for i, v in ipairs(values) do out[i] = math.max(v, -150) end return out end
plot.line(nb:figure("cliff_rewards.png", "Sum of rewards per episode (epsilon-greedy, mean of runs, moving average 10)"),
  {["Q-learning"] = clipped(moving_average(curves.q, 10)), SARSA = clipped(moving_average(curves.sarsa, 10)),
   ["optimal (DP)"] = (function() local t = {} for i = 1, config.cliff_episodes do t[i] = optimal_return end return t end)()},
  {title = string.format("CliffWalking, epsilon %.1f, alpha %.1f, %d runs (clipped at -150)", config.cliff_epsilon,
    config.cliff_alpha, config.cliff_runs), xlabel = "episode", ylabel = "sum of rewards during episode"})

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
