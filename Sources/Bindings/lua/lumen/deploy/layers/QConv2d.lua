-- deploy.QConv2d: int8 Conv2d (fields in the shared format, see lumen/deploy/quantize.lua).
--   x (N, C, H, W) int8 → (N, O, OH, OW) int8; stride/padding/dilation are {h, w}, groups a number.
-- forward: im2col (padding with the input zero point) + int8 GEMM + fixed-point requantization;
-- forward_reference: the same math in float64.
local nn = require "lumen.nn"
local common = require "lumen.deploy.layers.common"

local QConv2d = nn.Module:extend("QConv2d")

function QConv2d:init(fields)
  common.assign(self, fields)
  self.stride = common.pair(self.stride or 1)
  self.padding = common.pair(self.padding or 0)
  self.dilation = common.pair(self.dilation or 1)
  self.groups = self.groups or 1
  self.relu = self.relu and true or false
end

function QConv2d:forward(x)
  common.check_int8("QConv2d", x)
  return deploy_internal.qconv2d(x, self)
end

function QConv2d:forward_reference(x)
  local y = nn.functional.conv2d(common.dequantize64(x, self.input_scale, self.input_zero_point),
    common.real_weight(self), common.real_bias(self),
    {stride = self.stride, padding = self.padding, dilation = self.dilation, groups = self.groups})
  return common.requantize_reference(self, y)
end

function QConv2d:extra_repr()
  local w = self.weight_q
  return string.format("%d, %d, kernel_size=(%d, %d), stride=%s, padding=%s, scale=%.6g, zero_point=%d, %s%s",
    w:size(2) * self.groups, w:size(1), w:size(3), w:size(4), common.pair_string(self.stride),
    common.pair_string(self.padding), self.output_scale, self.output_zero_point,
    self.weight_scale:numel() > 1 and "per_channel" or "per_tensor", self.relu and ", relu" or "")
end

return QConv2d
