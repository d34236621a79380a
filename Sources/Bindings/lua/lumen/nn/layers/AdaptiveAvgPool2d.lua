-- nn.AdaptiveAvgPool2d(output_size): averages (N, C, H, W) or (C, H, W) input onto an
-- output_size grid ({h, w} or a number) whatever H and W are; 1 is global average pooling.
--   nn.AdaptiveAvgPool2d(1)                      (N,C,7,7) -> (N,C,1,1)
local nn = require "lumen.nn"
local tuple_string = require("lumen.nn.layers._ConvNd").tuple_string

local AdaptiveAvgPool2d = nn.Module:extend("AdaptiveAvgPool2d")

function AdaptiveAvgPool2d:init(output_size)
  if type(output_size) == "table" and output_size.output_size then output_size = output_size.output_size end
  if type(output_size) ~= "number" and type(output_size) ~= "table" then
    error("[AdaptiveAvgPool2d] output_size must be a number or a {h, w} table; got " .. type(output_size), 3)
  end
  self.output_size = output_size
end

function AdaptiveAvgPool2d:forward(x)
  return nn.functional.adaptive_avg_pool2d(x, self.output_size)
end

function AdaptiveAvgPool2d:extra_repr()
  return "output_size=" .. tuple_string(self.output_size)
end

return AdaptiveAvgPool2d
