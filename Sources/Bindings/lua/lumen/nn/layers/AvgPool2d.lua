-- nn.AvgPool2d(kernel_size, {stride = kernel_size, padding = 0, ceil_mode = false,
--   count_include_pad = true, divisor_override = nil}): mean over windows of (N, C, H, W) or
-- (C, H, W) input; the divisor counts padding unless count_include_pad = false.
--   nn.AvgPool2d(2)                              (N,C,32,32) -> (N,C,16,16)
local nn = require "lumen.nn"
local options = require "lumen.nn.functional.options"
local tuple_string = require("lumen.nn.layers._ConvNd").tuple_string

local AvgPool2d = nn.Module:extend("AvgPool2d")

function AvgPool2d:init(kernel_size, opts)
  if kernel_size == nil then error("[AvgPool2d] kernel_size is required", 3) end
  local o = options.read("AvgPool2d", opts, {stride = options.NONE, padding = 0, ceil_mode = false,
    count_include_pad = true, divisor_override = options.NONE})
  self.kernel_size = kernel_size
  self.stride = o.stride or kernel_size
  self.padding, self.ceil_mode = o.padding, o.ceil_mode
  self.count_include_pad, self.divisor_override = o.count_include_pad, o.divisor_override
end

function AvgPool2d:forward(x)
  return nn.functional.avg_pool2d(x, self.kernel_size, {stride = self.stride, padding = self.padding,
    ceil_mode = self.ceil_mode, count_include_pad = self.count_include_pad, divisor_override = self.divisor_override})
end

function AvgPool2d:extra_repr()
  return string.format("kernel_size=%s, stride=%s, padding=%s", tuple_string(self.kernel_size),
    tuple_string(self.stride), tuple_string(self.padding))
end

return AvgPool2d
