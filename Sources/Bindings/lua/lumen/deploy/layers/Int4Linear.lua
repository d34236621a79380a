-- deploy.Int4Linear: weight-only INT4 Linear. The (out, in) weight is stored packed two values per
-- byte (uint8 (out, ceil(in/2)), low nibble first) with one float32 scale per group of group_size
-- inputs of a row (scales (out, ceil(in/group_size)), symmetric [-8, 7]); forward dequantizes each
-- row on the fly and multiplies with the float input. Built by deploy.quantize_int4.
local nn = require "lumen.nn"

local Int4Linear = nn.Module:extend("Int4Linear")

function Int4Linear.from_float(linear, group_size)
  local packed, scales = deploy_internal.int4_pack(linear.weight:detach():float(), group_size)
  return Int4Linear({packed = packed, scales = scales, in_features = linear.in_features, group_size = group_size,
    bias = linear.bias and linear.bias:detach():float():clone() or nil})
end

function Int4Linear:init(fields)
  fields = fields or {}
  self:register_buffer("packed", fields.packed)
  self:register_buffer("scales", fields.scales)
  self:register_buffer("bias", fields.bias)
  self.in_features, self.group_size = fields.in_features, fields.group_size
  if self.packed then self.out_features = self.packed:size(1) end
end

--- The float weight the packed one stands for.
function Int4Linear:dequantized_weight()
  return deploy_internal.int4_unpack(self.packed, self.scales, self.in_features, self.group_size)
end

function Int4Linear:forward(x)
  return deploy_internal.int4_linear(x, self.packed, self.scales, self.in_features, self.group_size, self.bias)
end

function Int4Linear:extra_repr()
  return string.format("in_features=%d, out_features=%d, dtype=int4, group_size=%d", self.in_features,
    self.out_features, self.group_size)
end

return Int4Linear
