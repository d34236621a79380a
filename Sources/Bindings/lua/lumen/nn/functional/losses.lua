-- Loss functions of nn.functional: (input, target, ..., {reduction = "mean" | "sum" | "none", ...}).
-- Class labels count from 1. Formulas follow PyTorch's, including its weighted means.
local options = require "lumen.nn.functional.options"
local layers = require "lumen.nn.functional.layers"
local NONE = options.NONE
local F = {}

local function check_same_shape(op, input, target)
  options.tensor(op, input)
  options.tensor(op, target, "target")
  if options.shape(input) ~= options.shape(target) then
    error(string.format("[%s] input shape %s and target shape %s differ", op, options.shape(input), options.shape(target)), 3)
  end
end

local function elementwise_loss(op, defaults, pointwise)
  return function(input, target, opts)
    local o = options.read(op, opts, defaults)
    check_same_shape(op, input, target)
    return options.reduce(op, pointwise(input, target, o), o.reduction)
  end
end

F.mse_loss = elementwise_loss("mse_loss", {reduction = "mean"}, function(x, y) return (x - y) ^ 2 end)

F.l1_loss = elementwise_loss("l1_loss", {reduction = "mean"}, function(x, y) return (x - y):abs() end)

--- 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta.
F.smooth_l1_loss = elementwise_loss("smooth_l1_loss", {reduction = "mean", beta = 1.0}, function(x, y, o)
  local d = (x - y):abs()
  if o.beta == 0 then return d end
  return torch.where(d:lt(o.beta), d ^ 2 * (0.5 / o.beta), d - 0.5 * o.beta)
end)

--- 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta).
F.huber_loss = elementwise_loss("huber_loss", {reduction = "mean", delta = 1.0}, function(x, y, o)
  local d = (x - y):abs()
  return torch.where(d:lt(o.delta), d ^ 2 * 0.5, (d - 0.5 * o.delta) * o.delta)
end)

-- log(x) clamped below at -100 (as PyTorch), without NaN gradients at x = 0.
local function clamped_log(x)
  local positive = x:gt(0)
  return torch.where(positive, torch.where(positive, x, 1):log(), -100):clamp(-100)
end

--- -(y log x + (1 - y) log(1 - x)) with x probabilities; {weight = tensor} rescales elements.
F.binary_cross_entropy = elementwise_loss("binary_cross_entropy", {reduction = "mean", weight = NONE}, function(x, y, o)
  if x:numel() > 0 and (x:min():item() < 0 or x:max():item() > 1) then
    error(string.format("[binary_cross_entropy] input values must lie in [0, 1]; got %g..%g "
      .. "(for logits use binary_cross_entropy_with_logits)", x:min():item(), x:max():item()), 3)
  end
  local loss = -(y * clamped_log(x) + (1 - y) * clamped_log(1 - x))
  if o.weight ~= nil then loss = loss * o.weight end
  return loss
end)

--- Stable (1 - y) x + (1 + (pos_weight - 1) y) softplus(-x); pos_weight broadcasts over the last dim.
F.binary_cross_entropy_with_logits = elementwise_loss("binary_cross_entropy_with_logits",
  {reduction = "mean", weight = NONE, pos_weight = NONE}, function(x, y, o)
  local softplus_neg = (-x):softplus()           -- -log sigmoid(x)
  local loss
  if o.pos_weight ~= nil then
    loss = (1 - y) * x + ((o.pos_weight - 1) * y + 1) * softplus_neg
  else
    loss = (1 - y) * x + softplus_neg
  end
  if o.weight ~= nil then loss = loss * o.weight end
  return loss
end)

