-- nn.InstanceNorm2d(num_features, {eps = 1e-5, momentum = 0.1, affine = false,
--   track_running_stats = false, dtype}): normalizes every (sample, channel) plane of
-- (N, C, H, W) or (C, H, W) input over H and W (style transfer, GAN generators). With
-- track_running_stats, training updates running_mean / running_var (batch averages of the
-- instance statistics) and eval normalizes with them, as PyTorch.
local nn = require "lumen.nn"
local options = require "lumen.nn.functional.options"

local InstanceNorm2d = nn.Module:extend("InstanceNorm2d")

function InstanceNorm2d:init(num_features, opts)
  local c = math.tointeger(num_features)
  if c == nil or c < 1 then
    error("[InstanceNorm2d] num_features must be a positive integer; got " .. tostring(num_features), 3)
  end
  local o = options.read("InstanceNorm2d", opts, {eps = 1e-5, momentum = 0.1, affine = false,
    track_running_stats = false, dtype = "float32"})
  self.num_features, self.eps, self.affine, self.track_running_stats = c, o.eps, o.affine, o.track_running_stats
  if o.momentum == false then self.momentum = nil else self.momentum = o.momentum end
  if self.affine then
    self.weight = nn.Parameter(torch.ones(c, {dtype = o.dtype}))
    self.bias = nn.Parameter(torch.zeros(c, {dtype = o.dtype}))
  end
  if self.track_running_stats then
    self:register_buffer("running_mean", torch.zeros(c, {dtype = o.dtype}))
    self:register_buffer("running_var", torch.ones(c, {dtype = o.dtype}))
    self:register_buffer("num_batches_tracked", torch.tensor(0, {dtype = "int64"}))
  end
end

function InstanceNorm2d:forward(x)
  local unbatched = torch.is_tensor(x) and x:dim() == 3
  if not torch.is_tensor(x) or (x:dim() ~= 4 and not unbatched) or x:size(-3) ~= self.num_features then
    error(string.format("[InstanceNorm2d] expected input (N, %d, H, W) or (%d, H, W); got %s", self.num_features,
      self.num_features, torch.is_tensor(x) and "(" .. table.concat(x:size(), ",") .. ")" or type(x)), 2)
  end
  if unbatched then x = x:unsqueeze(1) end
  local y = nn.functional.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
    {use_input_stats = self.training or not self.track_running_stats, momentum = self.momentum or 0, eps = self.eps})
  return unbatched and y:squeeze(1) or y
end

function InstanceNorm2d:extra_repr()
  return string.format("%d, eps=%g, momentum=%s, affine=%s, track_running_stats=%s", self.num_features, self.eps,
    tostring(self.momentum), tostring(self.affine), tostring(self.track_running_stats))
end

return InstanceNorm2d
