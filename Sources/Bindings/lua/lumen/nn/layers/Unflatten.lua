-- nn.Unflatten(dim, sizes): splits dim (1-based) into sizes: Unflatten(2, {2, 5}) maps
-- (N, 10) → (N, 2, 5). One size may be -1.
local nn = require "lumen.nn"

local Unflatten = nn.Module:extend("Unflatten")

function Unflatten:init(dim, sizes)
  if math.type(dim) ~= "integer" or dim == 0 or type(sizes) ~= "table" then
    error("[Unflatten] expected a dim (1-based) and a table of sizes, e.g. nn.Unflatten(2, {2, 5})", 3)
  end
  self.dim, self.sizes = dim, sizes
end

function Unflatten:forward(x)
  local shape = x:size()
  local d = self.dim < 0 and #shape + 1 + self.dim or self.dim
  if d < 1 or d > #shape then
    error(string.format("[Unflatten] dim %d out of range for input of shape (%s)", self.dim, table.concat(shape, ",")), 2)
  end
  local out = {}
  for i = 1, d - 1 do out[#out + 1] = shape[i] end
  for _, s in ipairs(self.sizes) do out[#out + 1] = s end
  for i = d + 1, #shape do out[#out + 1] = shape[i] end
  return x:reshape(out)
end

function Unflatten:extra_repr()
  return string.format("dim=%d, unflattened_size=(%s)", self.dim, table.concat(self.sizes, ", "))
end

return Unflatten