-- (N, C, d...) → (N*d..., C): the class dim moved last, then flattened.
local function classes_last(x)
  if x:dim() == 2 then return x end
  local order = {1}
  for d = 3, x:dim() do order[#order + 1] = d end
  order[#order + 1] = 2
  return x:permute(order):reshape(-1, x:size(2))
end

local function channel_shape(x, c)
  local shape = {}
  for d = 1, x:dim() do shape[d] = d == 2 and c or 1 end
  return shape
end

-- Per-element negative log-likelihood of 1-based class targets, flattened to (M), with the
-- per-element weights (nil when unweighted and nothing is ignored) and the valid mask (or nil).
local function pick(op, logp, target, weight, ignore_index)
  if target.dtype:match("^float") or target.dtype == "bool" then
    error(string.format("[%s] class targets must be an integer tensor (classes count from 1); got %s", op, target.dtype), 3)
  end
  local expected = logp:size()
  table.remove(expected, 2)
  if options.shape(target) ~= "(" .. table.concat(expected, ",") .. ")" then
    error(string.format("[%s] target shape %s does not match input %s (expected %s)", op, options.shape(target),
      options.shape(logp), "(" .. table.concat(expected, ",") .. ")"), 3)
  end
  local c = logp:size(2)
  local t = target:reshape(-1)
  local valid = ignore_index ~= nil and t:ne(ignore_index) or nil
  local safe = valid and torch.where(valid, t, 1) or t
  if safe:numel() > 0 then
    local lo, hi = safe:min():item(), safe:max():item()
    if lo < 1 or hi > c then
      error(string.format("[%s] target class %d out of range 1..%d (class labels count from 1)", op, lo < 1 and lo or hi, c), 3)
    end
  end
  local loss = -classes_last(logp):gather(2, safe:unsqueeze(2)):squeeze(2)
  local w = weight ~= nil and weight:index_select(1, safe) or nil
  if valid then
    loss = torch.where(valid, loss, 0)
    w = w and torch.where(valid, w, 0) or valid:to(logp.dtype)
  end
  if w and weight ~= nil then loss = loss * w end
  return loss, w, valid
end

-- Reduction of per-element losses whose weighted mean divides by the summed weights.
local function weighted_reduce(op, loss, w, reduction, shape)
  if reduction == "none" then return loss:reshape(shape) end
  if reduction == "sum" then return loss:sum() end
  if reduction == "mean" then return w and loss:sum() / w:sum() or loss:mean() end
  error(string.format("[%s] reduction must be \"mean\", \"sum\" or \"none\"; got %s", op, tostring(reduction)), 3)
end

-- Input (C) is treated as a batch of one: returns the batched input and target, and whether to
-- undo it on the result.
local function batch_of_one(input, target)
  if input:dim() ~= 1 then return input, target, false end
  if torch.is_tensor(target) and not target.dtype:match("^float") then return input:unsqueeze(1), target:reshape(1), true end
  if torch.is_tensor(target) then return input:unsqueeze(1), target:unsqueeze(1), true end
  return input, target, false
end

local function unbatch(result, squeeze, reduction)
  if squeeze and reduction == "none" then return result:reshape({}) end
  return result
end

--- Negative log-likelihood of log-probabilities input (N, C, d...) or (C) at 1-based targets.
function F.nll_loss(input, target, opts)
  local o = options.read("nll_loss", opts, {reduction = "mean", weight = NONE, ignore_index = NONE})
  options.tensor("nll_loss", input)
  options.tensor("nll_loss", target, "target")
  local x, t, squeeze = batch_of_one(input, target)
  local loss, w = pick("nll_loss", x, t, o.weight, o.ignore_index)
  return unbatch(weighted_reduce("nll_loss", loss, w, o.reduction, t:size()), squeeze, o.reduction)
end

--- Cross entropy of logits input (N, C, d...) or (C) against 1-based int64 class targets
--- (N, d...) or class probabilities shaped like input. Options: weight (C), ignore_index,
--- label_smoothing (PyTorch's formula: (1 - e) nll + e/C * smoothing term), reduction.
function F.cross_entropy(input, target, opts)
  local o = options.read("cross_entropy", opts,
    {reduction = "mean", weight = NONE, ignore_index = NONE, label_smoothing = 0.0})
  options.tensor("cross_entropy", input)
  options.tensor("cross_entropy", target, "target")
  local eps = o.label_smoothing
  if type(eps) ~= "number" or eps < 0 or eps > 1 then
    error("[cross_entropy] label_smoothing must be in [0, 1]; got " .. tostring(eps), 2)
  end
  local x, t, squeeze = batch_of_one(input, target)
  local c = x:size(2)
  local logp = x:log_softmax(2)
  local weight = o.weight ~= nil and o.weight:reshape(channel_shape(x, c)) or nil
  if t.dtype:match("^float") then
    if options.shape(t) ~= options.shape(x) then
      error(string.format("[cross_entropy] probability target shape %s differs from input %s", options.shape(t), options.shape(x)), 2)
    end
    if eps > 0 then t = t * (1 - eps) + eps / c end
    local prod = logp * t
    if weight then prod = prod * weight end
    local per = -prod:sum(2)
    if o.reduction == "mean" then return per:sum() / (x:numel() / c) end
    return unbatch(options.reduce("cross_entropy", per, o.reduction), squeeze, o.reduction)
  end
  local loss, w, valid = pick("cross_entropy", logp, t, o.weight, o.ignore_index)
  local nll = weighted_reduce("cross_entropy", loss, w, o.reduction, t:size())
  if eps == 0 then return unbatch(nll, squeeze, o.reduction) end
  local smooth = -(weight and logp * weight or logp):sum(2):reshape(-1)
  if valid then smooth = torch.where(valid, smooth, 0) end
  local smooth_reduced = weighted_reduce("cross_entropy", smooth, w, o.reduction, t:size())
  return unbatch(nll * (1 - eps) + smooth_reduced * (eps / c), squeeze, o.reduction)
end

--- KL divergence with input as log-probabilities: target (log target - input), 0 where target = 0.
--- reduction "batchmean" divides the sum by the batch size (the mathematically correct KL).
function F.kl_div(input, target, opts)
  local o = options.read("kl_div", opts, {reduction = "mean", log_target = false})
  check_same_shape("kl_div", input, target)
  local pointwise
  if o.log_target then
    pointwise = target:exp() * (target - input)
  else
    local positive = target:gt(0)
    pointwise = torch.where(positive, target * torch.where(positive, target, 1):log(), 0) - target * input
  end
  if o.reduction == "batchmean" then
    return input:dim() == 0 and pointwise:sum() or pointwise:sum() / input:size(1)
  end
  return options.reduce("kl_div", pointwise, o.reduction)
end

--- 1 - cos(x1, x2) where y = 1; max(0, cos(x1, x2) - margin) where y = -1 (cos over the last dim).
function F.cosine_embedding_loss(x1, x2, y, opts)
  local o = options.read("cosine_embedding_loss", opts, {reduction = "mean", margin = 0.0})
  check_same_shape("cosine_embedding_loss", x1, x2)
  options.tensor("cosine_embedding_loss", y, "target")
  local d = x1:dim()
  local prod = (x1 * x2):sum(d)
  local norms = (((x1 * x1):sum(d) + 1e-12) * ((x2 * x2):sum(d) + 1e-12)):sqrt()
  local cos = prod / norms
  local loss = torch.where(y:eq(1), 1 - cos, 0) + torch.where(y:eq(-1), (cos - o.margin):clamp(0), 0)
  return options.reduce("cosine_embedding_loss", loss, o.reduction)
end

--- max(0, -y (x1 - x2) + margin), y = 1 meaning x1 should rank higher.
function F.margin_ranking_loss(x1, x2, y, opts)
  local o = options.read("margin_ranking_loss", opts, {reduction = "mean", margin = 0.0})
  options.tensor("margin_ranking_loss", x1)
  options.tensor("margin_ranking_loss", y, "target")
  return options.reduce("margin_ranking_loss", ((x1 - x2) * -y + o.margin):clamp(0), o.reduction)
end

--- max(0, d(a, p) - d(a, n) + margin) with d the p-norm pairwise distance (eps inside the norm);
--- swap uses min(d(a, n), d(p, n)).
function F.triplet_margin_loss(anchor, positive, negative, opts)
  local o = options.read("triplet_margin_loss", opts,
    {reduction = "mean", margin = 1.0, p = 2.0, eps = 1e-6, swap = false})
  local dist = {p = o.p, eps = o.eps}
  local d_ap = layers.pairwise_distance(anchor, positive, dist)
  local d_an = layers.pairwise_distance(anchor, negative, dist)
  if o.swap then d_an = torch.minimum(d_an, layers.pairwise_distance(positive, negative, dist)) end
  return options.reduce("triplet_margin_loss", (d_ap - d_an + o.margin):clamp(0), o.reduction)
end

return F
