-- nn.Flatten(start_dim = 2, end_dim = -1): merges dims start_dim..end_dim (1-based, so the
-- batch dim 1 is kept by default): (N, C, H, W) → (N, C*H*W). Also nn.Flatten({start_dim =, end_dim =}).
local nn = require "lumen.nn"

local Flatten = nn.Module:extend("Flatten")

function Flatten:init(start_dim, end_dim)
  if type(start_dim) == "table" then start_dim, end_dim = start_dim.start_dim, start_dim.end_dim end
  self.start_dim, self.end_dim = start_dim or 2, end_dim or -1
end

function Flatten:forward(x)
  return x:flatten(self.start_dim, self.end_dim)
end

function Flatten:extra_repr()
  return string.format("start_dim=%d, end_dim=%d", self.start_dim, self.end_dim)
end

return Flatten
