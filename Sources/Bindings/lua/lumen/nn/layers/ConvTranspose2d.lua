-- nn.ConvTranspose2d(in_channels, out_channels, kernel_size, {stride = 1, padding = 0,
--   output_padding = 0, groups = 1, bias = true, dilation = 1, dtype}): the transpose (gradient)
-- of Conv2d, a learnable upsampling: H_out = (H-1)*stride - 2*padding + dilation*(k-1) + output_padding + 1.
-- weight: (in, out/groups, kh, kw), bias: (out), as PyTorch.
--   nn.ConvTranspose2d(16, 8, 2, {stride = 2})  (N,16,8,8) -> (N,8,16,16)
--   layer(x, {h, w})   picks output_padding so the output is h x w (PyTorch's output_size)
local nn = require "lumen.nn"
local ConvNd = require "lumen.nn.layers._ConvNd"

local ConvTranspose2d = ConvNd:extend("ConvTranspose2d")

function ConvTranspose2d:init(in_channels, out_channels, kernel_size, opts)
  self:setup(2, true, in_channels, out_channels, kernel_size, opts)
end

-- output_padding giving spatial size `size` ({h, w}, or the full output shape).
function ConvTranspose2d:output_padding_for(x, size)
  local n = #size
  local out = {}
  for i = 1, 2 do
    local target = size[n - 2 + i]
    local smallest = (x:size(x:dim() - 2 + i) - 1) * self.stride[i] - 2 * self.padding[i]
      + self.dilation[i] * (self.kernel_size[i] - 1) + 1
    local extra = target and target - smallest
    if extra == nil or extra < 0 or extra >= math.max(self.stride[i], self.dilation[i]) then
      error(string.format("[ConvTranspose2d] requested output size %s is not reachable from input %s: dim %d must be in %d..%d",
        ConvNd.tuple_string(size), "(" .. table.concat(x:size(), ",") .. ")", i, smallest,
        smallest + math.max(self.stride[i], self.dilation[i]) - 1), 3)
    end
    out[i] = extra
  end
  return out
end

function ConvTranspose2d:forward(x, output_size)
  local output_padding = self.output_padding
  if output_size ~= nil then output_padding = self:output_padding_for(x, output_size) end
  return nn.functional.conv_transpose2d(x, self.weight, self.bias, {stride = self.stride, padding = self.padding,
    output_padding = output_padding, dilation = self.dilation, groups = self.groups})
end

return ConvTranspose2d
