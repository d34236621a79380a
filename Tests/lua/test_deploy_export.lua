-- deploy: pruning (magnitude with fine-tuning, structured), distillation, reports and ONNX export
-- errors. (ONNX numerics are checked against onnxruntime in Tests/deploy/test_onnx.py.)
local F = nn.functional

-- Lists compare by value.
local function assert_same(actual, expected)
  assert_eq(table.concat(actual, ","), table.concat(expected, ","))
end

-- Three Gaussian blobs in 2-d (labels 1..3).
local function blobs(n, seed)
  torch.manual_seed(seed)
  local centers = torch.tensor({{-2, 0}, {2, 0}, {0, 2.5}})
  local labels = torch.randint(1, 4, {n}):long()
  local x = centers:index_select(1, labels) + torch.randn(n, 2) * 0.7
  return x, labels
end

local function accuracy(model, x, y)
  model:eval()
  local _, predicted = torch.no_grad(function() return model(x) end):max(2)
  model:train()
  return predicted:eq(y):double():mean():item()
end

local function train(model, x, y, steps, opt)
  opt = opt or optim.Adam(model:parameters(), {lr = 0.01})
  for _ = 1, steps do
    opt:zero_grad()
    F.cross_entropy(model(x), y):backward()
    opt:step()
  end
  return opt
end

test("magnitude pruning to 90% + fine-tuning keeps a trained MLP within 2 points; pruned weights stay zero", function()
  local x, y = blobs(600, 1)
  local tx, ty = blobs(400, 2)
  torch.manual_seed(3)
  local mlp = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3))
  train(mlp, x, y, 200)
  local before = accuracy(mlp, tx, ty)
  assert_true(before > 0.9, "trained accuracy " .. before)
  local report = deploy.prune.magnitude(mlp, {amount = 0.9, scope = "global"})
  assert_close(report.sparsity, 0.9, 1e-3)
  local zero_before = mlp[3].weight:eq(0)
  local opt = deploy.prune.keep_masks(optim.Adam(mlp:parameters(), {lr = 0.005}), mlp)
  train(mlp, x, y, 150, opt)
  -- right after an optimizer step the pruned weights are still exactly zero
  assert_eq(mlp[3].weight:eq(0):logical_and(zero_before):long():sum():item(), zero_before:long():sum():item())
  local after = accuracy(mlp, tx, ty)
  print(string.format("    MLP test accuracy %.3f -> %.3f at 90%% global sparsity", before, after))
  assert_true(after >= before - 0.02, string.format("accuracy %.3f -> %.3f after pruning + fine-tuning", before, after))
  deploy.prune.remove(mlp)
  assert_true(rawget(mlp[1], "_prune_masks") == nil and rawget(mlp[1], "forward") == nil)
  assert_close(deploy.prune.report(mlp).sparsity, 0.9, 1e-3)
end)

-- 8x8 images of a horizontal bar, a vertical bar or a diagonal (classes 1..3) with noise.
local function bars(n, seed)
  torch.manual_seed(seed)
  local labels = torch.randint(1, 4, {n}):long()
  local pixels = (torch.randn(n, 8, 8) * 0.3):totable()
  local positions = torch.randint(2, 8, {n}):totable()
  for i, c in ipairs(labels:totable()) do
    local p = positions[i]
    for k = 1, 8 do
      local r, col = p, k
      if c == 2 then r, col = k, p elseif c == 3 then r, col = k, k end
      pixels[i][r][col] = pixels[i][r][col] + 1.5
    end
  end
  return torch.tensor(pixels):unsqueeze(2), labels
end

