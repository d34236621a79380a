-- nn._BatchNorm: the shared base of BatchNorm1d and BatchNorm2d (PyTorch's _BatchNorm).
--   Sub(num_features, {eps = 1e-5, momentum = 0.1, affine = true, track_running_stats = true, dtype})
-- Parameters weight (ones) and bias (zeros); buffers running_mean, running_var and
-- num_batches_tracked, as PyTorch. Training uses batch statistics and updates the running ones
-- (momentum = false: cumulative average, PyTorch's momentum=None); eval uses the running ones.
-- Subclasses define check_input(x).
local nn = require "lumen.nn"

local BatchNorm = nn.Module:extend("_BatchNorm")

function BatchNorm:init(num_features, opts)
  if math.tointeger(num_features) == nil or num_features < 1 then
    error(string.format("[%s] num_features must be a positive integer; got %s", self.__name, tostring(num_features)), 3)
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

--- Resets the running statistics (mean 0, variance 1, no batches tracked).
function BatchNorm:reset_running_stats()
  if not self.track_running_stats then return end
  torch.no_grad(function()
    self.running_mean:zero_()
    self.running_var:fill_(1)
    self.num_batches_tracked:zero_()
  end)
end

function BatchNorm:forward(x)
  self:check_input(x)
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

--- "(N, C...)" description of a wrong input for error messages.
function BatchNorm.shape_of(x)
  return torch.is_tensor(x) and "(" .. table.concat(x:size(), ",") .. ")" or type(x)
end

function BatchNorm:extra_repr()
  return string.format("%d, eps=%g, momentum=%s, affine=%s, track_running_stats=%s", self.num_features, self.eps,
    tostring(self.momentum), tostring(self.affine), tostring(self.track_running_stats))
end

return BatchNorm
