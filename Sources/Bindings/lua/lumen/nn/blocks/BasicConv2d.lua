-- nn.BasicConv2d(in_channels, out_channels, kernel_size, {stride, padding, ..., eps = 1e-3}):
-- convolution (no bias) + BatchNorm2d + ReLU, the unit of Inception networks (torchvision's
-- BasicConv2d: fields conv and bn). Other options go to nn.Conv2d.
local nn = require "lumen.nn"

local BasicConv2d = nn.Module:extend("BasicConv2d")

function BasicConv2d:init(in_channels, out_channels, kernel_size, opts)
  local conv_opts, eps = {bias = false}, 1e-3
  for k, v in pairs(opts or {}) do
    if k == "eps" then eps = v else conv_opts[k] = v end
  end
  self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, conv_opts)
  self.bn = nn.BatchNorm2d(out_channels, {eps = eps, dtype = conv_opts.dtype})
end

function BasicConv2d:forward(x)
  return self.bn(self.conv(x)):relu()
end

return BasicConv2d
