-- nn.MaxPool2d(kernel_size, {stride = kernel_size, padding = 0, dilation = 1,
--   return_indices = false, ceil_mode = false}): max over windows of (N, C, H, W) or (C, H, W)
-- input. Sizes are a number or {h, w}. With return_indices the layer returns values and the
-- 1-based flat position (h-1)*W + w of each maximum inside its input plane.
--   nn.MaxPool2d(2)                              (N,C,32,32) -> (N,C,16,16)
local nn = require "lumen.nn"
local options = require "lumen.nn.functional.options"
local tuple_string = require("lumen.nn.layers._ConvNd").tuple_string

local MaxPool2d = nn.Module:extend("MaxPool2d")

function MaxPool2d:init(kernel_size, opts)
  if kernel_size == nil then error("[MaxPool2d] kernel_size is required", 3) end
  local o = options.read("MaxPool2d", opts, {stride = options.NONE, padding = 0, dilation = 1,
    return_indices = false, ceil_mode = false})
  self.kernel_size = kernel_size
  self.stride = o.stride or kernel_size
  self.padding, self.dilation = o.padding, o.dilation
  self.return_indices, self.ceil_mode = o.return_indices, o.ceil_mode
end

function MaxPool2d:forward(x)
  return nn.functional.max_pool2d(x, self.kernel_size, {stride = self.stride, padding = self.padding,
    dilation = self.dilation, ceil_mode = self.ceil_mode, return_indices = self.return_indices})
end

function MaxPool2d:extra_repr()
  return string.format("kernel_size=%s, stride=%s, padding=%s, dilation=%s, ceil_mode=%s", tuple_string(self.kernel_size),
    tuple_string(self.stride), tuple_string(self.padding), tuple_string(self.dilation), tostring(self.ceil_mode))
end

return MaxPool2d
