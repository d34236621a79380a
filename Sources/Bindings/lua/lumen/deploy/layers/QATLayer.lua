-- deploy.QATLayer: a Conv2d or Linear (BatchNorm already folded, ReLU fused) trained with fake
-- quantization: weights fake-quantized symmetric int8 (per output channel or per tensor, straight-
-- through gradient), output fake-quantized by an affine FakeQuantize. Built by deploy.prepare_qat;
-- deploy.convert turns it into QConv2d / QLinear.
local nn = require "lumen.nn"
local F = nn.functional
local FakeQuantize = require "lumen.deploy.layers.FakeQuantize"

local QATLayer = nn.Module:extend("QATLayer")

--- stage: {kind = "conv"|"linear", weight, bias, relu, stride, padding, dilation, groups, source}
function QATLayer:init(stage, opts)
  opts = opts or {}
  self.kind, self.relu, self.source = stage.kind, stage.relu, stage.source
  self.stride, self.padding, self.dilation, self.groups = stage.stride, stage.padding, stage.dilation, stage.groups
  self.per_channel = opts.per_channel ~= false
  self.weight = nn.Parameter(stage.weight:float():clone())
  self.bias = nn.Parameter(stage.bias:float():clone())
  self.output_quant = FakeQuantize(opts)
end

--- Symmetric int8 fake quantization of the weight with a straight-through gradient.
function QATLayer:fake_weight()
  local w = self.weight
  local scales = deploy_internal.weight_scales(w:detach(), self.per_channel)
  local shape = {w:size(1)}
  for _ = 2, w:dim() do shape[#shape + 1] = 1 end
  local s = scales:numel() > 1 and scales:reshape(shape) or scales
  local fake = deploy_internal.quantize_weight(w:detach(), scales):float() * s
  return w + (fake - w:detach())   -- value fake, gradient 1 (|w| <= 127 * scale always holds)
end

function QATLayer:forward(x)
  local w = self:fake_weight()
  local y
  if self.kind == "conv" then
    y = F.conv2d(x, w, self.bias, {stride = self.stride, padding = self.padding, dilation = self.dilation, groups = self.groups})
  else
    y = F.linear(x, w, self.bias)
  end
  if self.relu then y = torch.relu(y) end
  return self.output_quant(y)
end

--- The float stage (current weights) for deploy.convert.
function QATLayer:stage()
  return {kind = self.kind, weight = self.weight:detach():clone(), bias = self.bias:detach():clone(), relu = self.relu,
    stride = self.stride, padding = self.padding, dilation = self.dilation, groups = self.groups, source = self.source}
end

function QATLayer:extra_repr()
  return string.format("%s, weight=(%s)%s", self.kind, table.concat(self.weight:size(), ", "), self.relu and ", relu" or "")
end

return QATLayer
