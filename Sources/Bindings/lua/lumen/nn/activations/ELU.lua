-- nn.ELU(alpha = 1): x for x > 0, alpha * (exp(x) - 1) otherwise.
local nn = require "lumen.nn"

local ELU = nn.Module:extend("ELU")

function ELU:init(alpha)
  if type(alpha) == "table" then alpha = alpha.alpha end
  self.alpha = alpha or 1.0
end

function ELU:forward(x)
  return nn.functional.elu(x, self.alpha)
end

function ELU:extra_repr()
  return string.format("alpha=%g", self.alpha)
end

return ELU