test("gradual global pruning to 90% + fine-tuning keeps a trained CNN within 2 points", function()
  local x, y = bars(300, 4)
  local tx, ty = bars(200, 5)
  torch.manual_seed(6)
  local cnn = nn.Sequential(nn.Conv2d(1, 8, 3, {padding = 1}), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(8, 16, 3, {padding = 1}), nn.ReLU(), nn.Flatten(), nn.Linear(16 * 16, 3))
  train(cnn, x, y, 80)
  local before = accuracy(cnn, tx, ty)
  assert_true(before > 0.9, "trained accuracy " .. before)
  -- gradual (iterative) pruning: 50%, 75%, then 90%, fine-tuning after each step
  local opt = deploy.prune.keep_masks(optim.Adam(cnn:parameters(), {lr = 0.003}), cnn)
  for _, amount in ipairs({0.5, 0.75, 0.9}) do
    deploy.prune.magnitude(cnn, {amount = amount})
    train(cnn, x, y, 30, opt)
  end
  local after = accuracy(cnn, tx, ty)
  print(string.format("    CNN test accuracy %.3f -> %.3f at 90%% global sparsity", before, after))
  assert_true(after >= before - 0.02, string.format("accuracy %.3f -> %.3f", before, after))
  assert_true(deploy.prune.report(cnn).sparsity >= 0.9 - 1e-3)
end)

test("per-layer magnitude pruning removes exactly the smallest weights of each layer", function()
  torch.manual_seed(7)
  local mlp = nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 5))
  local w = mlp[1].weight:clone()
  local report = deploy.prune.magnitude(mlp, {amount = 0.25, scope = "layer"})
  assert_eq(report.layers[1].zeros, 50)
  assert_eq(report.layers[2].zeros, 25)
  assert_true(tostring(report):find("sparsity", 1, true) ~= nil)
  -- every kept weight is at least as large as every pruned one
  local kept = w:abs()[mlp[1].weight:ne(0)]
  local pruned = w:abs()[mlp[1].weight:eq(0)]
  assert_true(kept:min():item() >= pruned:max():item())
  -- without keep_masks, the forward hook re-applies the masks before the layer runs
  local zeros = mlp[1].weight:eq(0)
  local x, y = torch.randn(16, 10), torch.randint(1, 6, {16}):long()
  train(mlp, x, y, 3, optim.SGD(mlp:parameters(), {lr = 0.1, momentum = 0.9}))
  assert_true(mlp[1].weight:eq(0):long():sum():item() < 50, "a plain optimizer step moves pruned weights")
  mlp(x)
  assert_eq(mlp[1].weight:eq(0):logical_and(zeros):long():sum():item(), 50)
  assert_error(function() deploy.prune.magnitude(mlp, {amount = 1.5}) end, "[prune] amount must be")
  assert_error(function() deploy.prune.magnitude(mlp, {scope = "row"}) end, "[prune] scope must be")
end)

test("structured pruning shrinks Linear shapes; outputs equal the original with those neurons silenced", function()
  torch.manual_seed(8)
  local model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 6), nn.Tanh(), nn.Linear(6, 3))
  local original = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 6), nn.Tanh(), nn.Linear(6, 3))
  original:load_state_dict(model:state_dict())
  local norms = model[1].weight:pow(2):sum(2):sqrt()
  local changes = deploy.prune.structured(model, {amount = 0.5, norm = 2})
  assert_eq(#changes, 2)
  assert_same(model[1].weight:size(), {4, 4})
  assert_same(model[1].bias:size(), {4})
  assert_same(model[3].weight:size(), {3, 4})
  assert_same(model[5].weight:size(), {3, 3})
  assert_same({model[1].out_features, model[3].in_features, model[3].out_features, model[5].in_features}, {4, 4, 3, 3})
  -- the kept neurons are the four with the largest L2 norms
  local _, order = norms:sort(1, true)
  assert_same(changes[1].kept:totable(), order:narrow(1, 1, 4):sort():totable())
  -- silence the removed neurons in the original: tanh(0) = relu(0) = 0, so outputs agree
  torch.no_grad(function()
    for k, layer in ipairs({1, 3}) do
      local keep = {}
      for _, i in ipairs(changes[k].kept:totable()) do keep[i] = true end
      for i = 1, original[layer].weight:size(1) do
        if not keep[i] then original[layer].weight[i] = 0; original[layer].bias[i] = 0 end
      end
    end
  end)
  local x = torch.randn(5, 4)
  assert_close(model(x), original(x), 1e-5)
end)

