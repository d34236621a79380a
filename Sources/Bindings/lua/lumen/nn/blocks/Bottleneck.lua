-- nn.Bottleneck(inplanes, planes, {stride = 1, downsample = nil, groups = 1, base_width = 64,
--   norm_layer = nn.BatchNorm2d}): the 1x1 -> 3x3 -> 1x1 residual block of ResNet-50+ and
-- ResNeXt, output channels planes * 4 (Bottleneck.expansion). torchvision's layout (stride on
-- the 3x3 convolution, "ResNet v1.5"): conv1, bn1, conv2, bn2, conv3, bn3, relu, downsample.
-- downsample as nn.BasicBlock (built when stride ~= 1 or inplanes ~= planes * 4).
--   nn.Bottleneck(256, 64)                       (N,256,H,W) -> (N,256,H,W)
local nn = require "lumen.nn"
local options = require "lumen.nn.functional.options"

local Bottleneck = nn.Module:extend("Bottleneck")
Bottleneck.expansion = 4

function Bottleneck:init(inplanes, planes, opts)
  local o = options.read("Bottleneck", opts, {stride = 1, downsample = options.NONE, groups = 1, base_width = 64,
    norm_layer = options.NONE})
  local norm = o.norm_layer or nn.BatchNorm2d
  local width = math.floor(planes * (o.base_width / 64)) * o.groups
  local out = planes * Bottleneck.expansion
  self.inplanes, self.planes, self.stride = inplanes, planes, o.stride
  self.conv1 = nn.Conv2d(inplanes, width, 1, {bias = false})
  self.bn1 = norm(width)
  self.conv2 = nn.Conv2d(width, width, 3, {stride = o.stride, padding = 1, groups = o.groups, bias = false})
  self.bn2 = norm(width)
  self.conv3 = nn.Conv2d(width, out, 1, {bias = false})
  self.bn3 = norm(out)
  self.relu = nn.ReLU()
  local ds = o.downsample
  if ds == true or (ds == nil and (o.stride ~= 1 or inplanes ~= out)) then
    ds = nn.BasicBlock.make_downsample(inplanes, out, o.stride, norm)
  end
  if nn.is_module(ds) then self.downsample = ds end
end

function Bottleneck:forward(x)
  local out = self.relu(self.bn1(self.conv1(x)))
  out = self.relu(self.bn2(self.conv2(out)))
  out = self.bn3(self.conv3(out))
  local identity = self.downsample and self.downsample(x) or x
  return self.relu(out + identity)
end

return Bottleneck
