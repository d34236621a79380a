-- nn.InceptionBlock(in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj,
--   {branch3_kernel = 5}): GoogLeNet's Inception module, four parallel branches concatenated
-- along the channels (output ch1x1 + ch3x3 + ch5x5 + pool_proj channels, same H x W):
--   branch1  1x1 conv                     branch2  1x1 conv -> 3x3 conv
--   branch3  1x1 conv -> 5x5 conv         branch4  3x3 max pool (stride 1) -> 1x1 conv
-- Every conv is an nn.BasicConv2d (conv + BatchNorm + ReLU). Layout as torchvision's Inception
-- (branch2.1.conv.weight here is PyTorch's branch2.0.conv.weight); torchvision uses a 3x3 kernel
-- in branch3 — pass {branch3_kernel = 3} to load its weights.
--   nn.InceptionBlock(192, 64, 96, 128, 16, 32, 32)    (N,192,28,28) -> (N,256,28,28)
local nn = require "lumen.nn"
local options = require "lumen.nn.functional.options"

local InceptionBlock = nn.Module:extend("InceptionBlock")

function InceptionBlock:init(in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj, opts)
  local o = options.read("InceptionBlock", opts, {branch3_kernel = 5})
  for i, v in ipairs({in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj}) do
    if math.tointeger(v) == nil or v < 1 then
      error(string.format("[InceptionBlock] channel count %d must be a positive integer; got %s", i, tostring(v)), 3)
    end
  end
  local k = o.branch3_kernel
  local Conv = nn.BasicConv2d
  self.branch1 = Conv(in_channels, ch1x1, 1)
  self.branch2 = nn.Sequential(Conv(in_channels, ch3x3red, 1), Conv(ch3x3red, ch3x3, 3, {padding = 1}))
  self.branch3 = nn.Sequential(Conv(in_channels, ch5x5red, 1), Conv(ch5x5red, ch5x5, k, {padding = k // 2}))
  self.branch4 = nn.Sequential(nn.MaxPool2d(3, {stride = 1, padding = 1, ceil_mode = true}),
    Conv(in_channels, pool_proj, 1))
  self.out_channels = ch1x1 + ch3x3 + ch5x5 + pool_proj
end

function InceptionBlock:forward(x)
  return torch.cat({self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)}, -3)
end

return InceptionBlock
