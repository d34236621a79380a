-- A hand-made int8 model in deploy's shared quantized-module format (class names and fields as
-- deploy's quantizer produces them), computing its forward by float emulation of the QDQ
-- arithmetic: q = clamp(round_half_even(x / scale) + zero_point, -128, 127), x = (q - zp) * scale.
-- Used by Tests/deploy (ONNX export in QDQ form) until the real quantizer is merged.
local F = nn.functional
local M = {}

local function round_half_even(v)
  local f = math.floor(v)
  local d = v - f
  if d > 0.5 or (d == 0.5 and f % 2 ~= 0) then return f + 1 end
  return f
end

--- Float tensor -> int8 tensor (x / scale is computed in float32, as runtimes do).
function M.quantize(x, scale, zero_point)
  local scaled = (x / scale):reshape(-1):totable()
  local q = {}
  for i, v in ipairs(scaled) do q[i] = math.max(-128, math.min(127, round_half_even(v) + zero_point)) end
  return torch.tensor(q, {dtype = "int8"}):reshape(x:size())
end

function M.dequantize(q, scale, zero_point)
  return (q:float() - zero_point) * scale
end

local Quantize = nn.Module:extend("Quantize")
function Quantize:init(scale, zero_point) self.scale, self.zero_point = scale, zero_point end
function Quantize:forward(x) return M.quantize(x, self.scale, self.zero_point) end

local Dequantize = nn.Module:extend("Dequantize")
function Dequantize:init(scale, zero_point) self.scale, self.zero_point = scale, zero_point end
function Dequantize:forward(q) return M.dequantize(q, self.scale, self.zero_point) end

-- Quantizes float weight (out, ...) symmetrically, per output channel (or with one scale for
-- the whole tensor when per_tensor), and bias to int32.
local function quantize_weights(self, weight, bias, input_scale, per_tensor)
  local out = weight:size(1)
  local absmax = weight:reshape(out, -1):abs():amax(2)
  if per_tensor then absmax = absmax:amax(1):expand(out, 1) end
  self.weight_scale = (absmax / 127):reshape(out)
  local shape = {out}
  for _ = 2, weight:dim() do shape[#shape + 1] = 1 end
  self.weight_q = M.quantize(weight, self.weight_scale:reshape(shape), 0)
  local bias_scale = self.weight_scale * input_scale
  local bq = (bias / bias_scale):totable()
  for i, v in ipairs(bq) do bq[i] = round_half_even(v) end
  self.bias_q = torch.tensor(bq, {dtype = "int32"})
  if per_tensor then self.weight_scale = self.weight_scale:narrow(1, 1, 1):contiguous() end
end

local function float_weights(self)
  local out = self.weight_q:size(1)
  local shape = {out}
  for _ = 2, self.weight_q:dim() do shape[#shape + 1] = 1 end
  local w = self.weight_q:float() * (self.weight_scale:numel() == 1 and self.weight_scale or self.weight_scale:reshape(shape))
  local b = self.bias_q:float() * (self.weight_scale * self.input_scale)
  return w, b
end

local function requantize(self, y)
  if self.relu then y = y:relu() end
  return M.quantize(y, self.output_scale, self.output_zero_point)
end

local QConv2d = nn.Module:extend("QConv2d")
function QConv2d:init(conv, input_scale, input_zp, output_scale, output_zp, relu)
  quantize_weights(self, conv.weight, conv.bias, input_scale)
  self.input_scale, self.input_zero_point = input_scale, input_zp
  self.output_scale, self.output_zero_point, self.relu = output_scale, output_zp, relu
  self.stride, self.padding, self.dilation, self.groups = conv.stride, conv.padding, conv.dilation, conv.groups
end
function QConv2d:forward(q)
  local w, b = float_weights(self)
  local x = M.dequantize(q, self.input_scale, self.input_zero_point)
  return requantize(self, F.conv2d(x, w, b, {stride = self.stride, padding = self.padding,
    dilation = self.dilation, groups = self.groups}))
end

local QLinear = nn.Module:extend("QLinear")
function QLinear:init(linear, input_scale, input_zp, output_scale, output_zp, relu, per_tensor)
  quantize_weights(self, linear.weight, linear.bias, input_scale, per_tensor)
  self.input_scale, self.input_zero_point = input_scale, input_zp
  self.output_scale, self.output_zero_point, self.relu = output_scale, output_zp, relu
end
function QLinear:forward(q)
  local w, b = float_weights(self)
  return requantize(self, F.linear(M.dequantize(q, self.input_scale, self.input_zero_point), w, b))
end

local QMaxPool2d = nn.Module:extend("QMaxPool2d")
function QMaxPool2d:init(k) self.kernel_size, self.stride, self.padding = k, k, 0 end
function QMaxPool2d:forward(q) return F.max_pool2d(q:float(), self.kernel_size, {stride = self.stride}):to("int8") end

local QFlatten = nn.Module:extend("QFlatten")
function QFlatten:forward(q) return q:float():flatten(2):to("int8") end

--- Quantize -> QConv2d(relu) -> QMaxPool2d -> QFlatten -> QLinear(relu) -> QLinear (per-tensor
--- weight scale) -> Dequantize.
function M.build()
  local conv = nn.Conv2d(1, 4, 3, {padding = 1})
  local fc1, fc2 = nn.Linear(64, 16), nn.Linear(16, 3)
  return nn.Sequential(Quantize(0.03, 0), QConv2d(conv, 0.03, 0, 0.02, -5, true), QMaxPool2d(2), QFlatten(),
    QLinear(fc1, 0.02, -5, 0.015, 3, true), QLinear(fc2, 0.015, 3, 0.01, 0, false, true), Dequantize(0.01, 0))
end

return M
