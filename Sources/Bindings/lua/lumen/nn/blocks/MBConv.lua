-- nn.MBConv(in_channels, out_channels, {expand_ratio = 6, kernel_size = 3, stride = 1,
--   se_ratio = 0.25, activation = nn.SiLU, stochastic_depth_prob = 0}): the inverted-residual
-- block of MobileNetV2 / EfficientNet:
--   expand    1x1 conv to in*expand_ratio channels + BN + act   (skipped when expand_ratio = 1)
--   depthwise k x k conv (groups = channels, stride) + BN + act
--   SE        nn.SqueezeExcitation(expanded, max(1, floor(in * se_ratio)))   (se_ratio = 0: none)
--   project   1x1 conv to out_channels + BN (no activation)
-- plus x itself when stride = 1 and in = out (residual; per-sample stochastic depth in
-- training when stochastic_depth_prob > 0). Children as torchvision's: block.1, block.2, ...
-- (PyTorch's block.0, ...), each conv stage a Sequential of conv, BN, act.
--   nn.MBConv(16, 24, {stride = 2})              (N,16,32,32) -> (N,24,16,16)
local nn = require "lumen.nn"
local options = require "lumen.nn.functional.options"

local MBConv = nn.Module:extend("MBConv")

function MBConv:init(in_channels, out_channels, opts)
  local o = options.read("MBConv", opts, {expand_ratio = 6, kernel_size = 3, stride = 1, se_ratio = 0.25,
    activation = nn.SiLU, stochastic_depth_prob = 0})
  if o.stride ~= 1 and o.stride ~= 2 then error("[MBConv] stride must be 1 or 2; got " .. tostring(o.stride), 3) end
  local expanded = math.floor(in_channels * o.expand_ratio)
  local act = o.activation
  local stages = {}
  if expanded ~= in_channels then
    stages[#stages + 1] = nn.Sequential(nn.Conv2d(in_channels, expanded, 1, {bias = false}), nn.BatchNorm2d(expanded), act())
  end
  stages[#stages + 1] = nn.Sequential(nn.Conv2d(expanded, expanded, o.kernel_size, {stride = o.stride,
    padding = (o.kernel_size - 1) // 2, groups = expanded, bias = false}), nn.BatchNorm2d(expanded), act())
  if o.se_ratio > 0 then
    stages[#stages + 1] = nn.SqueezeExcitation(expanded, math.max(1, math.floor(in_channels * o.se_ratio)),
      {activation = act})
  end
  stages[#stages + 1] = nn.Sequential(nn.Conv2d(expanded, out_channels, 1, {bias = false}), nn.BatchNorm2d(out_channels))
  self.block = nn.Sequential(table.unpack(stages))
  self.use_res_connect = o.stride == 1 and in_channels == out_channels
  self.stochastic_depth_prob = o.stochastic_depth_prob
end

function MBConv:forward(x)
  local out = self.block(x)
  if not self.use_res_connect then return out end
  local p = self.stochastic_depth_prob
  if self.training and p > 0 then
    local shape = {out:size(1)}
    for d = 2, out:dim() do shape[d] = 1 end
    out = out * (torch.bernoulli(torch.full(shape, 1 - p, {dtype = out.dtype})) / (1 - p))
  end
  return out + x
end

function MBConv:extra_repr()
  return self.use_res_connect and "residual=true" or ""
end

return MBConv
