-- deploy.Quantize: float → int8, q = clamp(round_half_even(x / scale) + zero_point, -128, 127).
-- Fields scale (number), zero_point (integer in [-128, 127]).
local nn = require "lumen.nn"

local Quantize = nn.Module:extend("Quantize")

function Quantize:init(fields)
  fields = fields or {}
  self.scale, self.zero_point = fields.scale, fields.zero_point
end

function Quantize:forward(x)
  if not torch.is_tensor(x) or (x.dtype ~= "float32" and x.dtype ~= "float64") then
    error(string.format("[Quantize] expected a float tensor; got %s", torch.is_tensor(x) and x.dtype or type(x)), 2)
  end
  return deploy_internal.quantize(x, self.scale, self.zero_point)
end
Quantize.forward_reference = Quantize.forward

function Quantize:extra_repr()
  return string.format("scale=%.6g, zero_point=%d", self.scale, self.zero_point)
end

return Quantize
