-- deploy.QFlatten: flattens int8 activations (fields start_dim = 2, end_dim = -1, 1-based as nn.Flatten).
local nn = require "lumen.nn"

local QFlatten = nn.Module:extend("QFlatten")

function QFlatten:init(fields)
  fields = fields or {}
  self.start_dim, self.end_dim = fields.start_dim or 2, fields.end_dim or -1
end

function QFlatten:forward(x)
  return x:flatten(self.start_dim, self.end_dim)
end
QFlatten.forward_reference = QFlatten.forward

function QFlatten:extra_repr()
  return string.format("start_dim=%d, end_dim=%d", self.start_dim, self.end_dim)
end

return QFlatten
