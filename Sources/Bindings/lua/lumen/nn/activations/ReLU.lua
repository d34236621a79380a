-- nn.ReLU(): max(0, x).
local nn = require "lumen.nn"

local ReLU = nn.Module:extend("ReLU")

function ReLU:forward(x)
  return nn.functional.relu(x)
end

return ReLU
