-- End to end: a layer written in Lua trains inside Sequential with a plain SGD step.

-- A dense layer written from scratch (not nn.Linear): its own parameters, init and forward.
local Dense = nn.Module:extend("TestDense")
function Dense:init(n_in, n_out)
  self.w = nn.Parameter(torch.zeros(n_in, n_out))
  self.b = nn.Parameter(torch.zeros(n_out))
  nn.init.xavier_uniform_(self.w)
end
function Dense:forward(x) return x:matmul(self.w) + self.b end
function Dense:extra_repr() return string.format("%d -> %d", self.w:size(1), self.w:size(2)) end

-- Points in [-2, 2]^2, class 1 inside the circle r^2 < 1.6, class 2 outside, with a margin.
local function circles(n)
  local x = torch.rand(n * 2, 2) * 4 - 2
  local r2 = (x ^ 2):sum(2)
  local keep = (r2 - 1.6):abs():gt(0.15)
  local points = x[keep:unsqueeze(2):expand(n * 2, 2)]:reshape(-1, 2)
  local radius = (points ^ 2):sum(2)
  local labels = torch.where(radius:lt(1.6), 1, 2):long()
  return points, labels
end

local function accuracy(net, x, y)
  local _, predicted = net(x):max(2)
  return predicted:eq(y):double():mean():item()
end

test("an MLP with a Lua-defined layer learns a separable problem with SGD", function()
  torch.manual_seed(1)
  local x, y = circles(150)
  local net = nn.Sequential(Dense(2, 16), nn.Tanh(), Dense(16, 16), nn.ReLU(), nn.Linear(16, 2))
  assert_true(tostring(net):find("(1): TestDense(2 -> 16)", 1, true) ~= nil, tostring(net))
  local loss_fn = nn.CrossEntropyLoss()
  local lr = 0.5
  local first, last
  for step = 1, 300 do
    net:zero_grad()
    local loss = loss_fn(net(x), y)
    loss:backward()
    for _, p in ipairs(net:parameters()) do
      torch.no_grad(function() p:copy_(p - lr * p.grad) end)
    end
    if step == 1 then first = loss:item() end
    last = loss:item()
  end
  local acc = accuracy(net, x, y)
  assert_true(last < first / 4, string.format("loss %.4f -> %.4f", first, last))
  assert_true(acc > 0.97, "training accuracy " .. acc)
  local tx, ty = circles(100)
  assert_true(accuracy(net, tx, ty) > 0.95, "held-out accuracy " .. accuracy(net, tx, ty))
end)

test("training with BatchNorm and Dropout, then eval is deterministic", function()
  torch.manual_seed(2)
  local x, y = circles(100)
  local net = nn.Sequential(nn.Linear(2, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, 2))
  local params = net:parameters()
  for _ = 1, 200 do
    net:zero_grad()
    nn.functional.cross_entropy(net(x), y):backward()
    for _, p in ipairs(params) do torch.no_grad(function() p:copy_(p - 0.3 * p.grad) end) end
  end
  net:eval()
  assert_close(net(x), net(x), 0)
  assert_true(accuracy(net, x, y) > 0.95, "accuracy " .. accuracy(net, x, y))
  -- the trained weights survive a state-dict round trip into a fresh model
  local copy = nn.Sequential(nn.Linear(2, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, 2))
  copy:load_state_dict(net:state_dict())
  copy:eval()
  assert_close(copy(x), net(x), 1e-6)
end)
