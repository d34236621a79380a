-- deploy.QuantizedSequential: the container deploy.quantize returns (an nn.Sequential whose
-- children are Quantize, QConv2d/QLinear/QMaxPool2d/QFlatten..., Dequantize).
--   qmodel(x)                      integer kernels
--   qmodel:forward_reference(x)    the same math in float64 (deploy.simulate)
--   qmodel:compare(x)              per layer: kernel output vs the float64 reference fed the kernel's own input
local nn = require "lumen.nn"

local QuantizedSequential = nn.Sequential:extend("QuantizedSequential")

function QuantizedSequential:forward_reference(x)
  for i = 1, #self._modules do x = rawget(self, i):forward_reference(x) end
  return x
end

--- Layer by layer agreement of the int8 kernels with the float64 emulation. Returns a list of
--- {index, name, total, differ, max_diff} for every int8-producing layer and the totals
--- {total, differ, max_diff}. Each reference is fed the kernel path's own input, so differences
--- do not compound.
function QuantizedSequential:compare(x)
  local rows, total, differ, worst = {}, 0, 0, 0
  for i = 1, #self._modules do
    local layer = rawget(self, i)
    local y = layer:forward(x)
    if y.dtype == "int8" and layer.__name ~= "QFlatten" then
      local ref = layer:forward_reference(x)
      local diff = (y:int() - ref:int()):abs()
      local n_diff = diff:gt(0):int():sum():item()
      local max_diff = diff:numel() > 0 and diff:max():item() or 0
      rows[#rows + 1] = {index = i, name = layer.__name, total = diff:numel(), differ = n_diff, max_diff = max_diff}
      total, differ, worst = total + diff:numel(), differ + n_diff, math.max(worst, max_diff)
    end
    x = y
  end
  return rows, {total = total, differ = differ, max_diff = worst}
end

--- Bytes of the quantized parameters (int8 weights, int32 biases, float32 scales).
function QuantizedSequential:size_bytes()
  local bytes = 0
  for _, m in ipairs(self:children()) do
    if m.weight_q then bytes = bytes + m.weight_q:numel() + 4 * m.weight_scale:numel() end
    if m.bias_q then bytes = bytes + 4 * m.bias_q:numel() end
  end
  return bytes
end

return QuantizedSequential
