-- nn.ModuleDict({encoder = m1, decoder = m2}): modules by string key (dict.encoder), registered in
-- sorted key order for a table literal (Lua tables have no order), then in insertion order for
-- dict:add(key, m) or dict.key = m. keys() / values() / items() follow that order.
local nn = require "lumen.nn"

local ModuleDict = nn.Module:extend("ModuleDict")

function ModuleDict:init(modules)
  if modules ~= nil and type(modules) ~= "table" then
    error("[ModuleDict] expected a table of name -> module; got " .. type(modules), 3)
  end
  local keys = {}
  for k in pairs(modules or {}) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  for _, k in ipairs(keys) do self:add(k, modules[k]) end
end

--- Adds (or replaces) the module under `key`; returns self.
function ModuleDict:add(key, module)
  if type(key) ~= "string" then error("[ModuleDict] keys must be strings; got " .. type(key), 2) end
  if not nn.is_module(module) then error(string.format("[ModuleDict] \"%s\" is not a module", key), 2) end
  if ModuleDict[key] ~= nil or key:sub(1, 1) == "_" or key == "training" then
    error(string.format("[ModuleDict] key \"%s\" clashes with a module field or method", key), 2)
  end
  self:add_module(key, module)
  return self
end

function ModuleDict:keys()
  local out = {}
  for i, pair in ipairs(self:named_children()) do out[i] = pair[1] end
  return out
end

function ModuleDict:values()
  return self:children()
end

--- {key, module} pairs.
function ModuleDict:items()
  return self:named_children()
end

function ModuleDict:__len()
  return #self._modules
end

function ModuleDict:forward()
  error("[ModuleDict] is not callable; index it and call its modules", 2)
end

return ModuleDict
