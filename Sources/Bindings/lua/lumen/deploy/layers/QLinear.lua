-- deploy.QLinear: int8 Linear (fields in the shared format, see lumen/deploy/quantize.lua).
--   x (*, in) int8 at (input_scale, input_zero_point) → (*, out) int8 at (output_scale, output_zero_point)
-- forward runs the integer kernel (int8 GEMM, int32 bias, fixed-point requantization, ReLU clamp);
-- forward_reference does the same math in float64 (dequantize → linear → quantize half-to-even).
local nn = require "lumen.nn"
local common = require "lumen.deploy.layers.common"

local QLinear = nn.Module:extend("QLinear")

function QLinear:init(fields)
  common.assign(self, fields)
  self.relu = self.relu and true or false
end

function QLinear:forward(x)
  common.check_int8("QLinear", x)
  return deploy_internal.qlinear(x, self)
end

function QLinear:forward_reference(x)
  local y = nn.functional.linear(common.dequantize64(x, self.input_scale, self.input_zero_point),
    common.real_weight(self), common.real_bias(self))
  return common.requantize_reference(self, y)
end

function QLinear:extra_repr()
  return string.format("in_features=%d, out_features=%d, scale=%.6g, zero_point=%d, %s%s",
    self.weight_q:size(2), self.weight_q:size(1), self.output_scale, self.output_zero_point,
    self.weight_scale:numel() > 1 and "per_channel" or "per_tensor", self.relu and ", relu" or "")
end

return QLinear
