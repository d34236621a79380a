-- deploy.FakeQuantize: float → float "fake" int8 quantization for quantization-aware training.
-- In training mode it updates a moving-average min/max observer with each batch and uses the
-- resulting (scale, zero_point); in eval mode it keeps the last ones. Forward value:
--   dequantize(quantize(x))   (round half to even, clamp to [-128, 127])
-- Gradient (straight-through estimator): 1 where x lies inside the representable range
-- [(-128 - zp) * scale, (127 - zp) * scale], 0 outside (the clamp) — built as
--   clamp(x, lo, hi) + (fake(x) - clamp(x, lo, hi)):detach()
local nn = require "lumen.nn"
local Observer = require("lumen.deploy.observers").Observer

local FakeQuantize = nn.Module:extend("FakeQuantize")

--- The STE fake quantization of x with fixed parameters (a function, usable on its own).
function FakeQuantize.fake_quantize(x, scale, zero_point)
  local lo, hi = (-128 - zero_point) * scale, (127 - zero_point) * scale
  local clamped = torch.clamp(x, lo, hi)
  local fake = deploy_internal.dequantize(deploy_internal.quantize(x:detach(), scale, zero_point), scale, zero_point)
  if x.dtype ~= "float32" then fake = fake:to(x.dtype) end
  return clamped + (fake - clamped):detach()
end

function FakeQuantize:init(opts)
  opts = opts or {}
  self.observer_kind = opts.observer or "moving_average"
  self.observer = Observer(self.observer_kind, {averaging_constant = opts.averaging_constant, percentile = opts.percentile})
  self.scale, self.zero_point = nil, nil
end

function FakeQuantize:forward(x)
  if self.training or self.scale == nil then
    self.observer:update(x:detach())
    self.scale, self.zero_point = self.observer:affine_params()
  end
  return FakeQuantize.fake_quantize(x, self.scale, self.zero_point)
end

function FakeQuantize:extra_repr()
  if self.scale == nil then return "not calibrated" end
  return string.format("scale=%.6g, zero_point=%d", self.scale, self.zero_point)
end

return FakeQuantize
