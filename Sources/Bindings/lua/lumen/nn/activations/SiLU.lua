-- nn.SiLU(): x * sigmoid(x) (swish).
local nn = require "lumen.nn"

local SiLU = nn.Module:extend("SiLU")

function SiLU:forward(x)
  return nn.functional.silu(x)
end

return SiLU
