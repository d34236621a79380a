-- deploy.DynamicLinear: a Linear with int8 weights (symmetric, per output channel) whose input is
-- quantized per call from its own min/max (affine int8); the product runs in the int8 GEMM and the
-- result is scaled back to float32 with the float bias added. Built by deploy.quantize_dynamic.
--   fields: weight_q int8 (out, in), weight_scale float32 (out), bias float32 (out) or nil
local nn = require "lumen.nn"

local DynamicLinear = nn.Module:extend("DynamicLinear")

--- From a float nn.Linear.
function DynamicLinear.from_float(linear, per_channel)
  local w = linear.weight:detach():float()
  local scales = deploy_internal.weight_scales(w, per_channel ~= false)
  return DynamicLinear({weight_q = deploy_internal.quantize_weight(w, scales), weight_scale = scales,
    bias = linear.bias and linear.bias:detach():float():clone() or nil})
end

function DynamicLinear:init(fields)
  fields = fields or {}
  self:register_buffer("weight_q", fields.weight_q)
  self:register_buffer("weight_scale", fields.weight_scale)
  self:register_buffer("bias", fields.bias)
  if self.weight_q then self.in_features, self.out_features = self.weight_q:size(2), self.weight_q:size(1) end
end

function DynamicLinear:forward(x)
  return deploy_internal.dynamic_linear(x, self)
end

function DynamicLinear:extra_repr()
  return string.format("in_features=%d, out_features=%d, dtype=int8, dynamic", self.in_features, self.out_features)
end

return DynamicLinear
