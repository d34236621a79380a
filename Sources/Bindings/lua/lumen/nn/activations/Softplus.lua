-- nn.Softplus({beta = 1, threshold = 20}): log(1 + exp(beta x)) / beta (x where beta x > threshold).
local nn = require "lumen.nn"

local Softplus = nn.Module:extend("Softplus")

function Softplus:init(opts)
  if type(opts) == "number" then opts = {beta = opts} end
  opts = opts or {}
  self.beta, self.threshold = opts.beta or 1.0, opts.threshold or 20.0
end

function Softplus:forward(x)
  return nn.functional.softplus(x, {beta = self.beta, threshold = self.threshold})
end

function Softplus:extra_repr()
  return string.format("beta=%g, threshold=%g", self.beta, self.threshold)
end

return Softplus
