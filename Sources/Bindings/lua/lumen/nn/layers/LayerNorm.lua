-- nn.LayerNorm(normalized_shape, {eps = 1e-5, elementwise_affine = true, bias = true, dtype}):
-- normalizes over the trailing dims given by normalized_shape (a number or a table of sizes);
-- weight (ones) and bias (zeros) have shape normalized_shape.
local nn = require "lumen.nn"

local LayerNorm = nn.Module:extend("LayerNorm")

function LayerNorm:init(normalized_shape, opts)
  local shape = type(normalized_shape) == "number" and {normalized_shape} or normalized_shape
  if type(shape) ~= "table" or #shape == 0 then
    error("[LayerNorm] normalized_shape must be a size or a table of sizes; got " .. tostring(normalized_shape), 3)
  end
  opts = opts or {}
  local dtype = opts.dtype or "float32"
  self.normalized_shape = shape
  self.eps = opts.eps or 1e-5
  self.elementwise_affine = opts.elementwise_affine ~= false
  if self.elementwise_affine then
    self.weight = nn.Parameter(torch.ones(shape, {dtype = dtype}))
    if opts.bias ~= false then self.bias = nn.Parameter(torch.zeros(shape, {dtype = dtype})) end
  end
end

function LayerNorm:forward(x)
  return nn.functional.layer_norm(x, self.normalized_shape, self.weight, self.bias, {eps = self.eps})
end

function LayerNorm:extra_repr()
  local shape = #self.normalized_shape == 1 and self.normalized_shape[1] .. "," or table.concat(self.normalized_shape, ", ")
  return string.format("(%s), eps=%g, elementwise_affine=%s", shape, self.eps,
    tostring(self.elementwise_affine))
end

return LayerNorm
