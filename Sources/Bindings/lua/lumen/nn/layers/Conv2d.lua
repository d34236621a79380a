-- nn.Conv2d(in_channels, out_channels, kernel_size, {stride = 1, padding = 0, dilation = 1,
--   groups = 1, bias = true, padding_mode = "zeros", dtype}): 2-d convolution (cross-correlation)
-- of (N, C_in, H, W) or (C_in, H, W) input. Sizes are a number or {h, w}; padding also "same"
-- or "valid"; padding_mode "reflect", "replicate" or "circular" pads with F.pad first.
-- weight: (out, in/groups, kh, kw), bias: (out), as PyTorch.
--   nn.Conv2d(1, 16, 3, {padding = 1})          (N,1,28,28) -> (N,16,28,28)
local nn = require "lumen.nn"
local ConvNd = require "lumen.nn.layers._ConvNd"

local Conv2d = ConvNd:extend("Conv2d")

function Conv2d:init(in_channels, out_channels, kernel_size, opts)
  self:setup(2, false, in_channels, out_channels, kernel_size, opts)
end

function Conv2d:forward(x)
  local F = nn.functional
  if self.padding_mode ~= "zeros" then
    x = F.pad(x, self:reversed_padding(), {mode = self.padding_mode})
    return F.conv2d(x, self.weight, self.bias, {stride = self.stride, dilation = self.dilation, groups = self.groups})
  end
  return F.conv2d(x, self.weight, self.bias,
    {stride = self.stride, padding = self.padding, dilation = self.dilation, groups = self.groups})
end

return Conv2d
