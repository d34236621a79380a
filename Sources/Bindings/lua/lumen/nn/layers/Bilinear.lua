-- nn.Bilinear(in1_features, in2_features, out_features, {bias = true, dtype}):
-- y_o = x1^T W_o x2 + b_o. weight: (out, in1, in2), bias: (out), both U(-1/sqrt(in1), 1/sqrt(in1)).
local nn = require "lumen.nn"

local Bilinear = nn.Module:extend("Bilinear")

function Bilinear:init(in1_features, in2_features, out_features, opts)
  local sizes = {in1_features, in2_features, out_features}
  for i = 1, 3 do
    local v = math.tointeger(sizes[i])
    if v == nil or v < 1 then
      error(string.format("[Bilinear] size %d must be a positive integer; got %s", i, tostring(sizes[i])), 3)
    end
    sizes[i] = v
  end
  in1_features, in2_features, out_features = sizes[1], sizes[2], sizes[3]
  opts = opts or {}
  local dtype = opts.dtype or "float32"
  self.in1_features, self.in2_features, self.out_features = in1_features, in2_features, out_features
  self.weight = nn.Parameter(torch.zeros(out_features, in1_features, in2_features, {dtype = dtype}))
  if opts.bias ~= false then self.bias = nn.Parameter(torch.zeros(out_features, {dtype = dtype})) end
  self:reset_parameters()
end

function Bilinear:reset_parameters()
  local bound = 1 / math.sqrt(self.in1_features)
  nn.init.uniform_(self.weight, -bound, bound)
  if self.bias ~= nil then nn.init.uniform_(self.bias, -bound, bound) end
end

function Bilinear:forward(x1, x2)
  return nn.functional.bilinear(x1, x2, self.weight, self.bias)
end

--- Multiply-adds of one forward (for nn.utils.summary).
function Bilinear:flops(_, output)
  return output:numel() * self.in1_features * self.in2_features
end

function Bilinear:extra_repr()
  return string.format("in1_features=%d, in2_features=%d, out_features=%d, bias=%s", self.in1_features,
    self.in2_features, self.out_features, tostring(self.bias ~= nil))
end

return Bilinear
