-- Quantization-aware training.
--   local qat = deploy.prepare_qat(model, {per_channel = true, observer = "moving_average"})
--   ... train qat as usual (fake quantization in the forward, straight-through gradients) ...
--   local qmodel = deploy.convert(qat)          -- the int8 format of deploy.quantize
-- prepare_qat takes the same Sequential models as deploy.quantize; BatchNorm2d is folded into its
-- Conv2d with the current running statistics (they stay frozen during QAT) and ReLU is fused.
-- The returned model is a deploy.QATSequential of FakeQuantize (input), QATLayer, nn.MaxPool2d and
-- nn.Flatten; the original model is untouched.
local nn = require "lumen.nn"
local quantize = require "lumen.deploy.quantize"

local M = {}
M.FakeQuantize = require "lumen.deploy.layers.FakeQuantize"
M.QATLayer = require "lumen.deploy.layers.QATLayer"
M.QATSequential = nn.Sequential:extend("QATSequential")

function M.prepare_qat(model, options)
  options = options or {}
  local stages = quantize.fold(model, "deploy.prepare_qat")
  local opts = {observer = options.observer or "moving_average", averaging_constant = options.averaging_constant,
    percentile = options.percentile, per_channel = options.per_channel}
  local children = {M.FakeQuantize(opts)}
  for _, s in ipairs(stages) do
    if s.kind == "conv" or s.kind == "linear" then children[#children + 1] = M.QATLayer(s, opts)
    elseif s.kind == "pool" then
      local m = nn.MaxPool2d(s.kernel_size, {stride = s.stride, padding = s.padding})
      m.source = s.source
      children[#children + 1] = m
    else
      local m = nn.Flatten(s.start_dim, s.end_dim)
      m.source = s.source
      children[#children + 1] = m
    end
  end
  local qat = M.QATSequential(table.unpack(children))
  qat.per_channel = options.per_channel ~= false
  qat:train()
  return qat
end

function M.convert(qat)
  if not nn.is_module(qat) or getmetatable(qat) ~= M.QATSequential then
    error("[deploy.convert] expected a model from deploy.prepare_qat", 2)
  end
  local children = qat:children()
  local input = children[1]
  if input.scale == nil then error("[deploy.convert] the model has not seen any data (run it in training mode first)", 2) end
  local stages, output_qp = {}, {}
  for i = 2, #children do
    local m = children[i]
    if getmetatable(m) == M.QATLayer then
      if m.output_quant.scale == nil then error(string.format("[deploy.convert] layer %d has not seen any data", i), 2) end
      stages[#stages + 1] = m:stage()
      output_qp[#stages] = {m.output_quant.scale, m.output_quant.zero_point}
    elseif getmetatable(m) == nn.MaxPool2d then
      local pair = function(v) return type(v) == "table" and v or {v, v} end
      stages[#stages + 1] = {kind = "pool", kernel_size = pair(m.kernel_size), stride = pair(m.stride),
        padding = pair(m.padding), source = m.source}
    else
      stages[#stages + 1] = {kind = "flatten", start_dim = m.start_dim, end_dim = m.end_dim, source = m.source}
    end
  end
  local qmodel = quantize.build(stages, {input.scale, input.zero_point}, output_qp, qat.per_channel ~= false)
  qmodel:eval()
  return qmodel
end

return M
