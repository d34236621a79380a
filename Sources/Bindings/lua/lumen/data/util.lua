-- lumen.data.util: shared helpers: argument errors, seeded permutations, index tensors, sample packing (part of the `data` library; see lumen/data/init.lua).
local util = {}

function util.fail(op, fmt, ...)
  error(string.format("[%s] " .. fmt, op, ...), 3)
end

-- splitmix64 on Lua's wrapping 64-bit integers.
function util.splitmix(state)
  state = state + 0x9E3779B97F4A7C15
  local z = state
  z = (z ~ (z >> 30)) * 0xBF58476D1CE4E5B9
  z = (z ~ (z >> 27)) * 0x94D049BB133111EB
  return state, z ~ (z >> 31)
end

-- A permutation of 1..n as a Lua array (Fisher-Yates); rand(k) returns an integer in 1..k.
function util.permutation(n, rand)
  local p = {}
  for i = 1, n do p[i] = i end
  for i = n, 2, -1 do
    local j = rand(i)
    p[i], p[j] = p[j], p[i]
  end
  return p
end

-- A seed drawn from torch's generator (so torch.manual_seed governs loaders made without one).
function util.draw_seed()
  return torch.randint(0, 2147483647, {1}):item()
end

-- Array of integers -> int64 tensor (empty arrays too).
function util.index_tensor(list)
  if #list == 0 then return torch.zeros(0, {dtype = "int64"}) end
  return torch.tensor(list, {dtype = "int64"})
end

-- Packs get()'s results into one sample: one value as is, several as an array table.
function util.pack_sample(...)
  if select("#", ...) == 1 then return (...) end
  return {...}
end

return util