test("structured pruning of a CNN shrinks Conv2d, BatchNorm and the Linear after Flatten", function()
  torch.manual_seed(9)
  local function make()
    return nn.Sequential(nn.Conv2d(3, 8, 3, {padding = 1}), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
      nn.Conv2d(8, 6, 3, {padding = 1}), nn.BatchNorm2d(6), nn.ReLU(), nn.Flatten(), nn.Linear(6 * 4 * 4, 5))
  end
  local model, original = make(), make()
  model:train()
  torch.no_grad(function() model(torch.randn(16, 3, 8, 8)) end)   -- non-trivial running statistics
  original:load_state_dict(model:state_dict())
  model:eval(); original:eval()
  local x = torch.randn(2, 3, 8, 8)
  local changes = deploy.prune.structured(model, {amount = 0.5, norm = 1})
  assert_same(model[1].weight:size(), {4, 3, 3, 3})
  assert_same(model[2].running_mean:size(), {4})
  assert_same(model[5].weight:size(), {3, 4, 3, 3})
  assert_same(model[9].weight:size(), {5, 3 * 16})
  assert_same(model(x):size(), {2, 5})
  -- the first block's output is the original's at the kept channels
  local h, g = x, x
  for i = 1, 4 do h, g = model[i](h), original[i](g) end
  assert_close(h, g:index_select(2, changes[1].kept), 1e-5)
  -- silencing removed channels in the original (BatchNorm gamma = beta = 0) gives the same logits
  torch.no_grad(function()
    for k, bn in ipairs({2, 6}) do
      local keep = {}
      for _, i in ipairs(changes[k].kept:totable()) do keep[i] = true end
      for c = 1, original[bn].num_features do
        if not keep[c] then original[bn].weight[c] = 0; original[bn].bias[c] = 0 end
      end
    end
  end)
  assert_close(model(x), original(x), 1e-4)
  assert_error(function() deploy.prune.structured(nn.Linear(2, 2)) end, "[prune] structured pruning needs an nn.Sequential")
end)

test("distillation loss equals a manual computation and passes gradcheck in float64", function()
  local s = torch.tensor({{1.0, -0.5, 0.3}, {0.2, 0.8, -1.2}}, {dtype = "float64"})
  local t = torch.tensor({{2.0, 0.1, -0.7}, {-0.3, 1.5, 0.4}}, {dtype = "float64"})
  local y = torch.tensor({1, 2}, {dtype = "int64"})
  local T, alpha = 3, 0.6
  local st, tt, yt = s:totable(), t:totable(), y:totable()
  local kl, ce = 0, 0
  for i = 1, 2 do
    local zs, zt, z = 0, 0, 0
    for j = 1, 3 do
      zs = zs + math.exp(st[i][j] / T); zt = zt + math.exp(tt[i][j] / T); z = z + math.exp(st[i][j])
    end
    for j = 1, 3 do
      local p, q = math.exp(tt[i][j] / T) / zt, math.exp(st[i][j] / T) / zs
      kl = kl + p * math.log(p / q)
    end
    ce = ce - math.log(math.exp(st[i][yt[i]]) / z)
  end
  local expected = alpha * T * T * kl / 2 + (1 - alpha) * ce / 2
  assert_close(deploy.distill.loss(s, t, y, {T = T, alpha = alpha}):item(), expected, 1e-10)
  assert_close(deploy.distill.loss(s, t, nil, {T = T}):item(), T * T * kl / 2, 1e-10)
  local sg = s:clone():requires_grad_(true)
  assert_true(nn.utils.gradcheck(function() return deploy.distill.loss(sg, t, y, {T = T, alpha = alpha}) end, {sg}))
  assert_error(function() deploy.distill.loss(s, t:narrow(2, 1, 2), y) end, "[distill] student and teacher logits")
  assert_error(function() deploy.distill.loss(s, t, y, {alpha = 2}) end, "[distill] alpha must be")
end)

test("distill.fit trains a small student from a trained teacher", function()
  local x, y = blobs(400, 10)
  torch.manual_seed(11)
  local teacher = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 3))
  train(teacher, x, y, 150)
  local student = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 3))
  local loader = data.DataLoader(data.TensorDataset(x, y), {batch_size = 50, shuffle = true, seed = 1})
  local history = deploy.distill.fit(student, teacher, loader, {epochs = 15, lr = 0.02, T = 2, alpha = 0.7})
  assert_eq(#history, 15)
  assert_true(history[15] < history[1], string.format("loss %.3f -> %.3f", history[1], history[15]))
  assert_true(accuracy(student, x, y) > 0.85)
  assert_true(teacher.training, "the teacher's mode is restored")
end)

