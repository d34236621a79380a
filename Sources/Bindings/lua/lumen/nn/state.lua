-- State dicts and dtype moves for nn.Module (methods added to the Module class).
--
--   local sd = net:state_dict()            -- "fc1.weight" -> tensor; net:state_dict_keys() in order
--   torch.save("net.safetensors", sd)
--   local missing, unexpected = net:load_state_dict(torch.load("net.safetensors"), {strict = false})
local Module = require "lumen.nn.Module"
local parameter = require "lumen.nn.parameter"
local utils = require "lumen.nn.utils"

-- {name, tensor} of parameters then persistent buffers, per module in pre-order (PyTorch's order).
local function entries(self)
  local out = {}
  for _, pair in ipairs(self:named_modules()) do
    local prefix, m = pair[1], pair[2]
    local function add(key, v)
      out[#out + 1] = {prefix == "" and tostring(key) or (prefix .. "." .. tostring(key)), v}
    end
    for _, key in ipairs(m._parameters) do
      local p = rawget(m, key)
      if parameter.is_parameter(p) then add(key, p) end
    end
    for _, key in ipairs(m._buffers) do
      local b = rawget(m, key)
      if torch.is_tensor(b) and not m._non_persistent[key] then add(key, b) end
    end
  end
  return out
end

--- A flat table of dotted name -> tensor (detached, sharing storage with the module): parameters
--- and persistent buffers. One result, so torch.save(path, net:state_dict()) works.
function Module:state_dict()
  local sd = {}
  for _, pair in ipairs(entries(self)) do sd[pair[1]] = pair[2]:detach() end
  return sd
end

--- The state dict's names in model order (per module, pre-order: parameters, then buffers).
function Module:state_dict_keys()
  local names = {}
  for i, pair in ipairs(entries(self)) do names[i] = pair[1] end
  return names
end

local function shape(t)
  return "(" .. table.concat(t:size(), ",") .. ")"
end

--- Copies checkpoint values into the existing tensors (under no_grad, so optimizers keep their
--- references). Returns the missing and unexpected key lists. Any shape mismatch is an error;
--- with `strict` (default true) missing or unexpected keys are errors too. Nothing is copied
--- when an error is raised.
function Module:load_state_dict(sd, options)
  if type(sd) ~= "table" then error("[load_state_dict] expected a table of name -> tensor; got " .. type(sd), 2) end
  local strict = not (type(options) == "table" and options.strict == false)
  local own, known, missing, unexpected = entries(self), {}, {}, {}
  for _, pair in ipairs(own) do
    local name, target = pair[1], pair[2]
    known[name] = true
    local value = sd[name]
    if value == nil then
      missing[#missing + 1] = name
    elseif not torch.is_tensor(value) then
      error(string.format("[load_state_dict] %s: expected a tensor in the checkpoint; got %s", name, type(value)), 2)
    elseif shape(value) ~= shape(target) then
      error(string.format("[load_state_dict] %s: checkpoint has shape %s, model has %s", name, shape(value), shape(target)), 2)
    end
  end
  for name in pairs(sd) do
    if not known[name] then unexpected[#unexpected + 1] = tostring(name) end
  end
  table.sort(unexpected)
  if strict and (#missing > 0 or #unexpected > 0) then
    local parts = {}
    if #missing > 0 then parts[#parts + 1] = "missing keys: " .. table.concat(missing, ", ") end
    if #unexpected > 0 then parts[#parts + 1] = "unexpected keys: " .. table.concat(unexpected, ", ") end
    local hint = "pass {strict = false} to load the matching keys"
    local shifted_all = #unexpected > 0
    for _, name in ipairs(unexpected) do shifted_all = shifted_all and known[utils.shift_indices(name, 1)] == true end
    if shifted_all then
      hint = "the checkpoint counts container children from 0, as PyTorch does; "
        .. "convert it with nn.utils.state_dict_from_pytorch(sd)"
    end
    error(string.format("[load_state_dict] %s for %s (%s)", table.concat(parts, "; "), self.__name, hint), 2)
  end
  torch.no_grad(function()
    for _, pair in ipairs(own) do
      local value = sd[pair[1]]
      if value ~= nil then pair[2]:copy_(value) end
    end
  end)
  return missing, unexpected
end

--- Converts floating-point parameters and buffers to `dtype` (e.g. "float64"); returns self.
--- Parameters are replaced by new tensors: build optimizers after calling this.
function Module:to(dtype)
  if type(dtype) == "table" then dtype = dtype.dtype end
  if type(dtype) ~= "string" then error("[to] expected a dtype name such as \"float64\"", 2) end
  local converted = {}  -- shared (tied) parameters stay shared
  for _, m in ipairs(self:modules()) do
    for _, key in ipairs(m._parameters) do
      local p = rawget(m, key)
      if parameter.is_parameter(p) and p.dtype ~= dtype and p.dtype:match("^float") then
        converted[p] = converted[p] or parameter.Parameter(p:detach():to(dtype), p.requires_grad)
        rawset(m, key, converted[p])
      end
    end
    for _, key in ipairs(m._buffers) do
      local b = rawget(m, key)
      if torch.is_tensor(b) and b.dtype ~= dtype and b.dtype:match("^float") then rawset(m, key, b:to(dtype)) end
    end
  end
  return self
end

function Module:double() return self:to("float64") end
function Module:float() return self:to("float32") end

return Module
