-- nn.LogSoftmax(dim = -1): log(softmax(x)) along dim, computed stably.
local nn = require "lumen.nn"

local LogSoftmax = nn.Module:extend("LogSoftmax")

function LogSoftmax:init(dim)
  if type(dim) == "table" then dim = dim.dim end
  self.dim = dim or -1
end

function LogSoftmax:forward(x)
  return nn.functional.log_softmax(x, self.dim)
end

function LogSoftmax:extra_repr()
  return "dim=" .. self.dim
end

return LogSoftmax
