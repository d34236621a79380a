-- Per-op cost from Lua (the reference workloads' op_add4_us): `a + b` on 4-element tensors.
local clock = lumen_internal.clock

local function best_of(repeats, iterations, body)
  local best = math.huge
  for _ = 1, repeats do
    local started = clock()
    for _ = 1, iterations do body() end
    best = math.min(best, (clock() - started) / iterations)
  end
  return best
end

local a, b = torch.ones(4), torch.ones(4)
local add = best_of(5, 200000, function() local _ = a + b end)
print(string.format("%-28s %10.3f %s", "op_add4_us", add * 1e6, "µs (Lua a + b, 4 floats)"))
local method = best_of(5, 200000, function() local _ = a:add(b) end)
print(string.format("%-28s %10.3f %s", "op_add4_method_us", method * 1e6, "µs (Lua a:add(b))"))
local x = torch.ones(64, 64)
local sum = best_of(5, 100000, function() local _ = x:sum() end)
print(string.format("%-28s %10.3f %s", "op_sum4096_us", sum * 1e6, "µs (Lua x:sum(), 64x64)"))
