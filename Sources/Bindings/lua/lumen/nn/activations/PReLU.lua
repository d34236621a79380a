-- nn.PReLU(num_parameters = 1, {init = 0.25, dtype}): x for x > 0, a * x otherwise, with a
-- learned slope a (one, or one per channel = dim 2 of the input).
local nn = require "lumen.nn"

local PReLU = nn.Module:extend("PReLU")

function PReLU:init(num_parameters, opts)
  if type(num_parameters) == "table" then num_parameters, opts = nil, num_parameters end
  opts = opts or {}
  num_parameters = num_parameters or 1
  if math.tointeger(num_parameters) == nil or num_parameters < 1 then
    error("[PReLU] num_parameters must be a positive integer; got " .. tostring(num_parameters), 3)
  end
  self.num_parameters = math.tointeger(num_parameters)
  self.init_value = opts.init or 0.25
  self.weight = nn.Parameter(torch.full({self.num_parameters}, self.init_value, {dtype = opts.dtype or "float32"}))
end

function PReLU:forward(x)
  return nn.functional.prelu(x, self.weight)
end

function PReLU:extra_repr()
  return string.format("num_parameters=%d", self.num_parameters)
end

return PReLU
