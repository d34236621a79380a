-- nn.Dropout(p = 0.5): in training, zeroes each element with probability p and scales the
-- rest by 1/(1-p) (inverted dropout); in eval mode, the identity.
local nn = require "lumen.nn"

local Dropout = nn.Module:extend("Dropout")

function Dropout:init(p)
  if type(p) == "table" then p = p.p end
  p = p or 0.5
  if type(p) ~= "number" or p < 0 or p > 1 then
    error("[Dropout] p must be a probability in [0, 1]; got " .. tostring(p), 3)
  end
  self.p = p
end

function Dropout:forward(x)
  return nn.functional.dropout(x, {p = self.p, training = self.training})
end

function Dropout:extra_repr()
  return string.format("p=%g", self.p)
end

return Dropout
