-- nn.Softmax(dim = -1): exp(x) / sum(exp(x)) along dim (1-based; -1 is the last dim).
local nn = require "lumen.nn"

local Softmax = nn.Module:extend("Softmax")

function Softmax:init(dim)
  if type(dim) == "table" then dim = dim.dim end
  self.dim = dim or -1
end

function Softmax:forward(x)
  return nn.functional.softmax(x, self.dim)
end

function Softmax:extra_repr()
  return "dim=" .. self.dim
end

return Softmax
