-- deploy.save(qmodel, path) / deploy.load(path): quantized models as safetensors.
-- Tensors keep their dtypes (weight_q int8, bias_q int32, weight_scale float32) under "<child>.<field>";
-- the layer list and every non-tensor field go in the metadata:
--   lumen.deploy.format = "quantized_sequential/1"
--   lumen.deploy.layers = JSON array of {class = "QConv2d", fields = {input_scale = ..., stride = {1, 1}, ...}}
-- Scales are stored with 17 significant digits, so a loaded model computes the same integers.
local json = require "lumen.json"

local M = {}
local FORMAT = "quantized_sequential/1"
local TENSOR_FIELDS = {"weight_q", "bias_q", "weight_scale"}

local function classes()
  local deploy = require "lumen.deploy"
  return {Quantize = deploy.Quantize, Dequantize = deploy.Dequantize, QLinear = deploy.QLinear, QConv2d = deploy.QConv2d,
    QMaxPool2d = deploy.QMaxPool2d, QFlatten = deploy.QFlatten}
end

local PLAIN_FIELDS = {"scale", "zero_point", "input_scale", "input_zero_point", "output_scale", "output_zero_point", "relu",
  "stride", "padding", "dilation", "groups", "kernel_size", "start_dim", "end_dim", "source"}

function M.save(qmodel, path)
  local op = "deploy.save"
  if not nn.is_module(qmodel) or qmodel.forward_reference == nil then
    error("[deploy.save] expected a quantized model (from deploy.quantize or deploy.convert)", 2)
  end
  if type(path) ~= "string" then error("[deploy.save] expected a file path; got " .. type(path), 2) end
  local known = classes()
  local tensors, layers = {}, {}
  for i, m in ipairs(qmodel:children()) do
    if known[m.__name] == nil then error(string.format("[%s] child %d (%s) is not a quantized layer", op, i, m.__name), 2) end
    local fields = {}
    for _, k in ipairs(PLAIN_FIELDS) do
      local v = rawget(m, k)
      if type(v) == "number" then fields[k] = string.format("%.17g", v) else fields[k] = v end
    end
    layers[i] = {class = m.__name, fields = fields}
    local own = {}
    for _, k in ipairs(TENSOR_FIELDS) do
      if torch.is_tensor(rawget(m, k)) then own[k] = rawget(m, k) end
    end
    if next(own) then tensors[tostring(i)] = own end
  end
  if next(tensors) == nil then tensors["_"] = torch.zeros(0) end
  torch.save(path, tensors, {["lumen.deploy.format"] = FORMAT, ["lumen.deploy.layers"] = json.encode(layers)})
end

function M.load(path)
  local op = "deploy.load"
  local tensors, metadata = torch.load(path)
  if metadata["lumen.deploy.format"] ~= FORMAT then
    error(string.format("[%s] %s is not a quantized model (metadata lumen.deploy.format = %s, expected %s)", op, path,
      tostring(metadata["lumen.deploy.format"]), FORMAT), 2)
  end
  local known = classes()
  local layers = json.decode(metadata["lumen.deploy.layers"])
  local children = {}
  for i, spec in ipairs(layers) do
    local class = known[spec.class]
    if class == nil then error(string.format("[%s] unknown layer class %s in %s", op, tostring(spec.class), path), 2) end
    local fields = {}
    for k, v in pairs(spec.fields or {}) do
      if type(v) == "string" and k ~= "source" then v = tonumber(v) end
      if type(v) == "number" and math.type(v) == "float" and v == math.floor(v) and (k:match("zero_point") or k == "groups"
        or k:match("_dim")) then v = math.tointeger(v) end
      fields[k] = v
    end
    for _, k in ipairs(TENSOR_FIELDS) do fields[k] = tensors[i .. "." .. k] end
    local layer = class(fields)
    layer.source = fields.source
    children[i] = layer
  end
  local qmodel = require("lumen.deploy").QuantizedSequential(table.unpack(children))
  qmodel:eval()
  return qmodel
end

return M
