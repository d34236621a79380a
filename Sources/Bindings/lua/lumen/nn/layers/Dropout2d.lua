-- nn.Dropout2d(p = 0.5): in training, zeroes whole channels of (N, C, H, W) input (one draw
-- per sample and channel) with probability p and scales the rest by 1/(1-p); identity in eval.
local nn = require "lumen.nn"

local Dropout2d = nn.Module:extend("Dropout2d")

function Dropout2d:init(p)
  if type(p) == "table" then p = p.p end
  p = p or 0.5
  if type(p) ~= "number" or p < 0 or p > 1 then
    error("[Dropout2d] p must be a probability in [0, 1]; got " .. tostring(p), 3)
  end
  self.p = p
end

function Dropout2d:forward(x)
  return nn.functional.dropout2d(x, {p = self.p, training = self.training})
end

function Dropout2d:extra_repr()
  return string.format("p=%g", self.p)
end

return Dropout2d
