-- Structured pruning (deploy.prune.structured): removes the output channels (Conv2d) or neurons
-- (Linear) with the smallest L1/L2 weight norm, really shrinking the layer, the BatchNorm after
-- it and the input of the next Linear/Conv2d, so the pruned model is smaller and faster.
-- Works on Sequential chains (nested Sequentials are flattened); between a layer and the next
-- weighted layer only shape-preserving modules are allowed (activations, dropout, pooling,
-- BatchNorm, Flatten). The last weighted layer keeps its outputs.
local structured = {}

local PASS_THROUGH = {ReLU = true, LeakyReLU = true, ELU = true, GELU = true, SiLU = true, Sigmoid = true,
  Tanh = true, Softplus = true, Dropout = true, Dropout2d = true, Identity = true, MaxPool2d = true,
  AvgPool2d = true, AdaptiveAvgPool2d = true}

local function is_layer(m)
  return (m.__name == "Linear" or (m.__name == "Conv2d" and m.groups == 1)) and torch.is_tensor(m.weight)
end

-- {name, module} leaves of a Sequential chain in execution order.
local function chain(model, prefix, out)
  out = out or {}
  if model.__name ~= "Sequential" then
    error("[prune] structured pruning needs an nn.Sequential chain; got " .. tostring(model.__name) ..
      (prefix ~= "" and (" at " .. prefix) or ""), 4)
  end
  for _, pair in ipairs(model:named_children()) do
    local name = prefix == "" and pair[1] or (prefix .. "." .. pair[1])
    if pair[2].__name == "Sequential" then chain(pair[2], name, out) else out[#out + 1] = {name, pair[2]} end
  end
  return out
end

-- Indices (1-based, ascending int64) of the `keep` output units with the largest norms.
local function kept_units(weight, keep, norm)
  local w = weight:reshape(weight:size(1), -1)
  local scores = norm == 1 and w:abs():sum(2) or (w * w):sum(2):sqrt()
  local _, order = scores:sort(1, true)
  local idx = order:narrow(1, 1, keep):sort()
  return idx
end

local function set_parameter(m, field, t)
  if m[field] ~= nil then m[field] = nn.Parameter(t:contiguous()) end
end

local function shrink_outputs(m, idx)
  set_parameter(m, "weight", m.weight:index_select(1, idx))
  if m.bias ~= nil then set_parameter(m, "bias", m.bias:index_select(1, idx)) end
  if m.__name == "Linear" then m.out_features = idx:numel() else m.out_channels = idx:numel() end
end

local function shrink_batch_norm(bn, idx)
  if bn.weight ~= nil then set_parameter(bn, "weight", bn.weight:index_select(1, idx)) end
  if bn.bias ~= nil then set_parameter(bn, "bias", bn.bias:index_select(1, idx)) end
  if bn.running_mean ~= nil then
    bn:register_buffer("running_mean", bn.running_mean:index_select(1, idx):contiguous())
    bn:register_buffer("running_var", bn.running_var:index_select(1, idx):contiguous())
  end
  bn.num_features = idx:numel()
end

-- The next layer reads only the kept units; after a Flatten each channel spans `spatial` inputs.
local function shrink_inputs(m, idx, old_units, name)
  if m.__name == "Conv2d" then
    set_parameter(m, "weight", m.weight:index_select(2, idx))
    m.in_channels = idx:numel()
    return
  end
  if m.in_features % old_units ~= 0 then
    error(string.format("[prune] %s has %d inputs, not a multiple of the %d units before it", name, m.in_features,
      old_units), 4)
  end
  local spatial = m.in_features // old_units
  local cols = {}
  for _, c in ipairs(idx:totable()) do
    for s = 1, spatial do cols[#cols + 1] = (c - 1) * spatial + s end
  end
  set_parameter(m, "weight", m.weight:index_select(2, torch.tensor(cols, {dtype = "int64"})))
  m.in_features = #cols
end

function structured.prune(model, opts)
  if not nn.is_module(model) then error("[prune] structured expects a module; got " .. type(model), 2) end
  opts = opts or {}
  local amount, norm = opts.amount or 0.5, opts.norm or 2
  if type(amount) ~= "number" or amount < 0 or amount >= 1 then
    error("[prune] amount must be a fraction in [0, 1); got " .. tostring(amount), 2)
  end
  if norm ~= 1 and norm ~= 2 then error("[prune] norm must be 1 or 2; got " .. tostring(norm), 2) end
  for _, m in ipairs(model:modules()) do
    if rawget(m, "_prune_masks") then error("[prune] the model has magnitude-pruning masks; call deploy.prune.remove first", 2) end
  end
  local leaves = chain(model, "")
  local changes = {}
  torch.no_grad(function()
    for i, entry in ipairs(leaves) do
      local name, m = entry[1], entry[2]
      if is_layer(m) then
        -- find the next weighted layer and the BatchNorms on the way
        local norms, consumer, consumer_name = {}, nil, nil
        for j = i + 1, #leaves do
          local n, c = leaves[j][1], leaves[j][2]
          if is_layer(c) then consumer, consumer_name = c, n; break end
          if c.__name == "BatchNorm1d" or c.__name == "BatchNorm2d" then norms[#norms + 1] = c
          elseif not PASS_THROUGH[c.__name] and c.__name ~= "Flatten" then break end
        end
        if consumer ~= nil then
          local units = m.weight:size(1)
          local keep = math.max(1, units - math.floor(amount * units + 0.5))
          if keep < units then
            local idx = kept_units(m.weight, keep, norm)
            shrink_outputs(m, idx)
            for _, bn in ipairs(norms) do shrink_batch_norm(bn, idx) end
            shrink_inputs(consumer, idx, units, consumer_name)
            changes[#changes + 1] = {name = name, before = units, after = keep, kept = idx}
          end
        end
      end
    end
  end)
  return changes
end

return structured
