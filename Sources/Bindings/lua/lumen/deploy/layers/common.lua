-- Shared pieces of the quantized layer classes (lumen/deploy/layers/*.lua).
local common = {}

local TENSOR_FIELDS = {weight_q = true, bias_q = true, weight_scale = true}

--- Copies `fields` into a new layer: weight_q / bias_q / weight_scale become buffers (so they are
--- in the state dict), everything else a plain field.
function common.assign(self, fields)
  for k, v in pairs(fields or {}) do
    if TENSOR_FIELDS[k] then self:register_buffer(k, v) else self[k] = v end
  end
end

--- "{h, w}" fields as a pair table.
function common.pair(v)
  if type(v) == "table" then return {v[1], v[2] or v[1]} end
  return {v, v}
end

function common.pair_string(v)
  local p = common.pair(v)
  return "(" .. p[1] .. ", " .. p[2] .. ")"
end

--- Float64 real values of an int8 activation: scale * (q - zero_point).
function common.dequantize64(q, scale, zero_point)
  return (q:double() - zero_point) * scale
end

--- Per-output-channel float64 weights: weight_q * weight_scale[o] (one scale broadcasts).
function common.real_weight(self)
  local shape = {self.weight_q:size(1)}
  for _ = 2, self.weight_q:dim() do shape[#shape + 1] = 1 end
  local scales = self.weight_scale:double()
  if scales:numel() > 1 then scales = scales:reshape(shape) end
  return self.weight_q:double() * scales
end

--- Float64 bias: bias_q * input_scale * weight_scale[o].
function common.real_bias(self)
  if self.bias_q == nil then return nil end
  return self.bias_q:double() * (self.weight_scale:double() * self.input_scale)
end

--- Quantizes float64 outputs with round-half-to-even (ReLU applied first when fused).
function common.requantize_reference(self, y)
  if self.relu then y = torch.relu(y) end
  return deploy_internal.quantize(y, self.output_scale, self.output_zero_point)
end

function common.check_int8(op, x)
  if not torch.is_tensor(x) or x.dtype ~= "int8" then
    error(string.format("[%s] expected an int8 tensor (quantized activations); got %s", op,
      torch.is_tensor(x) and x.dtype or type(x)), 3)
  end
end

return common
