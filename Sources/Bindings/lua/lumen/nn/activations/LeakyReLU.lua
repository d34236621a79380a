-- nn.LeakyReLU(negative_slope = 0.01): x for x > 0, negative_slope * x otherwise.
local nn = require "lumen.nn"

local LeakyReLU = nn.Module:extend("LeakyReLU")

function LeakyReLU:init(negative_slope)
  if type(negative_slope) == "table" then negative_slope = negative_slope.negative_slope end
  self.negative_slope = negative_slope or 0.01
end

function LeakyReLU:forward(x)
  return nn.functional.leaky_relu(x, self.negative_slope)
end

function LeakyReLU:extra_repr()
  return string.format("negative_slope=%g", self.negative_slope)
end

return LeakyReLU
