-- optim from Lua: every optimizer trains an MLP past 97%, state dicts resume exactly,
-- schedules follow PyTorch's formulas, Lua-defined optimizers work, errors are clear.

-- Two interleaved half-moons-like clusters: separable by a small MLP, not by a line.
local function dataset(n, seed)
  torch.manual_seed(seed)
  local angle = torch.rand(n) * math.pi
  local label = torch.randint(2, {n})
  local sign = label:float() * 2 - 1
  local x = torch.stack({torch.cos(angle) * sign + (1 - sign) * 0.5, torch.sin(angle) * sign * 0.8}, 2)
  x = x + torch.randn(n, 2) * 0.05
  return x, label + 1
end

local function mlp()
  return nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 2))
end

local function train(make_optimizer, steps)
  local x, y = dataset(256, 1)
  torch.manual_seed(2)
  local net = mlp()
  local opt = make_optimizer(net:parameters())
  for _ = 1, steps do
    opt:zero_grad()
    local loss = nn.functional.cross_entropy(net(x), y)
    loss:backward()
    opt:step()
  end
  return metrics.accuracy(net(x), y)
end

local setups = {
  SGD = function(p) return optim.SGD(p, {lr = 0.1, momentum = 0.9}) end,
  SGD_nesterov = function(p) return optim.SGD(p, {lr = 0.1, momentum = 0.9, nesterov = true}) end,
  Adam = function(p) return optim.Adam(p, {lr = 0.01}) end,
  AdamW = function(p) return optim.AdamW(p, {lr = 0.01, weight_decay = 1e-4}) end,
  RMSprop = function(p) return optim.RMSprop(p, {lr = 0.005}) end,
  Adagrad = function(p) return optim.Adagrad(p, {lr = 0.1}) end,
}

for name, make in pairs(setups) do
  test("an MLP reaches > 97% with " .. name, function()
    local accuracy = train(make, 300)
    assert_true(accuracy > 0.97, string.format("%s accuracy %.3f", name, accuracy))
  end)
end

test("a checkpoint saved mid-training resumes to the exact same result", function()
  local x, y = dataset(128, 3)
  local function run(steps, net, opt)
    for _ = 1, steps do
      opt:zero_grad()
      nn.functional.cross_entropy(net(x), y):backward()
      opt:step()
    end
  end
  torch.manual_seed(4)
  local net = mlp()
  local opt = optim.Adam(net:parameters(), {lr = 0.01})
  run(10, net, opt)
  local path = os.tmpname() .. ".safetensors"
  torch.save(path, {model = net:state_dict(), optimizer = opt:state_dict()})
  run(10, net, opt)
  local uninterrupted = net:state_dict()

  torch.manual_seed(99)
  local resumed = mlp()
  local opt2 = optim.Adam(resumed:parameters(), {lr = 0.01})
  local checkpoint = torch.load(path)
  local model_state, optimizer_state = {}, {}
  for k, v in pairs(checkpoint) do
    if k:sub(1, 6) == "model." then model_state[k:sub(7)] = v else optimizer_state[k:sub(11)] = v end
  end
  resumed:load_state_dict(model_state)
  opt2:load_state_dict(optimizer_state)
  run(10, resumed, opt2)
  for k, v in pairs(resumed:state_dict()) do assert_close(v, uninterrupted[k], 0, k) end
  os.remove(path)
end)

test("parameter groups take their own learning rates", function()
  local a, b = torch.ones(2, {requires_grad = true}), torch.ones(2, {requires_grad = true})
  local opt = optim.SGD({{params = {a}}, {params = {b}, lr = 1}}, {lr = 0.1})
  ;(a:sum() + b:sum()):backward()
  opt:step()
  assert_close(a, {0.9, 0.9})
  assert_close(b, {0, 0})
  assert_eq(#opt.param_groups, 2)
  assert_close(opt:get_lr(), {0.1, 1})
end)

test("schedules follow PyTorch's formulas", function()
  local w = torch.ones(1, {requires_grad = true})
  local opt = optim.SGD({w}, {lr = 1})
  local step = optim.lr_scheduler.StepLR(opt, {step_size = 2, gamma = 0.5})
  local seen = {}
  for i = 1, 5 do seen[i] = opt:get_lr()[1]; step:step() end
  assert_close(seen, {1, 1, 0.5, 0.5, 0.25})
  local opt2 = optim.SGD({w}, {lr = 1})
  local cosine = optim.lr_scheduler.CosineAnnealingLR(opt2, {T_max = 4})
  cosine:step(); cosine:step()
  assert_close(opt2:get_lr()[1], 0.5, 1e-9)
  local opt3 = optim.SGD({w}, {lr = 1})
  local multi = optim.lr_scheduler.MultiStepLR(opt3, {milestones = {1, 3}, gamma = 0.1})
  multi:step(); assert_close(opt3:get_lr()[1], 0.1, 1e-12)
  multi:step(); multi:step(); assert_close(opt3:get_lr()[1], 0.01, 1e-12)
  local opt4 = optim.SGD({w}, {lr = 1})
  local plateau = optim.lr_scheduler.ReduceLROnPlateau(opt4, {patience = 1, factor = 0.5})
  plateau:step(1); plateau:step(1); plateau:step(1)
  assert_close(opt4:get_lr()[1], 0.5)
end)

test("an optimizer written in Lua", function()
  local SignSGD = optim.Optimizer:extend("SignSGD")
  SignSGD.defaults = {lr = 0.1}
  function SignSGD:update(p, grad, state, group) p:copy_(p - torch.sign(grad) * group.lr) end
  torch.sign = torch.sign or function(t) return t:gt(0):float() - t:lt(0):float() end
  local w = torch.tensor({1.0, -1.0}, {requires_grad = true})
  local opt = SignSGD({w})
  ;(w * w):sum():backward()
  opt:step()
  assert_close(w, {0.9, -0.9})
  opt:zero_grad()
  assert_true(w.grad == nil)
end)

test("gradient clipping", function()
  local w = torch.ones(4, {requires_grad = true})
  ;(w * 3):sum():backward()
  local norm = optim.clip_grad_norm_({w}, 1)
  assert_close(norm, 6)
  assert_close(w.grad:norm():item(), 1, 1e-5)
  optim.clip_grad_value_({w}, 0.1)
  assert_close(w.grad, {0.1, 0.1, 0.1, 0.1})
end)

test("optimizer errors are clear", function()
  assert_error(function() optim.SGD(mlp(), {lr = 0.1}) end, "[SGD] expected a list of tensors")
  assert_error(function() optim.SGD({}, {lr = 0.1}) end, "empty parameter list")
  assert_error(function() optim.Adam({torch.ones(2, {requires_grad = true})}, {lr = -1}) end, "[adam]")
  assert_error(function() optim.SGD({torch.ones(2, {requires_grad = true})}, {lr = 0.1, momentom = 0.9}) end, "unknown option")
  local opt = optim.SGD({torch.ones(2, {requires_grad = true})}, {lr = 0.1})
  assert_error(function() opt:load_state_dict({}) end, "not an optimizer state")
end)