test("deploy.report gives parameters, sizes, MACs, latency and accuracy", function()
  local x, y = blobs(100, 12)
  torch.manual_seed(13)
  local model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 3))
  local loader = data.DataLoader(data.TensorDataset(x, y), {batch_size = 25})
  local r = deploy.report(model, {input = x:narrow(1, 1, 4), data = loader, runs = 20})
  assert_eq(r.params, 2 * 32 + 32 + 32 * 3 + 3)
  assert_true(r.bytes_float32 >= 4 * r.params and r.bytes_float32 < 4 * r.params + 1024)
  assert_eq(r.bytes_int8, 64 + 4 * 32 + 4 * 32 + 96 + 4 * 3 + 4 * 3)
  assert_eq(r.bytes_int4, 32 + 4 * 32 + 4 * 32 + 48 + 4 * 3 + 4 * 3)
  assert_eq(r.macs, 2 * 32 + 32 * 3)          -- per sample, whatever the example's batch
  assert_true(r.latency_ms > 0 and r.latency_ms < 100)
  assert_close(r.accuracy, accuracy(model, x, y), 1e-9)
  assert_true(tostring(r):find("MACs", 1, true) ~= nil)
  assert_true(model.training)
  assert_error(function() deploy.report(model, {data = 3}) end, "[report] data must be a loader")
end)

test("export_onnx errors name unsupported modules and ops with their path, and unwritable paths", function()
  local dir = os.tmpname()
  os.remove(dir)
  local Wrapper = nn.Module:extend("ExportErrWrapper")
  function Wrapper:init() self.attn = nn.MultiheadAttention(8, 2, {batch_first = true}) end
  function Wrapper:forward(x) return (self.attn(x, x, x)) end
  assert_error(function() deploy.export_onnx(Wrapper(), torch.randn(2, 3, 8), dir .. ".onnx") end,
    "[export_onnx] unsupported module MultiheadAttention (at model.attn)")
  local Cum = nn.Module:extend("ExportErrCumsum")
  function Cum:init() self.fc = nn.Linear(3, 3) end
  function Cum:forward(x) return self.fc(x):cumsum(2) end
  assert_error(function() deploy.export_onnx(Cum(), torch.randn(2, 3), dir .. ".onnx") end,
    "[export_onnx] unsupported tensor operation x:cumsum() (at model)")
  local model = nn.Sequential(nn.Linear(3, 2))
  assert_error(function() deploy.export_onnx(model, torch.randn(2, 3), "/nonexistent-dir/model.onnx") end,
    "[export_onnx] cannot create /nonexistent-dir/model.onnx")
  assert_error(function() deploy.export_onnx(model, torch.randn(2, 3), dir .. ".onnx", {opset = 9}) end,
    "[export_onnx] opset must be")
  assert_error(function() deploy.export_onnx(model, "x", dir .. ".onnx") end, "[export_onnx] example_input must be")
  -- a failed export leaves the model and tensors untouched
  assert_true(rawget(model[1], "forward") == nil and rawget(model, "forward") == nil)
  assert_true(model.training)
  assert_close(torch.ones(2) + torch.ones(2), torch.full({2}, 2), 0)
end)

test("export_onnx writes a file and restores the model", function()
  local path = os.tmpname()
  local model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
  local before = torch.Tensor.add
  local info = deploy.export_onnx(model, torch.randn(2, 3), path, {input_names = {"x"}, output_names = {"logits"}})
  assert_same(info.inputs, {"x"})
  assert_same(info.outputs, {"logits"})
  local f = io.open(path, "rb")
  local size = f:seek("end")
  f:close()
  os.remove(path)
  assert_eq(size, info.bytes)
  assert_true(size > 4 * (3 * 4 + 4 + 4 * 2 + 2))
  assert_true(torch.Tensor.add == before and rawget(model[1], "forward") == nil and model.training)
end)
