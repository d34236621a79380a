-- nn.DepthwiseSeparableConv(in_channels, out_channels, {kernel_size = 3, stride = 1,
--   padding = kernel_size // 2, dilation = 1, norm = true, activation = nn.ReLU}): MobileNet's
-- factorized convolution: a per-channel (depthwise, groups = in_channels) k x k convolution,
-- then a 1x1 (pointwise) convolution mixing channels, each followed by BatchNorm2d and the
-- activation (norm = false: biases instead; activation = false: none). About k*k times fewer
-- multiply-adds than a full k x k convolution. Fields: depthwise, bn1, pointwise, bn2, act.
--   nn.DepthwiseSeparableConv(32, 64, {stride = 2})      (N,32,16,16) -> (N,64,8,8)
local nn = require "lumen.nn"
local options = require "lumen.nn.functional.options"

local DepthwiseSeparableConv = nn.Module:extend("DepthwiseSeparableConv")

function DepthwiseSeparableConv:init(in_channels, out_channels, opts)
  local o = options.read("DepthwiseSeparableConv", opts, {kernel_size = 3, stride = 1, padding = options.NONE,
    dilation = 1, norm = true, activation = nn.ReLU})
  local k = o.kernel_size
  local padding = o.padding
  if padding == nil then
    padding = type(k) == "table" and {o.dilation * (k[1] - 1) // 2, o.dilation * (k[2] - 1) // 2}
      or o.dilation * (k - 1) // 2
  end
  self.depthwise = nn.Conv2d(in_channels, in_channels, k, {stride = o.stride, padding = padding,
    dilation = o.dilation, groups = in_channels, bias = not o.norm})
  if o.norm then self.bn1 = nn.BatchNorm2d(in_channels) end
  self.pointwise = nn.Conv2d(in_channels, out_channels, 1, {bias = not o.norm})
  if o.norm then self.bn2 = nn.BatchNorm2d(out_channels) end
  if o.activation then self.act = o.activation() end
end

function DepthwiseSeparableConv:forward(x)
  x = self.depthwise(x)
  if self.bn1 then x = self.bn1(x) end
  if self.act then x = self.act(x) end
  x = self.pointwise(x)
  if self.bn2 then x = self.bn2(x) end
  if self.act then x = self.act(x) end
  return x
end

return DepthwiseSeparableConv
