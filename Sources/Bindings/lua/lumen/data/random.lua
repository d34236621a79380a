-- lumen.data.random: seeded random numbers and permutations independent of torch's generator (part of the `data` library; see lumen/data/init.lua).
local data = require "lumen.data.namespace"
local util = require "lumen.data.util"
local splitmix, permutation, draw_seed = util.splitmix, util.permutation, util.draw_seed

--- A random-number function seeded by integers (seed, stream...): each call returns an integer
--- uniform in 1..k. Independent of torch's and math.random's global state.
function data.rng(seed, ...)
  local state = math.tointeger(seed)
  if state == nil then error("[rng] seed must be an integer; got " .. tostring(seed), 2) end
  for _, extra in ipairs({...}) do
    local v
    state, v = splitmix(state)
    state = v ~ (math.tointeger(extra) or 0) * 0x632BE59BD9B4E019
  end
  return function(k)
    local v
    state, v = splitmix(state)
    return math.floor(((v >> 11) * 0x1p-53) * k) + 1
  end
end

--- A random permutation of 1..n as an int64 tensor, reproducible by `seed` (and `epoch`).
function data.randperm(n, seed, epoch)
  if math.tointeger(n) == nil or n < 0 then error("[randperm] n must be a non-negative integer; got " .. tostring(n), 2) end
  local p = permutation(n, data.rng(seed or draw_seed(), epoch or 0))
  return torch.tensor(p, {dtype = "int64"})
end
