-- nn.Conv1d(in_channels, out_channels, kernel_size, {stride = 1, padding = 0, dilation = 1,
--   groups = 1, bias = true, padding_mode = "zeros", dtype}): 1-d convolution of (N, C_in, L)
-- or (C_in, L) input; padding also "same" or "valid".
-- weight: (out, in/groups, k), bias: (out), as PyTorch.
--   nn.Conv1d(8, 16, 5, {padding = "same"})     (N,8,100) -> (N,16,100)
local nn = require "lumen.nn"
local ConvNd = require "lumen.nn.layers._ConvNd"

local Conv1d = ConvNd:extend("Conv1d")

function Conv1d:init(in_channels, out_channels, kernel_size, opts)
  self:setup(1, false, in_channels, out_channels, kernel_size, opts)
end

function Conv1d:forward(x)
  local F = nn.functional
  if self.padding_mode ~= "zeros" then
    x = F.pad(x, self:reversed_padding(), {mode = self.padding_mode})
    return F.conv1d(x, self.weight, self.bias, {stride = self.stride, dilation = self.dilation, groups = self.groups})
  end
  return F.conv1d(x, self.weight, self.bias,
    {stride = self.stride, padding = self.padding, dilation = self.dilation, groups = self.groups})
end

return Conv1d
