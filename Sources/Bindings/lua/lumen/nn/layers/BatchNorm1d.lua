-- nn.BatchNorm1d(num_features, {eps = 1e-5, momentum = 0.1, affine = true,
--   track_running_stats = true, dtype}): normalizes (N, C) or (N, C, L) per channel C.
-- Training uses batch statistics and updates the running_mean / running_var buffers
-- (momentum = false: cumulative average, PyTorch's momentum=None); eval uses the running statistics.
local nn = require "lumen.nn"

local BatchNorm1d = nn.Module:extend("BatchNorm1d")

function BatchNorm1d:init(num_features, opts)
  if math.tointeger(num_features) == nil or num_features < 1 then
    error("[BatchNorm1d] num_features must be a positive integer; got " .. tostring(num_features), 3)
  end
  opts = opts or {}
  local dtype = opts.dtype or "float32"
  self.num_features = math.tointeger(num_features)
  self.eps = opts.eps or 1e-5
  if opts.momentum == false then self.momentum = nil else self.momentum = opts.momentum or 0.1 end
  self.affine = opts.affine ~= false
  self.track_running_stats = opts.track_running_stats ~= false
  if self.affine then
    self.weight = nn.Parameter(torch.ones(num_features, {dtype = dtype}))
    self.bias = nn.Parameter(torch.zeros(num_features, {dtype = dtype}))
  end
  if self.track_running_stats then
    self:register_buffer("running_mean", torch.zeros(num_features, {dtype = dtype}))
    self:register_buffer("running_var", torch.ones(num_features, {dtype = dtype}))
    self:register_buffer("num_batches_tracked", torch.tensor(0, {dtype = "int64"}))
  end
end

function BatchNorm1d:forward(x)
  if not torch.is_tensor(x) or (x:dim() ~= 2 and x:dim() ~= 3) or x:size(2) ~= self.num_features then
    error(string.format("[BatchNorm1d] expected input (N, %d) or (N, %d, L); got %s", self.num_features,
      self.num_features, torch.is_tensor(x) and "(" .. table.concat(x:size(), ",") .. ")" or type(x)), 2)
  end
  local momentum = self.momentum or 0
  if self.training and self.track_running_stats then
    torch.no_grad(function() self.num_batches_tracked:copy_(self.num_batches_tracked + 1) end)
    if self.momentum == nil then momentum = 1 / self.num_batches_tracked:item() end
  end
  local use_batch = self.training or not self.track_running_stats
  local update = not self.training or self.track_running_stats
  return nn.functional.batch_norm(x, update and self.running_mean or nil, update and self.running_var or nil,
    self.weight, self.bias, {training = use_batch, momentum = momentum, eps = self.eps})
end

function BatchNorm1d:extra_repr()
  return string.format("%d, eps=%g, momentum=%s, affine=%s, track_running_stats=%s", self.num_features, self.eps,
    tostring(self.momentum), tostring(self.affine), tostring(self.track_running_stats))
end

return BatchNorm1d
