-- nn.Sequential(m1, m2, ...): runs children in order, each output feeding the next.
-- Children are named 1, 2, ... (seq[2] is the second); errors name the failing child:
-- [Sequential.3 Linear] [matmul] ...
local nn = require "lumen.nn"
local call_child = require "lumen.nn.containers.child_error"

local Sequential = nn.Module:extend("Sequential")

function Sequential:init(...)
  for i = 1, select("#", ...) do
    local m = select(i, ...)
    if not nn.is_module(m) then
      error(string.format("[Sequential] argument %d is a %s; expected a module", i, type(m)), 3)
    end
    self:add(m)
  end
end

--- Appends a module; returns self.
function Sequential:add(module)
  if not nn.is_module(module) then error("[Sequential] add expects a module; got " .. type(module), 2) end
  self[#self._modules + 1] = module
  return self
end
Sequential.append = Sequential.add

function Sequential:__len()
  return #self._modules
end

function Sequential:forward(x)
  for i = 1, #self._modules do
    x = call_child(self, i, rawget(self, i), x)
  end
  return x
end

return Sequential
