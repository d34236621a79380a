-- ONNX translations of nn's leaf modules. Each converter is fn(g, module, results, inputs) where
-- `inputs` are the tensors the forward received and `results` (a table.pack) what it returned;
-- it adds nodes to graph `g` and binds every returned tensor. Parameters become initializers.
local ops = require "lumen.deploy.onnx_ops"
local rnn = require "lumen.deploy.onnx_rnn"

local convert = {}

local function x_of(g, inputs) return g:operand(inputs[1]) end

function convert.Linear(g, m, results, inputs)
  ops.linear(g, results[1], inputs[1], m.weight, m.bias)
end

-- Explicit pads {top, left, bottom, right} of a 2-d layer (padding "same" resolved).
local function pads2d(m)
  if m.padding == "same" then
    local p = {}
    for i = 1, 2 do
      local total = m.dilation[i] * (m.kernel_size[i] - 1)
      p[i], p[i + 2] = total // 2, total - total // 2
    end
    return p
  end
  return {m.padding[1], m.padding[2], m.padding[1], m.padding[2]}
end

function convert.Conv2d(g, m, results, inputs)
  if m.padding_mode ~= "zeros" then g:fail("Conv2d with padding_mode \"%s\" is not supported", m.padding_mode) end
  local names = {x_of(g, inputs), g:const(m.weight)}
  if m.bias ~= nil then names[3] = g:const(m.bias) end
  g:bind(results[1], g:node("Conv", names, {
    {"kernel_shape", "ints", m.kernel_size}, {"strides", "ints", m.stride}, {"pads", "ints", pads2d(m)},
    {"dilations", "ints", m.dilation}, {"group", "int", m.groups}}))
end

