-- nn.BasicBlock(inplanes, planes, {stride = 1, downsample = nil, norm_layer = nn.BatchNorm2d}):
-- the two-convolution residual block of ResNet-18/34 (torchvision's layout, so state dicts
-- interchange: conv1, bn1, relu, conv2, bn2, downsample.1/.2 for PyTorch's downsample.0/.1).
--   out = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))      channels: inplanes -> planes
-- downsample: nil builds a 1x1 convolution + norm shortcut when stride ~= 1 or the channels
-- change; true always builds it; false never does; or pass your own module.
--   nn.BasicBlock(64, 128, {stride = 2})         (N,64,32,32) -> (N,128,16,16)
local nn = require "lumen.nn"
local options = require "lumen.nn.functional.options"

local BasicBlock = nn.Module:extend("BasicBlock")
BasicBlock.expansion = 1

--- The 1x1 convolution + norm shortcut of ResNet blocks (torchvision's downsample Sequential).
function BasicBlock.make_downsample(inplanes, outplanes, stride, norm_layer)
  return nn.Sequential(nn.Conv2d(inplanes, outplanes, 1, {stride = stride, bias = false}), norm_layer(outplanes))
end

function BasicBlock:init(inplanes, planes, opts)
  local o = options.read("BasicBlock", opts, {stride = 1, downsample = options.NONE, norm_layer = options.NONE})
  local norm = o.norm_layer or nn.BatchNorm2d
  self.inplanes, self.planes, self.stride = inplanes, planes, o.stride
  self.conv1 = nn.Conv2d(inplanes, planes, 3, {stride = o.stride, padding = 1, bias = false})
  self.bn1 = norm(planes)
  self.relu = nn.ReLU()
  self.conv2 = nn.Conv2d(planes, planes, 3, {padding = 1, bias = false})
  self.bn2 = norm(planes)
  local ds = o.downsample
  if ds == true or (ds == nil and (o.stride ~= 1 or inplanes ~= planes)) then
    ds = BasicBlock.make_downsample(inplanes, planes, o.stride, norm)
  end
  if nn.is_module(ds) then self.downsample = ds end
end

function BasicBlock:forward(x)
  local out = self.relu(self.bn1(self.conv1(x)))
  out = self.bn2(self.conv2(out))
  local identity = self.downsample and self.downsample(x) or x
  return self.relu(out + identity)
end

return BasicBlock
