-- nn.Residual(module): x + module(x), the skip connection of residual networks.
-- Errors inside the wrapped module are prefixed [Residual.fn Name].
local nn = require "lumen.nn"
local call_child = require "lumen.nn.containers.child_error"

local Residual = nn.Module:extend("Residual")

function Residual:init(module)
  if not nn.is_module(module) then error("[Residual] expected a module; got " .. type(module), 3) end
  self.fn = module
end

function Residual:forward(x)
  return x + call_child(self, "fn", self.fn, x)
end

return Residual
