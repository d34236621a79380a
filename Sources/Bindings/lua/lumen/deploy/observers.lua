-- deploy.Observer(kind, {averaging_constant = 0.01, percentile = 99.99, channel_dim = nil}):
-- watches float tensors during calibration and chooses int8 parameters (Engine/Deploy/Observers.swift).
--   "minmax"          running min / max over all batches
--   "moving_average"  exponential moving averages of each batch's min / max (first batch sets them)
--   "percentile"      histogram of values; range clipped to the (100-p)% and p% percentiles
--   local obs = deploy.Observer("percentile", {percentile = 99.9})
--   obs:update(x); local scale, zero_point = obs:affine_params()
local Observer = {}
Observer.__index = Observer
Observer.__name = "deploy.Observer"

local KINDS = {minmax = true, moving_average = true, percentile = true}

setmetatable(Observer, {__call = function(_, kind, opts)
  kind = kind or "minmax"
  if not KINDS[kind] then
    error(string.format("[deploy.Observer] unknown observer \"%s\" (expected \"minmax\", \"moving_average\" or \"percentile\")",
      tostring(kind)), 2)
  end
  opts = opts or {}
  local parameter = kind == "moving_average" and opts.averaging_constant or opts.percentile
  local self = setmetatable({kind = kind}, Observer)
  self.handle = deploy_internal.observer_new(kind, kind ~= "minmax" and parameter or nil, opts.channel_dim)
  return self
end})

function Observer:update(x)
  deploy_internal.observer_update(self.handle, torch.is_tensor(x) and x:detach() or x)
  return self
end

--- Number of batches seen.
function Observer:batches() return deploy_internal.observer_batches(self.handle) end

--- Observed (clipped) range as float64 tensors of mins and maxs (one entry per channel).
function Observer:range() return deploy_internal.observer_range(self.handle) end

--- Affine int8 parameters (scale, zero_point in [-128, 127]) of the per-tensor range.
function Observer:affine_params() return deploy_internal.observer_affine(self.handle) end

function Observer:__tostring()
  return string.format("deploy.Observer(%s, %d batches)", self.kind, self:batches())
end

return {Observer = Observer}
