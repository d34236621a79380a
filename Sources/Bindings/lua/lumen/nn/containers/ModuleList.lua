-- nn.ModuleList({m1, m2, ...}): holds modules (named 1, 2, ...) so their parameters register;
-- index it (list[2]), take its length (#list) or iterate (ipairs(list)). No forward.
local nn = require "lumen.nn"

local ModuleList = nn.Module:extend("ModuleList")

function ModuleList:init(modules)
  if modules ~= nil and type(modules) ~= "table" then
    error("[ModuleList] expected a table of modules; got " .. type(modules), 3)
  end
  for i, m in ipairs(modules or {}) do
    if not nn.is_module(m) then error(string.format("[ModuleList] element %d is a %s; expected a module", i, type(m)), 3) end
    self:append(m)
  end
end

--- Appends a module; returns self.
function ModuleList:append(module)
  if not nn.is_module(module) then error("[ModuleList] append expects a module; got " .. type(module), 2) end
  self[#self._modules + 1] = module
  return self
end

function ModuleList:__len()
  return #self._modules
end

function ModuleList:forward()
  error("[ModuleList] is not callable; iterate it and call its modules", 2)
end

return ModuleList
