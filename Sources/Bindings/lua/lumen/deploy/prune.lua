-- deploy.prune: weight pruning.
--
--   deploy.prune.magnitude(model, {amount = 0.9, scope = "global" | "layer", optimizer = opt})
--       zeroes the `amount` fraction of smallest-|w| weights of every Linear/Conv1d/Conv2d (over all
--       of them together with scope "global", the default; else per layer). Masks are kept: each
--       forward of a pruned layer and each step of `optimizer` (when given, or attached later with
--       deploy.prune.keep_masks(opt, model)) re-applies them, so fine-tuning keeps pruned weights zero.
--   deploy.prune.remove(model)        makes the pruning permanent (drops masks and hooks)
--   deploy.prune.report(model)        sparsity per layer: {layers = {{name, class, params, zeros,
--                                     sparsity}...}, params, zeros, sparsity}; tostring prints a table
--   deploy.prune.structured(model, {amount = 0.5, norm = 2, example = x})
--       removes whole output channels / neurons with the smallest L1 or L2 norm from each
--       Linear/Conv2d of a Sequential chain (except the last), really shrinking the weights, the
--       following BatchNorm and the next layer's inputs (through Flatten too).
--       Returns {{name, before, after}...}. Optimizers made before must be recreated.
local structured = require "lumen.deploy.prune_structured"

local prune = {}

local PRUNABLE = {Linear = true, Conv1d = true, Conv2d = true}

-- {name, module} of the layers magnitude pruning applies to.
local function prunable_layers(model)
  local out = {}
  for _, pair in ipairs(model:named_modules()) do
    local m = pair[2]
    if PRUNABLE[m.__name] and torch.is_tensor(m.weight) then out[#out + 1] = pair end
  end
  return out
end

-- w <- w * mask for every masked layer of `model`.
local function apply_masks(model)
  torch.no_grad(function()
    for _, m in ipairs(model:modules()) do
      local masks = rawget(m, "_prune_masks")
      if masks then m.weight:copy_(m.weight * masks.weight) end
    end
  end)
end
prune.apply_masks = apply_masks

-- Wraps m.forward once so that every forward re-applies the mask first.
local function hook_forward(m)
  if rawget(m, "_prune_forward") ~= nil then return end
  local own = rawget(m, "forward")
  rawset(m, "_prune_forward", {own})
  local forward = m.forward
  rawset(m, "forward", function(self, ...)
    torch.no_grad(function() self.weight:copy_(self.weight * rawget(self, "_prune_masks").weight) end)
    return forward(self, ...)
  end)
end

--- Re-applies `model`'s pruning masks after every `optimizer:step()`; returns the optimizer.
function prune.keep_masks(optimizer, model)
  if type(optimizer) ~= "table" or type(optimizer.step) ~= "function" then
    error("[prune] keep_masks expects an optimizer (a table with a step method); got " .. type(optimizer), 2)
  end
  local step = optimizer.step
  rawset(optimizer, "step", function(self, ...)
    local results = table.pack(step(self, ...))
    apply_masks(model)
    return table.unpack(results, 1, results.n)
  end)
  return optimizer
end

function prune.magnitude(model, opts)
  if not nn.is_module(model) then error("[prune] expected a module; got " .. type(model), 2) end
  opts = opts or {}
  local amount, scope = opts.amount or 0.5, opts.scope or "global"
  if type(amount) ~= "number" or amount < 0 or amount > 1 then
    error("[prune] amount must be a fraction in [0, 1]; got " .. tostring(amount), 2)
  end
  if scope ~= "global" and scope ~= "layer" then
    error("[prune] scope must be \"global\" or \"layer\"; got " .. tostring(scope), 2)
  end
  local layers = prunable_layers(model)
  if #layers == 0 then error("[prune] the model has no Linear or Conv layers to prune", 2) end
  local weights = {}
  for i, pair in ipairs(layers) do weights[i] = pair[2].weight end
  local masks
  if scope == "global" then
    masks = lumen_internal.deploy_prune_masks(weights, amount)
  else
    masks = {}
    for i, w in ipairs(weights) do masks[i] = lumen_internal.deploy_prune_masks({w}, amount)[1] end
  end
  for i, pair in ipairs(layers) do
    local m = pair[2]
    local previous = rawget(m, "_prune_masks")
    -- pruning again keeps what was pruned before
    rawset(m, "_prune_masks", {weight = previous and masks[i] * previous.weight or masks[i]})
    hook_forward(m)
  end
  apply_masks(model)
  if opts.optimizer then prune.keep_masks(opts.optimizer, model) end
  return prune.report(model)
end

--- Makes the pruning permanent: weights stay as they are (zeros included), masks and hooks go.
function prune.remove(model)
  apply_masks(model)
  for _, m in ipairs(model:modules()) do
    local saved = rawget(m, "_prune_forward")
    if saved then
      rawset(m, "forward", saved[1])
      rawset(m, "_prune_forward", nil)
    end
    rawset(m, "_prune_masks", nil)
  end
  return model
end

local Report = {}
Report.__index = Report

function Report:__tostring()
  local lines = {string.format("%-28s %-8s %10s %10s %9s", "layer", "class", "weights", "zeros", "sparsity")}
  for _, l in ipairs(self.layers) do
    lines[#lines + 1] = string.format("%-28s %-8s %10d %10d %8.2f%%", l.name, l.class, l.params, l.zeros,
      100 * l.sparsity)
  end
  lines[#lines + 1] = string.format("%-28s %-8s %10d %10d %8.2f%%", "total", "", self.params, self.zeros,
    100 * self.sparsity)
  return table.concat(lines, "\n")
end

function prune.report(model)
  if not nn.is_module(model) then error("[prune] report expects a module; got " .. type(model), 2) end
  local report = setmetatable({layers = {}, params = 0, zeros = 0}, Report)
  for _, pair in ipairs(prunable_layers(model)) do
    local w = pair[2].weight
    local zeros = w:numel() - w:ne(0):long():sum():item()
    report.layers[#report.layers + 1] = {name = pair[1] == "" and "model" or pair[1], class = pair[2].__name,
      params = w:numel(), zeros = zeros, sparsity = w:numel() > 0 and zeros / w:numel() or 0}
    report.params, report.zeros = report.params + w:numel(), report.zeros + zeros
  end
  report.sparsity = report.params > 0 and report.zeros / report.params or 0
  return report
end

prune.structured = structured.prune

return prune
