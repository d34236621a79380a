-- nn.Sigmoid(): 1 / (1 + exp(-x)).
local nn = require "lumen.nn"

local Sigmoid = nn.Module:extend("Sigmoid")

function Sigmoid:forward(x)
  return nn.functional.sigmoid(x)
end

return Sigmoid