--- Conv1d: the same Conv node with 1-d attributes.
function convert.Conv1d(g, m, results, inputs)
  if m.padding_mode ~= "zeros" then g:fail("Conv1d with padding_mode \"%s\" is not supported", m.padding_mode) end
  local pads = m.padding == "same" and {(m.dilation[1] * (m.kernel_size[1] - 1)) // 2,
    m.dilation[1] * (m.kernel_size[1] - 1) - (m.dilation[1] * (m.kernel_size[1] - 1)) // 2} or {m.padding[1], m.padding[1]}
  local names = {x_of(g, inputs), g:const(m.weight)}
  if m.bias ~= nil then names[3] = g:const(m.bias) end
  g:bind(results[1], g:node("Conv", names, {{"kernel_shape", "ints", m.kernel_size}, {"strides", "ints", m.stride},
    {"pads", "ints", pads}, {"dilations", "ints", m.dilation}, {"group", "int", m.groups}}))
end

local function batch_norm(g, m, results, inputs)
  if not m.track_running_stats then
    g:fail("%s without running statistics normalizes with batch statistics; it cannot be exported", m.__name)
  end
  local c = m.num_features
  local scale = m.weight or torch.ones(c)
  local bias = m.bias or torch.zeros(c)
  g:bind(results[1], g:node("BatchNormalization", {x_of(g, inputs), g:const(scale), g:const(bias),
    g:const(m.running_mean), g:const(m.running_var)}, {{"epsilon", "float", m.eps}}))
end
convert.BatchNorm1d, convert.BatchNorm2d = batch_norm, batch_norm

function convert.LayerNorm(g, m, results, inputs)
  if g.opset < 17 then g:fail("LayerNorm needs opset 17 or later (LayerNormalization); got opset %d", g.opset) end
  local shape = m.normalized_shape
  local scale = m.weight or torch.ones(shape)
  local bias = m.bias or torch.zeros(shape)
  g:bind(results[1], g:node("LayerNormalization", {x_of(g, inputs), g:const(scale), g:const(bias)},
    {{"axis", "int", -#shape}, {"epsilon", "float", m.eps}}))
end

local function simple(op_type)
  return function(g, _, results, inputs) g:bind(results[1], g:node(op_type, {x_of(g, inputs)})) end
end
convert.ReLU, convert.Sigmoid, convert.Tanh = simple("Relu"), simple("Sigmoid"), simple("Tanh")

function convert.GELU(g, m, results, inputs)
  g:bind(results[1], ops.gelu_named(g, x_of(g, inputs), m.approximate))
end

function convert.SiLU(g, _, results, inputs) ops.silu(g, results[1], inputs[1]) end

function convert.LeakyReLU(g, m, results, inputs)
  g:bind(results[1], g:node("LeakyRelu", {x_of(g, inputs)}, {{"alpha", "float", m.negative_slope or 0.01}}))
end

function convert.ELU(g, m, results, inputs)
  g:bind(results[1], g:node("Elu", {x_of(g, inputs)}, {{"alpha", "float", m.alpha or 1.0}}))
end

--- log(1 + exp(beta x)) / beta.
function convert.Softplus(g, m, results, inputs)
  local x = x_of(g, inputs)
  if m.beta == 1 then g:bind(results[1], g:node("Softplus", {x})) return end
  local y = g:node("Softplus", {g:node("Mul", {x, g:const_of(m.beta)})})
  g:bind(results[1], g:node("Div", {y, g:const_of(m.beta)}))
end

function convert.Softmax(g, m, results, inputs) ops.softmax(g, results[1], inputs[1], m.dim) end
function convert.LogSoftmax(g, m, results, inputs) ops.log_softmax(g, results[1], inputs[1], m.dim) end

local function identity(g, _, results, inputs) g:bind(results[1], x_of(g, inputs)) end
convert.Dropout, convert.Dropout2d, convert.Identity = identity, identity, identity

function convert.Flatten(g, _, results, inputs)
  g:bind(results[1], ops.reshape_to(g, x_of(g, inputs), inputs[1]:size(), results[1]:size()))
end
convert.Unflatten = convert.Flatten

local function pair(v) return type(v) == "table" and {v[1], v[2] or v[1]} or {v, v} end

function convert.MaxPool2d(g, m, results, inputs)
  if m.return_indices then g:fail("MaxPool2d with return_indices is not supported") end
  local p = pair(m.padding)
  g:bind(results[1], g:node("MaxPool", {x_of(g, inputs)}, {{"kernel_shape", "ints", pair(m.kernel_size)},
    {"strides", "ints", pair(m.stride)}, {"pads", "ints", {p[1], p[2], p[1], p[2]}},
    {"dilations", "ints", pair(m.dilation)}, {"ceil_mode", "int", m.ceil_mode and 1 or 0}}))
end

function convert.AvgPool2d(g, m, results, inputs)
  if m.divisor_override then g:fail("AvgPool2d with divisor_override is not supported") end
  local p = pair(m.padding or 0)
  g:bind(results[1], g:node("AveragePool", {x_of(g, inputs)}, {{"kernel_shape", "ints", pair(m.kernel_size)},
    {"strides", "ints", pair(m.stride or m.kernel_size)}, {"pads", "ints", {p[1], p[2], p[1], p[2]}},
    {"ceil_mode", "int", m.ceil_mode and 1 or 0},
    {"count_include_pad", "int", m.count_include_pad == false and 0 or 1}}))
end

--- Output 1 (or {1, 1}) is GlobalAveragePool; other sizes dividing the input become AveragePool.
function convert.AdaptiveAvgPool2d(g, m, results, inputs)
  local out = pair(m.output_size)
  local x = inputs[1]
  if out[1] == 1 and out[2] == 1 then
    g:bind(results[1], g:node("GlobalAveragePool", {x_of(g, inputs)}))
    return
  end
  local h, w = x:size(-2), x:size(-1)
  if h % out[1] ~= 0 or w % out[2] ~= 0 then
    g:fail("AdaptiveAvgPool2d from %dx%d to %dx%d has uneven windows; only sizes that divide the input are supported",
      h, w, out[1], out[2])
  end
  local k = {h // out[1], w // out[2]}
  g:bind(results[1], g:node("AveragePool", {x_of(g, inputs)}, {{"kernel_shape", "ints", k}, {"strides", "ints", k}}))
end

--- Embedding: token ids count from 1 in Lumen, so Gather reads ids - 1.
function convert.Embedding(g, m, results, inputs)
  local ids = x_of(g, inputs)
  if inputs[1].dtype ~= "int64" then ids = g:node("Cast", {ids}, {{"to", "int", 7}}) end
  local zero_based = g:node("Sub", {ids, g:const_of(1, "int64")})
  g:bind(results[1], g:node("Gather", {g:const(m.weight), zero_based}, {{"axis", "int", 0}}))
end

convert.LSTM, convert.GRU, convert.RNN = rnn.convert, rnn.convert, rnn.convert

--- Containers and blocks made of other modules and tensor ops: traced through.
convert.TRACE_THROUGH = {Sequential = true, ModuleList = true, ModuleDict = true, Residual = true,
  BasicBlock = true, Bottleneck = true, BasicConv2d = true, InceptionBlock = true, DepthwiseSeparableConv = true,
  MBConv = true, SqueezeExcitation = true}

return convert
