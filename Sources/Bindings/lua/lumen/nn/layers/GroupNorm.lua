-- nn.GroupNorm(num_groups, num_channels, {eps = 1e-5, affine = true, dtype}): splits the
-- channels of (N, C, ...) input into num_groups groups and normalizes each (sample, group)
-- over its channels and trailing dims; per-channel weight (ones) and bias (zeros). Independent
-- of the batch size, so it behaves the same in training and eval.
--   nn.GroupNorm(4, 32)                          (N,32,H,W) -> (N,32,H,W)
local nn = require "lumen.nn"
local options = require "lumen.nn.functional.options"

local GroupNorm = nn.Module:extend("GroupNorm")

function GroupNorm:init(num_groups, num_channels, opts)
  local g, c = math.tointeger(num_groups), math.tointeger(num_channels)
  if g == nil or c == nil or g < 1 or c < 1 or c % g ~= 0 then
    error(string.format("[GroupNorm] num_channels (%s) must be a positive multiple of num_groups (%s)",
      tostring(num_channels), tostring(num_groups)), 3)
  end
  local o = options.read("GroupNorm", opts, {eps = 1e-5, affine = true, dtype = "float32"})
  self.num_groups, self.num_channels, self.eps, self.affine = g, c, o.eps, o.affine
  if self.affine then
    self.weight = nn.Parameter(torch.ones(c, {dtype = o.dtype}))
    self.bias = nn.Parameter(torch.zeros(c, {dtype = o.dtype}))
  end
end

function GroupNorm:forward(x)
  return nn.functional.group_norm(x, self.num_groups, self.weight, self.bias, {eps = self.eps})
end

function GroupNorm:extra_repr()
  return string.format("%d, %d, eps=%g, affine=%s", self.num_groups, self.num_channels, self.eps, tostring(self.affine))
end

return GroupNorm
