-- nn.Loss: base class of the loss modules. A loss module stores its options and calls the
-- nn.functional loss named by `functional` with `arity` tensors and its options table:
--   local MSELoss = nn.Loss:extend("MSELoss"); MSELoss.functional = "mse_loss"
-- Class fields: defaults (option -> default), optional (options that may be nil),
-- tensors (tensor options, kept as buffers so they follow :to() and the state dict).
local nn = require "lumen.nn"

local Loss = nn.Module:extend("Loss")
Loss.defaults = {reduction = "mean"}
Loss.optional = {}
Loss.tensors = {}
Loss.arity = 2

function Loss:init(opts)
  opts = opts or {}
  if type(opts) ~= "table" then error(string.format("[%s] expected an options table; got %s", self.__name, type(opts)), 3) end
  local known = {}
  for k in pairs(self.defaults) do known[k] = true end
  for _, k in ipairs(self.optional) do known[k] = true end
  for _, k in ipairs(self.tensors) do known[k] = true end
  for k in pairs(opts) do
    if not known[k] then error(string.format("[%s] unknown option \"%s\"", self.__name, tostring(k)), 3) end
  end
  for k, v in pairs(self.defaults) do
    if opts[k] == nil then self[k] = v else self[k] = opts[k] end
  end
  for _, k in ipairs(self.optional) do self[k] = opts[k] end
  for _, k in ipairs(self.tensors) do self:register_buffer(k, opts[k]) end
end

--- The options table passed to the functional loss.
function Loss:options()
  local o = {}
  for k in pairs(self.defaults) do o[k] = self[k] end
  for _, k in ipairs(self.optional) do o[k] = self[k] end
  for _, k in ipairs(self.tensors) do o[k] = self[k] end
  return o
end

function Loss:forward(...)
  local fn = nn.functional[self.functional]
  if fn == nil then error(string.format("[%s] has no functional loss", self.__name), 2) end
  local args = table.pack(...)
  args[self.arity + 1] = self:options()
  return fn(table.unpack(args, 1, self.arity + 1))
end

return Loss
