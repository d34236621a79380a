-- nn.GELU({approximate = "none"}): x * Phi(x) (exact, erf form); "tanh" for the approximation.
local nn = require "lumen.nn"

local GELU = nn.Module:extend("GELU")

function GELU:init(opts)
  local approximate = type(opts) == "table" and opts.approximate or opts
  self.approximate = approximate or "none"
  if self.approximate ~= "none" and self.approximate ~= "tanh" then
    error("[GELU] approximate must be \"none\" or \"tanh\"; got " .. tostring(self.approximate), 3)
  end
end

function GELU:forward(x)
  return nn.functional.gelu(x, self.approximate)
end

function GELU:extra_repr()
  return self.approximate == "none" and "" or "approximate='" .. self.approximate .. "'"
end

return GELU
