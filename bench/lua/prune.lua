-- Structured pruning pays off in latency: inference time of an MLP and a CNN before and after
-- deploy.prune.structured removes 50% / 75% of the hidden neurons or channels (median of
-- forwards timed alternately with the original, no gradients). Prints `name value unit` lines.
local clock = lumen_internal.clock
torch.manual_seed(0)

local function median(list)
  table.sort(list)
  return list[(#list + 1) // 2]
end

-- Median milliseconds of fn_a and fn_b, timed alternately so both see the same machine load.
local function paired_ms(fn_a, fn_b, reps)
  for _ = 1, 3 do fn_a(); fn_b() end
  local a, b = {}, {}
  for i = 1, reps do
    local t0 = clock()
    fn_a()
    local t1 = clock()
    fn_b()
    a[i], b[i] = (t1 - t0) * 1e3, (clock() - t1) * 1e3
  end
  return median(a), median(b)
end

local report = dofile((arg[0]:match("^(.*)/") or ".") .. "/bench_util.lua").report

local function measure(label, make, x, reps)
  local base = make()
  base:eval()
  local run_base = function() torch.no_grad(function() return base(x) end) end
  for _, amount in ipairs({0.5, 0.75}) do
    local pruned = make()
    pruned:load_state_dict(base:state_dict())
    deploy.prune.structured(pruned, {amount = amount})
    pruned:eval()
    local t_base, t = paired_ms(run_base, function() torch.no_grad(function() return pruned(x) end) end, reps)
    local tag = string.format("%s_pruned%d", label, math.floor(amount * 100 + 0.5))
    report(tag .. "_original_ms", t_base, "ms")
    report(tag .. "_ms", t, "ms")
    report(tag .. "_params_ratio", pruned:num_parameters() / base:num_parameters(), "x")
    report(tag .. "_speedup", t_base / t, "x")
  end
end

-- MLP 784-1024-1024-10, batch 64.
measure("mlp", function()
  return nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10))
end, torch.randn(64, 784), 100)

-- CNN on 3x32x32 with BatchNorm, batch 32.
measure("cnn", function()
  return nn.Sequential(nn.Conv2d(3, 32, 3, {padding = 1}), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3, {padding = 1}), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
    nn.Linear(64 * 8 * 8, 128), nn.ReLU(), nn.Linear(128, 10))
end, torch.randn(32, 3, 32, 32), 30)
