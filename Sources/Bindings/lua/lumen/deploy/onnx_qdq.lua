-- deploy's int8 quantized modules in ONNX QDQ form: float Conv/Gemm between QuantizeLinear /
-- DequantizeLinear pairs, the weights int8 initializers behind DequantizeLinear (axis 0 when
-- per-channel) and the bias an int32 initializer dequantized with scale input_scale*weight_scale.
-- Runtimes fuse the pattern into integer kernels; without fusion it computes in float exactly
-- what the QDQ arithmetic says. Module fields (the format shared with deploy's quantizer):
--   Quantize / Dequantize      scale, zero_point (Dequantize falls back to its input's parameters)
--   QLinear / QConv2d          weight_q (int8, the float weight's shape), weight_scale (float32, [out]
--                              or 1 element), bias_q (int32 [out]), input_scale, input_zero_point,
--                              output_scale, output_zero_point, relu; QConv2d also stride,
--                              padding, dilation, groups
--   QMaxPool2d                 kernel_size, stride, padding (on int8 values)
--   QFlatten                   start_dim, end_dim (on int8 values)
-- Activations between these modules are int8 tensors.
local ops = require "lumen.deploy.onnx_ops"

local qdq = {}

local function number(v) return torch.is_tensor(v) and v:reshape(-1):totable()[1] or v end

-- A scalar constant from a number or a one-element tensor.
local function scalar(g, v, dtype)
  if torch.is_tensor(v) then
    if v:numel() ~= 1 then g:fail("expected a single quantization parameter; got %d values", v:numel()) end
    v = v:reshape(-1):totable()[1]
  end
  return g:const(torch.tensor(v, {dtype = dtype}))
end

local function quantize(g, x, scale, zero_point)
  local y = g:node("QuantizeLinear", {x, scale, zero_point})
  g.qparams = g.qparams or {}
  g.qparams[y] = {scale, zero_point}
  return y
end

function qdq.Quantize(g, m, results, inputs)
  g:bind(results[1], quantize(g, g:operand(inputs[1]), scalar(g, m.scale, "float32"), scalar(g, m.zero_point, "int8")))
end

function qdq.Dequantize(g, m, results, inputs)
  local x = g:operand(inputs[1])
  local params = (g.qparams or {})[x]
  local scale = m.scale ~= nil and scalar(g, m.scale, "float32") or (params and params[1])
  local zp = m.zero_point ~= nil and scalar(g, m.zero_point, "int8") or (params and params[2])
  if not scale then g:fail("Dequantize needs a scale (none on the module or its input)") end
  g:bind(results[1], g:node("DequantizeLinear", {x, scale, zp or scalar(g, 0, "int8")}))
end

-- DequantizeLinear of the int8 weight (per channel along axis 0 when weight_scale has one
-- value per output) and of the int32 bias; returns the float weight and bias names.
local function weights(g, m)
  local out = m.weight_q:size(1)
  local ws = m.weight_scale
  if not torch.is_tensor(ws) then ws = torch.tensor({ws}) end
  ws = ws:reshape(-1):float()
  local per_channel = ws:numel() > 1
  if per_channel and ws:numel() ~= out then
    g:fail("%s weight_scale has %d values for %d outputs", m.__name, ws:numel(), out)
  end
  local w_scale = per_channel and g:const(ws) or scalar(g, ws, "float32")
  local w_zp = per_channel and g:const(torch.zeros(out, {dtype = "int8"})) or scalar(g, 0, "int8")
  local axis = per_channel and {{"axis", "int", 0}} or {}
  local w = g:node("DequantizeLinear", {g:const(m.weight_q), w_scale, w_zp}, axis)
  local b = nil
  if m.bias_q ~= nil then
    local b_scale = ws * number(m.input_scale)
    local b_scale_name = per_channel and g:const(b_scale) or scalar(g, b_scale, "float32")
    local b_zp = per_channel and g:const(torch.zeros(out, {dtype = "int32"})) or scalar(g, 0, "int32")
    b = g:node("DequantizeLinear", {g:const(m.bias_q:to("int32")), b_scale_name, b_zp}, axis)
  end
  return w, b
end

-- Dequantize the input, run `float_op`, optional Relu, quantize the output.
local function quantized_layer(g, m, results, inputs, float_op, attrs)
  local x = g:node("DequantizeLinear", {g:operand(inputs[1]), scalar(g, m.input_scale, "float32"),
    scalar(g, m.input_zero_point or 0, "int8")})
  local w, b = weights(g, m)
  local y = g:node(float_op, {x, w, b}, attrs)
  if m.relu then y = g:node("Relu", {y}) end
  g:bind(results[1], quantize(g, y, scalar(g, m.output_scale, "float32"), scalar(g, m.output_zero_point or 0, "int8")))
end

function qdq.QLinear(g, m, results, inputs)
  if inputs[1]:dim() ~= 2 then g:fail("QLinear export needs a 2-d input; got %d dims", inputs[1]:dim()) end
  quantized_layer(g, m, results, inputs, "Gemm", {{"transB", "int", 1}})
end

local function pair(v, default)
  if v == nil then v = default end
  return type(v) == "table" and {v[1], v[2] or v[1]} or {v, v}
end

function qdq.QConv2d(g, m, results, inputs)
  local k = {m.weight_q:size(3), m.weight_q:size(4)}
  local p = pair(m.padding, 0)
  quantized_layer(g, m, results, inputs, "Conv", {{"kernel_shape", "ints", k}, {"strides", "ints", pair(m.stride, 1)},
    {"pads", "ints", {p[1], p[2], p[1], p[2]}}, {"dilations", "ints", pair(m.dilation, 1)},
    {"group", "int", m.groups or 1}})
end

-- Ops on int8 values keep their input's quantization parameters.
local function keep_params(g, from, to)
  if g.qparams and g.qparams[from] then g.qparams[to] = g.qparams[from] end
end

function qdq.QMaxPool2d(g, m, results, inputs)
  local x = g:operand(inputs[1])
  local p = pair(m.padding, 0)
  local y = g:node("MaxPool", {x}, {{"kernel_shape", "ints", pair(m.kernel_size)},
    {"strides", "ints", pair(m.stride or m.kernel_size)}, {"pads", "ints", {p[1], p[2], p[1], p[2]}}})
  keep_params(g, x, y)
  g:bind(results[1], y)
end

function qdq.QFlatten(g, _, results, inputs)
  local x = g:operand(inputs[1])
  local y = ops.reshape_to(g, x, inputs[1]:size(), results[1]:size())
  keep_params(g, x, y)
  g:bind(results[1], y)
end

return qdq
