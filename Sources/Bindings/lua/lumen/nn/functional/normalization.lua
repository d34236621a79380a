-- Batch and layer normalization of nn.functional.
local options = require "lumen.nn.functional.options"
local F = {}

-- Shape {1, C, 1, ...} for broadcasting a per-channel vector against x.
local function channel_shape(x, c)
  local shape = {}
  for d = 1, x:dim() do shape[d] = d == 2 and c or 1 end
  return shape
end

--- Normalizes x (N, C, ...) per channel (dim 2). In training, uses the batch statistics and
--- updates running_mean/running_var in place (unbiased variance, weight `momentum`); otherwise
--- uses the running statistics.
---   F.batch_norm(x, running_mean, running_var, weight, bias, {training = false, momentum = 0.1, eps = 1e-5})
function F.batch_norm(x, running_mean, running_var, weight, bias, opts)
  local o = options.read("batch_norm", opts, {training = false, momentum = 0.1, eps = 1e-5})
  options.tensor("batch_norm", x)
  if x:dim() < 2 then error("[batch_norm] expected input with at least 2 dims (N, C, ...); got " .. options.shape(x), 2) end
  local c = x:size(2)
  local shape = channel_shape(x, c)
  local dims = {1}
  for d = 3, x:dim() do dims[#dims + 1] = d end
  local mean, var
  if o.training then
    local count = x:numel() // c
    if count <= 1 then
      error(string.format("[batch_norm] expected more than 1 value per channel when training; got input %s", options.shape(x)), 2)
    end
    mean = x:mean(dims, true)
    var = x:var(dims, true, false)
    if running_mean ~= nil and running_var ~= nil then
      local m = o.momentum
      torch.no_grad(function()
        running_mean:copy_(running_mean * (1 - m) + mean:reshape(c) * m)
        running_var:copy_(running_var * (1 - m) + var:reshape(c) * (m * count / (count - 1)))
      end)
    end
  else
    if running_mean == nil or running_var == nil then
      error("[batch_norm] running_mean and running_var are required when not training", 2)
    end
    if running_mean:numel() ~= c then
      error(string.format("[batch_norm] running_mean has %d entries but input %s has %d channels",
        running_mean:numel(), options.shape(x), c), 2)
    end
    mean, var = running_mean:reshape(shape), running_var:reshape(shape)
  end
  local y = (x - mean) * (var + o.eps):rsqrt()
  if weight ~= nil then y = y * weight:reshape(shape) end
  if bias ~= nil then y = y + bias:reshape(shape) end
  return y
end

--- Normalizes over the trailing dims given by normalized_shape (a number or a table of sizes),
--- with biased variance; then scales by weight and shifts by bias (both normalized_shape).
function F.layer_norm(x, normalized_shape, weight, bias, opts)
  local o = options.read("layer_norm", opts, {eps = 1e-5})
  options.tensor("layer_norm", x)
  local ns = type(normalized_shape) == "number" and {normalized_shape} or normalized_shape
  if type(ns) ~= "table" then error("[layer_norm] normalized_shape must be a number or a table of sizes", 2) end
  local k, size = #ns, x:size()
  local fits = k <= #size
  for i = 1, k do fits = fits and size[#size - k + i] == ns[i] end
  if not fits then
    error(string.format("[layer_norm] input shape %s does not end with normalized_shape (%s)",
      options.shape(x), table.concat(ns, ",")), 2)
  end
  local dims = {}
  for i = 1, k do dims[i] = -i end
  local mean = x:mean(dims, true)
  local var = x:var(dims, true, false)
  local y = (x - mean) * (var + o.eps):rsqrt()
  if weight ~= nil then y = y * weight end
  if bias ~= nil then y = y + bias end
  return y
end

return F
