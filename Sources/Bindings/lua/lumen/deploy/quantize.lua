-- Post-training static int8 quantization: deploy.quantize(model, {calibrate = batches, ...}).
--
-- SHARED FORMAT of a quantized model (read by the ONNX QDQ exporter, the C exporter and deploy.save;
-- keep these names). A quantized model is a deploy.QuantizedSequential (an nn.Sequential subclass)
-- whose children, in order, are:
--   deploy.Quantize     scale (number), zero_point (integer in [-128, 127]): float → int8
--   deploy.QConv2d      weight_q      int8 tensor, same shape as the float weight (out, in/groups, kh, kw)
--   deploy.QLinear      weight_scale  float32 tensor (out) per channel, or (1) per tensor; symmetric, weight zero point 0
--                       bias_q        int32 tensor (out), scale input_scale * weight_scale[o], zero point 0 (may be nil)
--                       input_scale, input_zero_point, output_scale, output_zero_point   Lua numbers
--                       relu          boolean: ReLU fused (output clamped at output_zero_point)
--                       QConv2d only: stride, padding, dilation as {h, w}; groups a number
--   deploy.QMaxPool2d   kernel_size, stride, padding as {h, w} (scale/zero point pass through)
--   deploy.QFlatten     start_dim, end_dim (1-based, as nn.Flatten)
--   deploy.Dequantize   scale, zero_point: int8 → float32
-- Tensors between the children are int8 torch tensors. Activations are affine int8 per tensor,
-- real = scale * (q - zero_point); weights symmetric int8 in [-127, 127]. Class names (m.__name)
-- are "Quantize", "QConv2d", "QLinear", "QMaxPool2d", "QFlatten", "Dequantize"; each child also
-- has `source`, the dotted path of the float layer it came from.
--
-- Integer arithmetic of QConv2d/QLinear (Engine/Deploy/QuantizedLayers.swift and the exported C):
--   acc = bias_q[o] + Σ (x - input_zero_point) * weight_q[o, ...]                  (int32)
--   M[o] = (input_scale * weight_scale[o]) / output_scale = M0 * 2^(shift - 31)     (M0 int32 in [2^30, 2^31))
--   y = clamp(output_zero_point + RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(acc, M0), -shift),
--             relu and max(output_zero_point, -128) or -128, 127)
-- (gemmlowp/TFLite rounding: nearest, ties away from zero). The float64 reference path
-- (layer:forward_reference, deploy.simulate) computes y = quantize(relu?(real conv/linear)) with
-- round-half-to-even; the two agree within 1 LSB (qmodel:compare(x) counts the differences).
--
-- deploy.quantize(model, options):
--   model      an nn.Sequential (nested Sequentials allowed) of Linear, Conv2d, BatchNorm2d (folded into
--              the Conv2d before it), ReLU (fused into the Conv2d/Linear before it, also across
--              MaxPool2d/Flatten, which commute with it), MaxPool2d, Flatten, Dropout and Identity (dropped)
--   calibrate  a list of batches (tensors or {x, y} tables), a DataLoader, an iterator function or one tensor
--   per_channel = true   per-output-channel weight scales (false: one scale per layer)
--   observer = "minmax" | "moving_average" | "percentile"   activation range observer
--   averaging_constant = 0.01 (moving_average), percentile = 99.99 (percentile)
local nn = require "lumen.nn"
local F = nn.functional
local Observer = require("lumen.deploy.observers").Observer

local M = {}
M.Quantize = require "lumen.deploy.layers.Quantize"
M.Dequantize = require "lumen.deploy.layers.Dequantize"
M.QLinear = require "lumen.deploy.layers.QLinear"
M.QConv2d = require "lumen.deploy.layers.QConv2d"
M.QMaxPool2d = require "lumen.deploy.layers.QMaxPool2d"
M.QFlatten = require "lumen.deploy.layers.QFlatten"
M.QuantizedSequential = require "lumen.deploy.layers.QuantizedSequential"

local SUPPORTED = "Linear, Conv2d, BatchNorm2d, ReLU, MaxPool2d, Flatten, Dropout, Identity inside nn.Sequential"

