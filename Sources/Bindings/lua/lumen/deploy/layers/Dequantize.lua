-- deploy.Dequantize: int8 → float32, x = scale * (q - zero_point). Fields scale, zero_point.
local nn = require "lumen.nn"
local common = require "lumen.deploy.layers.common"

local Dequantize = nn.Module:extend("Dequantize")

function Dequantize:init(fields)
  fields = fields or {}
  self.scale, self.zero_point = fields.scale, fields.zero_point
end

function Dequantize:forward(q)
  common.check_int8("Dequantize", q)
  return deploy_internal.dequantize(q, self.scale, self.zero_point)
end

function Dequantize:forward_reference(q)
  return common.dequantize64(q, self.scale, self.zero_point):float()
end

function Dequantize:extra_repr()
  return string.format("scale=%.6g, zero_point=%d", self.scale, self.zero_point)
end

return Dequantize
