-- Pins seeded trajectories, transition tables and renders of the three grid worlds (FrozenLake,
-- CliffWalking, GridWorld), so a refactor of their shared grid logic is proven not to change
-- behaviour. The expected texts and digests were recorded from the implementation before
-- GridNavigation.swift existed; any change to a reward, slip, transition or rng draw breaks them.

-- 64-bit FNV-1a over a string (Lua integers wrap on overflow).
local function fnv(text)
  local h = -3750763034362895579  -- 0xcbf29ce484222325
  for i = 1, #text do
    h = h ~ text:byte(i)
    h = h * 1099511628211
  end
  return string.format("%016x", h)
end

local function num(x) return string.format("%.17g", x) end

-- Steps `n` actions chosen by a fixed LCG, resetting (seeded once, then continuing the rng) at
-- each episode end. Returns the log lines, one per reset or step.
local function trajectory(env, seed, n)
  local lines = {}
  local s, info = env:reset{seed = seed}
  lines[#lines + 1] = "reset " .. s .. " " .. num(info.prob)
  local x = 12345
  for _ = 1, n do
    x = (x * 1103515245 + 12345) % 2147483648
    local a = (x >> 16) % 4 + 1
    local s2, r, term, trunc, inf = env:step(a)
    lines[#lines + 1] = table.concat({a, s2, num(r), tostring(term), tostring(trunc), num(inf.prob),
                                      tostring(inf.cliff)}, " ")
    if term or trunc then
      local s3, i3 = env:reset()
      lines[#lines + 1] = "reset " .. s3 .. " " .. num(i3.prob)
    end
  end
  return lines
end

-- P[s][a] = {{prob, next, reward, terminated}} written out in order.
local function table_text(env)
  local out = {}
  for s, actions in ipairs(env.P) do
    for a, outcomes in ipairs(actions) do
      for _, o in ipairs(outcomes) do
        out[#out + 1] = table.concat({s, a, num(o[1]), o[2], num(o[3]), tostring(o[4])}, " ")
      end
    end
  end
  return table.concat(out, "\n")
end

local cases = {
  {name = "FrozenLake 4x4 slippery", id = "FrozenLake-v1", options = {}, seed = 7},
  {name = "FrozenLake 8x8 success_rate", id = "FrozenLake8x8-v1",
   options = {success_rate = 0.6, reward_schedule = {2, -1, -0.01}}, seed = 11},
  {name = "FrozenLake custom map, not slippery", id = "FrozenLake-v1",
   options = {desc = {"SFFH", "FHFF", "FFFG"}, is_slippery = false}, seed = 3},
  {name = "CliffWalking", id = "CliffWalking-v0", options = {}, seed = 5},
  {name = "GridWorld classic", id = "GridWorld-v0", options = {}, seed = 13},
  {name = "GridWorld map with walls and slip", id = "GridWorld-v0",
   options = {map = {"S..#.", ".#..G", "...P.", "#...."}, slip = 0.3, step_reward = -0.1}, seed = 17},
  {name = "GridWorld rows/cols with goals and pits", id = "GridWorld-v0",
   options = {rows = 4, cols = 5, start = {4, 1}, goals = {{1, 5, 3}}, pits = {{2, 3}}, walls = {{3, 3}},
              slip = 0.5}, seed = 19},
}

-- Recorded before the refactor: {first steps, trajectory digest, transition-table digest, render digest}.
local expected = {
  ["FrozenLake 4x4 slippery"] = {head = "reset 1 1\
1 1 0 false false 0.33333333333333331 nil\
1 5 0 false false 0.33333333333333331 nil\
2 6 0 true false 0.33333333333333331 nil\
reset 1 1\
3 1 0 false false 0.33333333333333331 nil\
4 2 0 false false 0.33333333333333331 nil\
2 1 0 false false 0.33333333333333331 nil",
    steps = "7f7272f256521295", P = "44e8c90e37cd0bec", render = "181b128c6a5f16a3"},
  ["FrozenLake 8x8 success_rate"] = {head = "reset 1 1\
1 1 -0.01 false false 0.20000000000000001 nil\
1 1 -0.01 false false 0.59999999999999998 nil\
2 9 -0.01 false false 0.59999999999999998 nil\
3 17 -0.01 false false 0.20000000000000001 nil\
4 9 -0.01 false false 0.59999999999999998 nil\
2 17 -0.01 false false 0.59999999999999998 nil\
2 18 -0.01 false false 0.20000000000000001 nil",
    steps = "a435c7138ed6c4f0", P = "4dbca8c6cb25abb4", render = "7da60122f2b88c57"},
  ["FrozenLake custom map, not slippery"] = {head = "reset 1 1\
1 1 0 false false 1 nil\
1 1 0 false false 1 nil\
2 5 0 false false 1 nil\
3 6 0 true false 1 nil\
reset 1 1\
4 1 0 false false 1 nil\
2 5 0 false false 1 nil",
    steps = "4fab9b587da7d520", P = "3d69dd42db44039b", render = "0c1fca11b00aa0ad"},
  ["CliffWalking"] = {head = "reset 37 1\
1 25 -1 false false 1 nil\
1 13 -1 false false 1 nil\
2 14 -1 false false 1 nil\
3 26 -1 false false 1 nil\
4 25 -1 false false 1 nil\
2 26 -1 false false 1 nil\
2 27 -1 false false 1 nil",
    steps = "b4c726c6e20cc78a", P = "e938ef7935cb5a37", render = "0c0374b9989ee41d"},
  ["GridWorld classic"] = {head = "reset 9 1\
1 5 -0.040000000000000001 false false 0.80000000000000004 nil\
1 1 -0.040000000000000001 false false 0.80000000000000004 nil\
2 1 -0.040000000000000001 false false 0.10000000000000001 nil\
3 5 -0.040000000000000001 false false 0.80000000000000004 nil\
4 5 -0.040000000000000001 false false 0.80000000000000004 nil\
2 5 -0.040000000000000001 false false 0.80000000000000004 nil\
2 5 -0.040000000000000001 false false 0.80000000000000004 nil",
    steps = "e04881eeffe3e8ce", P = "946abc8deda4f4c3", render = "9397e958d558117a"},
  ["GridWorld map with walls and slip"] = {head = "reset 1 1\
1 1 -0.10000000000000001 false false 0.84999999999999998 nil\
1 1 -0.10000000000000001 false false 0.84999999999999998 nil\
2 1 -0.10000000000000001 false false 0.14999999999999999 nil\
3 2 -0.10000000000000001 false false 0.14999999999999999 nil\
4 1 -0.10000000000000001 false false 0.69999999999999996 nil\
2 1 -0.10000000000000001 false false 0.14999999999999999 nil\
2 1 -0.10000000000000001 false false 0.14999999999999999 nil",
    steps = "5a157e71c1388430", P = "18be599ccb7cbafa", render = "7df7e37192d9cdd8"},
  ["GridWorld rows/cols with goals and pits"] = {head = "reset 16 1\
1 16 0 false false 0.25 nil\
1 11 0 false false 0.5 nil\
2 12 0 false false 0.5 nil\
3 17 0 false false 0.5 nil\
4 17 0 false false 0.25 nil\
2 17 0 false false 0.25 nil\
2 18 0 false false 0.5 nil",
    steps = "bd7f50f8324395dd", P = "b97e4646d2b1ffe9", render = "512c40bdbed1d644"},
}

local record = os.getenv("LUMEN_RECORD_PINS") ~= nil

for _, c in ipairs(cases) do
  test("grid worlds pinned: " .. c.name, function()
    local env = envs.make(c.id, c.options)
    local lines = trajectory(env, c.seed, 400)
    local got = {
      head = table.concat(lines, "\n", 1, 8),
      steps = fnv(table.concat(lines, "\n")),
      P = fnv(table_text(env)),
      render = fnv(env:render()),
    }
    if record then
      print(string.format("  [%q] = {head = %q,\n    steps = %q, P = %q, render = %q},",
                          c.name, got.head, got.steps, got.P, got.render))
      return
    end
    local want = expected[c.name]
    assert_true(want ~= nil, "no pinned values for " .. c.name)
    assert_eq(got.head, want.head)
    assert_eq(got.steps, want.steps)
    assert_eq(got.P, want.P)
    assert_eq(got.render, want.render)
  end)
end
