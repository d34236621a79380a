-- nn.Tanh(): tanh(x).
local nn = require "lumen.nn"

local Tanh = nn.Module:extend("Tanh")

function Tanh:forward(x)
  return nn.functional.tanh(x)
end

return Tanh
