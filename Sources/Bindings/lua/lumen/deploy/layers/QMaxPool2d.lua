-- deploy.QMaxPool2d: max pooling of int8 activations (scale and zero point unchanged).
-- Fields kernel_size, stride, padding as {h, w}.
local nn = require "lumen.nn"
local common = require "lumen.deploy.layers.common"

local QMaxPool2d = nn.Module:extend("QMaxPool2d")

function QMaxPool2d:init(fields)
  fields = fields or {}
  self.kernel_size = common.pair(fields.kernel_size)
  self.stride = common.pair(fields.stride or fields.kernel_size)
  self.padding = common.pair(fields.padding or 0)
end

function QMaxPool2d:forward(x)
  common.check_int8("QMaxPool2d", x)
  return deploy_internal.qmax_pool2d(x, self)
end

function QMaxPool2d:forward_reference(x)
  return nn.functional.max_pool2d(x:double(), self.kernel_size, {stride = self.stride, padding = self.padding}):to("int8")
end

function QMaxPool2d:extra_repr()
  return string.format("kernel_size=%s, stride=%s, padding=%s", common.pair_string(self.kernel_size),
    common.pair_string(self.stride), common.pair_string(self.padding))
end

return QMaxPool2d
