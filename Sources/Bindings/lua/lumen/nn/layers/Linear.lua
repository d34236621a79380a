-- nn.Linear(in_features, out_features, {bias = true, dtype = "float32"}): y = x W^T + b.
-- weight: (out, in), bias: (out); both U(-1/sqrt(in), 1/sqrt(in)) as PyTorch
-- (kaiming_uniform_ with a = sqrt(5)). x: (*, in) → (*, out).
local nn = require "lumen.nn"

local Linear = nn.Module:extend("Linear")

function Linear:init(in_features, out_features, opts)
  local n_in, n_out = math.tointeger(in_features), math.tointeger(out_features)
  if n_in == nil or n_out == nil or n_in < 0 or n_out < 0 then
    error(string.format("[Linear] expected integer sizes (in_features, out_features); got %s, %s",
      tostring(in_features), tostring(out_features)), 3)
  end
  in_features, out_features = n_in, n_out
  opts = opts or {}
  local dtype = opts.dtype or "float32"
  self.in_features, self.out_features = in_features, out_features
  self.weight = nn.Parameter(torch.zeros(out_features, in_features, {dtype = dtype}))
  if opts.bias ~= false then self.bias = nn.Parameter(torch.zeros(out_features, {dtype = dtype})) end
  self:reset_parameters()
end

function Linear:reset_parameters()
  nn.init.kaiming_uniform_(self.weight, {a = math.sqrt(5)})
  if self.bias ~= nil then
    local bound = self.in_features > 0 and 1 / math.sqrt(self.in_features) or 0
    nn.init.uniform_(self.bias, -bound, bound)
  end
end

function Linear:forward(x)
  return nn.functional.linear(x, self.weight, self.bias)
end

--- Multiply-adds of one forward (for nn.utils.summary).
function Linear:flops(_, output)
  return output:numel() * self.in_features
end

function Linear:extra_repr()
  return string.format("in_features=%d, out_features=%d, bias=%s", self.in_features, self.out_features,
    tostring(self.bias ~= nil))
end

return Linear
