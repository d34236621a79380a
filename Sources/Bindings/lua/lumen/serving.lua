-- lumen.serving: the Lua half of `lumen serve`. Each server worker (one Lua state on its own
-- thread) loads the model file with `load` and calls the returned `forward` once per batch.
--
-- A model file returns either a module or a table describing it:
--
--   return nn.Sequential(...)                                  -- inputs/outputs found at start-up
--   return {
--     model = net,                                            -- an nn.Module (required)
--     preprocess = function(x) return (x - 0.5) / 0.5 end,    -- batched inputs -> model inputs
--     postprocess = function(y) return {probs = torch.softmax(y, 2)} end, -- model output -> outputs
--     inputs = {{name = "map", shape = {-1, 1, 32, 32}, datatype = "FP32"}},  -- -1: any size
--     outputs = {{name = "probs", shape = {-1, 9}, datatype = "FP32"}},
--   }
--
-- Every tensor passed in or out has the batch as its first dim (requests are concatenated along
-- dim 1 and the outputs cut back along it). postprocess (or the model) returns a tensor, an
-- array of tensors, or a table of name -> tensor.
local json = require "lumen.json"
local M = {}

local DATATYPES = {FP32 = true, FP64 = true, INT64 = true, INT32 = true, INT8 = true, UINT8 = true, BOOL = true}

-- Checks the `inputs`/`outputs` list of a model table; returns a clean copy.
local function check_tensor_list(list, field, path)
  if list == nil then return nil end
  if type(list) ~= "table" or #list == 0 then
    error(string.format("[serve] %s: `%s` must be a non-empty array of {name=, shape=, datatype=}; got %s",
      path, field, type(list)), 0)
  end
  local out, seen = {}, {}
  for i, spec in ipairs(list) do
    local where = string.format("%s: %s[%d]", path, field, i)
    if type(spec) ~= "table" then error(string.format("[serve] %s must be a table; got %s", where, type(spec)), 0) end
    if type(spec.name) ~= "string" or spec.name == "" then
      error(string.format("[serve] %s needs a name (a non-empty string)", where), 0)
    end
    if seen[spec.name] then error(string.format("[serve] %s: the name \"%s\" is used twice", where, spec.name), 0) end
    seen[spec.name] = true
    local datatype = spec.datatype or "FP32"
    if not DATATYPES[datatype] then
      error(string.format("[serve] %s: unknown datatype \"%s\" (expected FP32, FP64, INT64, INT32, INT8, UINT8 or BOOL)",
        where, tostring(datatype)), 0)
    end
    local shape = {}
    if spec.shape ~= nil then
      if type(spec.shape) ~= "table" or #spec.shape == 0 then
        error(string.format("[serve] %s: shape must be an array such as {-1, 1, 32, 32} (-1 for the batch)", where), 0)
      end
      for k, d in ipairs(spec.shape) do
        if math.type(d) ~= "integer" or (d < 1 and d ~= -1) then
          error(string.format("[serve] %s: shape element %d must be a positive integer or -1; got %s", where, k, tostring(d)), 0)
        end
        shape[k] = d
      end
    end
    out[i] = {name = spec.name, datatype = datatype, shape = shape}
  end
  return out
end

-- The model table of a model file's return value.
local function model_table(value, path)
  if nn.is_module(value) then return {model = value} end
  if type(value) ~= "table" or not nn.is_module(value.model) then
    local got = type(value) == "table" and "a table without a module in `model`" or type(value)
    error(string.format("[serve] %s must return an nn.Module or a table {model = <nn.Module>, ...}; it returned %s",
      path, got), 0)
  end
  for _, name in ipairs({"preprocess", "postprocess"}) do
    if value[name] ~= nil and type(value[name]) ~= "function" then
      error(string.format("[serve] %s: `%s` must be a function; got %s", path, name, type(value[name])), 0)
    end
  end
  return value
end

-- Flattens a forward result into parallel arrays of names and tensors.
local function collect_outputs(result, declared)
  local names, tensors = {}, {}
  if torch.is_tensor(result) then
    names[1], tensors[1] = declared and declared[1].name or "output", result
  elseif type(result) == "table" and #result > 0 then
    for i, t in ipairs(result) do
      if not torch.is_tensor(t) then error(string.format("[serve] output %d is a %s; expected a tensor", i, type(t)), 0) end
      names[i] = declared and declared[i] and declared[i].name or ("output_" .. i)
      tensors[i] = t
    end
  elseif type(result) == "table" then
    local keys = {}
    if declared then
      for i, spec in ipairs(declared) do keys[i] = spec.name end
    else
      for k in pairs(result) do keys[#keys + 1] = tostring(k) end
      table.sort(keys)
    end
    for i, k in ipairs(keys) do
      local t = result[k]
      if not torch.is_tensor(t) then
        error(string.format("[serve] output \"%s\" is a %s; expected a tensor", k, type(t)), 0)
      end
      names[i], tensors[i] = k, t
    end
  end
  if #tensors == 0 then
    error("[serve] the model returned " .. type(result) .. "; expected a tensor, an array of tensors or a table of name -> tensor", 0)
  end
  if declared and #tensors ~= #declared then
    error(string.format("[serve] the model returned %d outputs; the model file declares %d", #tensors, #declared), 0)
  end
  return names, tensors
end

--- Loads model file `path` (and safetensors `weights`, when given) in eval mode. Returns
--- `forward(...)` (batched input tensors -> names, tensors; runs under no_grad) and the declared
--- signature as JSON text ({"inputs": [...], "outputs": [...]}, either possibly absent).
function M.load(path, weights)
  local chunk, err = loadfile(path)
  if not chunk then error("[serve] " .. tostring(err), 0) end
  local spec = model_table(chunk(), path)
  local inputs = check_tensor_list(spec.inputs, "inputs", path)
  local outputs = check_tensor_list(spec.outputs, "outputs", path)
  if weights then
    local ok, load_err = pcall(function() spec.model:load_state_dict(torch.load(weights)) end)
    if not ok then error(string.format("[serve] weights %s: %s", weights, tostring(load_err)), 0) end
  end
  local model, pre, post = spec.model, spec.preprocess, spec.postprocess
  model:eval()

  local function run(...)
    local args = table.pack(...)
    if pre then args = table.pack(pre(...)) end
    local result = model(table.unpack(args, 1, args.n))
    if post then result = post(result) end
    return collect_outputs(result, outputs)
  end
  local function forward(...)
    return torch.no_grad(run, ...)
  end

  local signature = {}
  if inputs then signature.inputs = inputs end
  if outputs then signature.outputs = outputs end
  return forward, json.encode(signature)
end

return M
