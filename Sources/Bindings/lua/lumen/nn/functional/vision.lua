-- Convolution, pooling, resampling, padding and channel dropout of nn.functional. The kernels
-- are Swift (fused forward and backward); sizes are a number or a {h, w} table, options one
-- trailing table, and errors read "[conv2d] ...".
--
--   F.conv2d(x, w, b, {stride = 1, padding = 0 | {h, w} | "same" | "valid", dilation = 1, groups = 1})
--   F.conv1d(x, w, b, {stride, padding, dilation, groups})         x (N, C, L) or (C, L)
--   F.conv_transpose2d(x, w, b, {stride, padding, output_padding, dilation, groups})
--   F.max_pool2d(x, kernel_size, {stride = kernel_size, padding, dilation, ceil_mode, return_indices})
--       -> values [, indices]: flat 1-based positions h*W + w + 1 inside each input plane
--   F.avg_pool2d(x, kernel_size, {stride, padding, ceil_mode, count_include_pad = true, divisor_override})
--   F.adaptive_avg_pool2d(x, output_size)
--   F.interpolate(x, {size = | scale_factor =, mode = "nearest" | "bilinear" | "linear" | "area", align_corners})
--   F.pad(x, {left, right, top, bottom, ...}, {mode = "constant" | "reflect" | "replicate" | "circular", value = 0})
--       (also F.pad(x, pads, "reflect") and F.pad(x, pads, "constant", value))
--   F.unfold(x, kernel_size, {dilation, padding, stride})          (N, C, H, W) -> (N, C*kh*kw, L)
--   F.fold(x, output_size, kernel_size, {dilation, padding, stride})
--   F.dropout2d(x, {p = 0.5, training = true}), F.dropout1d: whole channels zeroed
-- Unbatched (C, H, W) input works wherever PyTorch accepts it.
local options = require "lumen.nn.functional.options"
local V = vision_internal
local F = {}

for _, name in ipairs({"conv1d", "conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d",
  "interpolate", "pad", "unfold", "fold"}) do
  F[name] = V[name]
end

-- Channel dropout: one Bernoulli draw per (sample, channel), broadcast over the trailing dims.
local function channel_dropout(op, x, opts, min_dim)
  local o = options.read(op, opts, {p = 0.5, training = true}, "p")
  options.tensor(op, x)
  if type(o.p) ~= "number" or o.p < 0 or o.p > 1 then
    error(string.format("[%s] p must be a probability in [0, 1]; got %s", op, tostring(o.p)), 3)
  end
  if x:dim() < min_dim then
    error(string.format("[%s] expected input with at least %d dims (N, C, ...); got %s", op, min_dim, options.shape(x)), 3)
  end
  if not o.training or o.p == 0 then return x end
  if o.p == 1 then return x * 0 end
  local shape = {x:size(1), x:size(2)}
  for d = 3, x:dim() do shape[d] = 1 end
  local keep = torch.bernoulli(torch.full(shape, 1 - o.p, {dtype = x.dtype})) * (1 / (1 - o.p))
  return x * keep
end

--- Zeroes whole channels of (N, C, H, W) input (one draw per sample and channel) with
--- probability p in training, scaling the rest by 1/(1-p). F.dropout2d(x, 0.2) also works.
function F.dropout2d(x, opts)
  return channel_dropout("dropout2d", x, opts, 3)
end

--- Channel dropout for (N, C, L) input.
function F.dropout1d(x, opts)
  return channel_dropout("dropout1d", x, opts, 3)
end

-- `?name` help in the REPL.
local docs = require "lumen.help"
docs["nn.functional.conv2d"] = "F.conv2d(x, weight, bias, {stride=1, padding=0 | {h, w} | \"same\" | \"valid\", dilation=1, groups=1})\n  x (N, C, H, W) or (C, H, W), weight (O, C/groups, kh, kw) -> (N, O, oh, ow)"
docs["nn.functional.max_pool2d"] = "F.max_pool2d(x, kernel_size, {stride=kernel_size, padding=0, dilation=1, ceil_mode=false, return_indices=false})\n  -> values [, indices: 1-based flat positions inside each input plane]"
docs["nn.functional.interpolate"] = "F.interpolate(x, {size= | scale_factor=, mode=\"nearest\"|\"bilinear\"|\"linear\"|\"area\", align_corners=})"
docs["nn.functional.pad"] = "F.pad(x, {left, right, top, bottom, ...}, {mode=\"constant\"|\"reflect\"|\"replicate\"|\"circular\", value=0})  (last dim first, as PyTorch)"
docs["nn.Conv2d"] = "nn.Conv2d(in, out, kernel_size, {stride=1, padding=0|\"same\", dilation=1, groups=1, bias=true, padding_mode=\"zeros\"})\n  weight (out, in/groups, kh, kw); nn.Conv2d(1, 16, 3, {padding = 1})"
docs["nn.MaxPool2d"] = "nn.MaxPool2d(kernel_size, {stride=kernel_size, padding=0, dilation=1, ceil_mode=false, return_indices=false})"
docs["nn.BatchNorm2d"] = "nn.BatchNorm2d(C, {eps=1e-5, momentum=0.1, affine=true, track_running_stats=true}): per-channel batch norm of (N, C, H, W)"
docs["nn.utils.summary"] = "nn.utils.summary(model, {1, 3, 32, 32}, {print=true}) -> per-layer output shapes, parameters and multiply-adds, with totals"
docs["Tensor.flip"] = "x:flip(dims) -> copy with the order reversed along dims (a dim or a table of dims)"

return F
