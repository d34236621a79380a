-- nn.SqueezeExcitation(input_channels, squeeze_channels, {activation = nn.ReLU,
--   scale_activation = nn.Sigmoid}): channel attention (Hu et al.): global average pool,
-- 1x1 conv down to squeeze_channels, activation, 1x1 conv back up, sigmoid — the result
-- rescales each channel of the input. torchvision's layout: avgpool, fc1, fc2, activation,
-- scale_activation.
--   nn.SqueezeExcitation(64, 16)                 (N,64,H,W) -> (N,64,H,W)
local nn = require "lumen.nn"
local options = require "lumen.nn.functional.options"

local SqueezeExcitation = nn.Module:extend("SqueezeExcitation")

function SqueezeExcitation:init(input_channels, squeeze_channels, opts)
  local o = options.read("SqueezeExcitation", opts, {activation = nn.ReLU, scale_activation = nn.Sigmoid})
  self.avgpool = nn.AdaptiveAvgPool2d(1)
  self.fc1 = nn.Conv2d(input_channels, squeeze_channels, 1)
  self.fc2 = nn.Conv2d(squeeze_channels, input_channels, 1)
  self.activation = o.activation()
  self.scale_activation = o.scale_activation()
end

function SqueezeExcitation:forward(x)
  local scale = self.scale_activation(self.fc2(self.activation(self.fc1(self.avgpool(x)))))
  return x * scale
end

return SqueezeExcitation