--- Leaf layers of a Sequential (nested Sequentials flattened) as {path, module} in order.
local function leaves(op, module, path, out)
  for _, pair in ipairs(module:named_children()) do
    local name, child = pair[1], pair[2]
    local p = path == "" and name or (path .. "." .. name)
    if getmetatable(child) == nn.Sequential then leaves(op, child, p, out)
    else out[#out + 1] = {path = p, module = child} end
  end
  return out
end
M.leaves = leaves

local function pair(v) return type(v) == "table" and {v[1], v[2] or v[1]} or {v, v} end

--- Round half to even of a Lua number.
local function round_even(v)
  local f = math.floor(v)
  local d = v - f
  if d > 0.5 or (d == 0.5 and f % 2 ~= 0) then f = f + 1 end
  return f
end
M.round_even = round_even

--- The model as float "stages" with BatchNorm folded and ReLU fused:
---   {kind = "conv"|"linear", weight, bias (float32), relu, stride, padding, dilation, groups, source}
---   {kind = "pool", kernel_size, stride, padding, source} / {kind = "flatten", start_dim, end_dim, source}
function M.fold(model, op)
  op = op or "deploy.quantize"
  if not nn.is_module(model) or getmetatable(model) ~= nn.Sequential and getmetatable(model) ~= M.QuantizedSequential then
    error(string.format("[%s] expected an nn.Sequential model; got %s", op,
      nn.is_module(model) and model.__name or type(model)), 3)
  end
  local stages = {}
  local function last_compute(path, what)
    for i = #stages, 1, -1 do
      local s = stages[i]
      if s.kind == "conv" or s.kind == "linear" then return s end
      if s.kind ~= "pool" and s.kind ~= "flatten" then break end
    end
    error(string.format("[%s] %s at \"%s\" must follow a Conv2d or Linear layer", op, what, path), 4)
  end
  for _, leaf in ipairs(leaves(op, model, "", {})) do
    local m, path = leaf.module, leaf.path
    local class = getmetatable(m)
    if class == nn.Conv2d then
      if m.padding_mode ~= "zeros" then
        error(string.format("[%s] Conv2d at \"%s\": padding_mode \"%s\" is not supported (only \"zeros\")", op, path, m.padding_mode), 3)
      end
      local padding = m.padding
      if padding == "same" then
        padding = {}
        for d = 1, 2 do
          local total = m.dilation[d] * (m.kernel_size[d] - 1)
          if total % 2 ~= 0 then
            error(string.format("[%s] Conv2d at \"%s\": padding \"same\" with an even kernel is not supported", op, path), 3)
          end
          padding[d] = total // 2
        end
      end
      stages[#stages + 1] = {kind = "conv", source = path, weight = m.weight:detach():clone(),
        bias = m.bias and m.bias:detach():clone() or torch.zeros(m.out_channels), relu = false,
        stride = pair(m.stride), padding = pair(padding), dilation = pair(m.dilation), groups = m.groups}
    elseif class == nn.Linear then
      stages[#stages + 1] = {kind = "linear", source = path, weight = m.weight:detach():clone(),
        bias = m.bias and m.bias:detach():clone() or torch.zeros(m.out_features), relu = false}
    elseif class == nn.BatchNorm2d then
      local s = stages[#stages]
      if s == nil or s.kind ~= "conv" or s.relu then
        error(string.format("[%s] BatchNorm2d at \"%s\" must directly follow a Conv2d to be folded", op, path), 3)
      end
      if not m.track_running_stats then
        error(string.format("[%s] BatchNorm2d at \"%s\" has no running statistics to fold", op, path), 3)
      end
      -- w' = w * gamma / sqrt(var + eps);  b' = (b - mean) * gamma / sqrt(var + eps) + beta
      local inv = (m.running_var:detach():double() + m.eps):rsqrt()
      if m.affine then inv = inv * m.weight:detach():double() end
      local beta = m.affine and m.bias:detach():double() or torch.zeros(m.num_features, {dtype = "float64"})
      local shape = {m.num_features, 1, 1, 1}
      s.weight = (s.weight:double() * inv:reshape(shape)):float()
      s.bias = ((s.bias:double() - m.running_mean:detach():double()) * inv + beta):float()
      s.source = s.source .. "+" .. path
    elseif class == nn.ReLU then
      last_compute(path, "ReLU").relu = true
    elseif class == nn.MaxPool2d then
      if m.ceil_mode or m.return_indices or (m.dilation ~= 1 and (pair(m.dilation)[1] ~= 1 or pair(m.dilation)[2] ~= 1)) then
        error(string.format("[%s] MaxPool2d at \"%s\": ceil_mode, return_indices and dilation are not supported", op, path), 3)
      end
      stages[#stages + 1] = {kind = "pool", source = path, kernel_size = pair(m.kernel_size), stride = pair(m.stride),
        padding = pair(m.padding)}
    elseif class == nn.Flatten then
      stages[#stages + 1] = {kind = "flatten", source = path, start_dim = m.start_dim, end_dim = m.end_dim}
    elseif class == nn.Dropout or class == nn.Identity then
      -- inference no-ops
    else
      error(string.format("[%s] unsupported layer %s at \"%s\" (supported: %s)", op, m.__name, path, SUPPORTED), 3)
    end
  end
  return stages
end

--- Float forward of one stage (what the quantized layer approximates).
function M.run_stage(s, x)
  local y
  if s.kind == "conv" then
    y = F.conv2d(x, s.weight, s.bias, {stride = s.stride, padding = s.padding, dilation = s.dilation, groups = s.groups})
  elseif s.kind == "linear" then y = F.linear(x, s.weight, s.bias)
  elseif s.kind == "pool" then return F.max_pool2d(x, s.kernel_size, {stride = s.stride, padding = s.padding})
  else return x:flatten(s.start_dim, s.end_dim) end
  if s.relu then y = torch.relu(y) end
  return y
end

--- Calls fn(x) for every batch of a calibration source; returns the number of batches.
function M.each_batch(source, fn, op)
  op = op or "deploy.quantize"
  local count = 0
  local function take(b, where)
    if torch.is_tensor(b) then fn(b)
    elseif type(b) == "table" and torch.is_tensor(b[1]) then fn(b[1])
    else error(string.format("[%s] calibration batch %s is a %s; expected a tensor or {x, y}", op, where, type(b)), 4) end
    count = count + 1
  end
  if source == nil then
    error(string.format("[%s] option calibrate is required (a list of input batches or a DataLoader)", op), 3)
  elseif torch.is_tensor(source) then take(source, "1")
  elseif type(source) == "function" then
    for b in source do take(b, tostring(count + 1)) end
  elseif type(source) == "table" and type(source.iter) == "function" then
    for b in source:iter() do take(b, tostring(count + 1)) end
  elseif type(source) == "table" then
    for i, b in ipairs(source) do take(b, tostring(i)) end
  else
    error(string.format("[%s] option calibrate must be batches, a DataLoader or an iterator; got %s", op, type(source)), 3)
  end
  if count == 0 then error(string.format("[%s] empty calibration set: no batches to observe", op), 3) end
  return count
end

local OPTIONS = {calibrate = true, per_channel = true, observer = true, averaging_constant = true, percentile = true}

--- The int8 model for `stages` with activation parameters from `act` (act[0] = input, act[i] = output
--- of compute stage i as {scale, zero_point}).
function M.build(stages, input_qp, output_qp, per_channel)
  local children = {M.Quantize({scale = input_qp[1], zero_point = input_qp[2]})}
  children[1].source = "input"
  local current = input_qp
  for i, s in ipairs(stages) do
    local layer
    if s.kind == "conv" or s.kind == "linear" then
      local out = output_qp[i]
      local w = s.weight:float()
      local scales = deploy_internal.weight_scales(w, per_channel)
      local weight_q = deploy_internal.quantize_weight(w, scales)
      local bias_values, ws = s.bias:double():totable(), scales:double():totable()
      local bias_q = {}
      for o, b in ipairs(bias_values) do
        local v = round_even(b / (current[1] * (ws[o] or ws[1])))
        bias_q[o] = math.max(math.min(v, 2147483647), -2147483648)
      end
      local fields = {weight_q = weight_q, weight_scale = scales, bias_q = torch.tensor(bias_q, {dtype = "int32"}),
        input_scale = current[1], input_zero_point = current[2], output_scale = out[1], output_zero_point = out[2],
        relu = s.relu}
      if s.kind == "conv" then
        fields.stride, fields.padding, fields.dilation, fields.groups = s.stride, s.padding, s.dilation, s.groups
        layer = M.QConv2d(fields)
      else
        layer = M.QLinear(fields)
      end
      current = out
    elseif s.kind == "pool" then
      layer = M.QMaxPool2d({kernel_size = s.kernel_size, stride = s.stride, padding = s.padding})
    else
      layer = M.QFlatten({start_dim = s.start_dim, end_dim = s.end_dim})
    end
    layer.source = s.source
    children[#children + 1] = layer
  end
  children[#children + 1] = M.Dequantize({scale = current[1], zero_point = current[2]})
  children[#children].source = "output"
  return M.QuantizedSequential(table.unpack(children))
end

function M.quantize(model, options)
  local op = "deploy.quantize"
  options = options or {}
  if type(options) ~= "table" then error("[deploy.quantize] options must be a table", 2) end
  for k in pairs(options) do
    if not OPTIONS[k] then error(string.format("[%s] unknown option \"%s\"", op, tostring(k)), 2) end
  end
  local stages = M.fold(model, op)
  local kind = options.observer or "minmax"
  local obs_opts = {averaging_constant = options.averaging_constant, percentile = options.percentile}
  local input_obs = Observer(kind, obs_opts)
  local observers = {}
  for i, s in ipairs(stages) do
    if s.kind == "conv" or s.kind == "linear" then observers[i] = Observer(kind, obs_opts) end
  end
  torch.no_grad(function()
    M.each_batch(options.calibrate, function(x)
      x = x:float()
      input_obs:update(x)
      for i, s in ipairs(stages) do
        x = M.run_stage(s, x)
        if observers[i] then observers[i]:update(x) end
      end
    end, op)
  end)
  local input_qp = {input_obs:affine_params()}
  local output_qp = {}
  for i, o in pairs(observers) do output_qp[i] = {o:affine_params()} end
  local qmodel = M.build(stages, input_qp, output_qp, options.per_channel ~= false)
  qmodel:eval()
  return qmodel
end

--- The float64 emulation of a quantized model (same as qmodel:forward_reference(x)).
function M.simulate(qmodel, x)
  if not nn.is_module(qmodel) or not qmodel.forward_reference then
    error("[deploy.simulate] expected a quantized model (from deploy.quantize or deploy.convert)", 2)
  end
  return qmodel:forward_reference(x)
end

--- Per-layer agreement of the int8 kernels with the float64 emulation (see QuantizedSequential:compare).
function M.compare(qmodel, x)
  return qmodel:compare(x)
end

return M
