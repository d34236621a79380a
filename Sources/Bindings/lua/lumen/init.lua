-- Lumen's Lua prelude: runs once per state after the Swift bindings are installed.
-- Sets up tensor method lookup, Lua-level torch helpers and the library namespaces.

local registry = debug.getregistry()
local tensor_mt = registry["lumen.Tensor"]
local methods = registry["lumen.Tensor.methods"]
local slow_index = lumen_internal.index

-- x:method() finds methods first (fast path), then properties and indexing in Swift.
tensor_mt.__index = function(t, k)
  local m = methods[k]
  if m ~= nil then return m end
  return slow_index(t, k)
end

torch.Tensor = methods

--- Runs fn(...) with gradient recording off, restoring the previous mode even on error.
function torch.no_grad(fn, ...)
  local previous = torch.is_grad_enabled()
  torch.set_grad_enabled(false)
  local results = table.pack(pcall(fn, ...))
  torch.set_grad_enabled(previous)
  if not results[1] then error(results[2], 0) end
  return table.unpack(results, 2, results.n)
end

--- Runs fn(...) with gradient recording on.
function torch.enable_grad(fn, ...)
  local previous = torch.is_grad_enabled()
  torch.set_grad_enabled(true)
  local results = table.pack(pcall(fn, ...))
  torch.set_grad_enabled(previous)
  if not results[1] then error(results[2], 0) end
  return table.unpack(results, 2, results.n)
end

-- Flattens nested tables of tensors into dotted names (sorted, so files are reproducible).
local function flatten(prefix, value, names, tensors)
  if torch.is_tensor(value) then
    if prefix == "" then prefix = "tensor" end
    names[#names + 1] = prefix
    tensors[#tensors + 1] = value
  elseif type(value) == "table" then
    local keys = {}
    for k in pairs(value) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    for _, k in ipairs(keys) do
      local name = prefix == "" and tostring(k) or (prefix .. "." .. tostring(k))
      flatten(name, value[k], names, tensors)
    end
  else
    error(string.format("[save] value at \"%s\" is a %s; only tensors and (nested) tables of tensors can be saved",
      prefix, type(value)), 3)
  end
end

--- Saves a tensor or a (nested) table of tensors as safetensors; nested keys become dotted names.
function torch.save(path, value, metadata)
  if type(path) ~= "string" then error("[save] expected a file path as first argument; got " .. type(path), 2) end
  local names, tensors = {}, {}
  flatten("", value, names, tensors)
  local meta = {}
  for k, v in pairs(metadata or {}) do meta[k] = v end
  if torch.is_tensor(value) then meta["lumen.format"] = "tensor" end
  lumen_internal.save(path, names, tensors, meta)
end

--- Loads a safetensors file: a flat table of dotted name -> tensor (or the tensor itself if a
--- single tensor was saved), plus the metadata table and the names in file order.
function torch.load(path)
  if type(path) ~= "string" then error("[load] expected a file path; got " .. type(path), 2) end
  local tensors, metadata, names = lumen_internal.load(path)
  if metadata["lumen.format"] == "tensor" and tensors.tensor then return tensors.tensor, metadata, names end
  return tensors, metadata, names
end

--- Dtype aliases as PyTorch spells them: torch.float32 == "float32", ...
for _, name in ipairs({"float32", "float64", "int64", "int32", "int8", "uint8", "bool"}) do torch[name] = name end
torch.float, torch.double, torch.long, torch.int = "float32", "float64", "int64", "int32"

nn = require "lumen.nn"
optim = require "lumen.optim"
hot = require "lumen.hot"
data = require "lumen.data"
metrics = require "lumen.metrics"
envs = require "lumen.envs"
plot = require "lumen.plot"
Trainer = require "lumen.trainer"
text = require "lumen.text"
deploy = require "lumen.deploy"

do local g = require "lumen.datagen"; data = data or {}; for k, v in pairs(g) do data[k] = v end end
