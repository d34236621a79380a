-- Lumen demo: fit a tiny two-layer network to a noisy XOR-like pattern with autograd and
-- plain gradient descent, printing the loss as it falls. Run: lumen examples/demo.lua
torch.manual_seed(0)

local config = {
  samples = 512,    -- training points
  hidden = 16,      -- hidden units
  steps = 300,      -- gradient steps
  lr = 0.5,         -- learning rate
}

-- Data: points in [-1, 1]², label 1 when x·y > 0 (XOR of the signs).
local x = torch.rand(config.samples, 2) * 2 - 1
local y = (x:select(2, 1) * x:select(2, 2)):gt(0):float():unsqueeze(2)

-- Parameters, initialised like PyTorch's Linear.
local function uniform(rows, cols, bound)
  return (torch.rand(rows, cols) * 2 - 1) * bound
end
local w1 = uniform(2, config.hidden, 1 / math.sqrt(2)):requires_grad_()
local b1 = torch.zeros(config.hidden, {requires_grad = true})
local w2 = uniform(config.hidden, 1, 1 / math.sqrt(config.hidden)):requires_grad_()
local b2 = torch.zeros(1, {requires_grad = true})
local params = {w1, b1, w2, b2}

local first_loss, loss
for step = 1, config.steps do
  local hidden = torch.tanh(x:matmul(w1) + b1)
  local p = torch.sigmoid(hidden:matmul(w2) + b2)
  loss = -(y * torch.log(p + 1e-7) + (1 - y) * torch.log(1 - p + 1e-7)):mean()
  loss:backward()
  torch.no_grad(function()
    for _, w in ipairs(params) do
      w:copy_(w - w.grad * config.lr)
      w.grad = nil
    end
  end)
  first_loss = first_loss or loss:item()
  if step % 50 == 0 or step == 1 then print(string.format("step %4d  loss %.4f", step, loss:item())) end
end

local predictions = torch.no_grad(function()
  return torch.sigmoid(torch.tanh(x:matmul(w1) + b1):matmul(w2) + b2):gt(0.5):float()
end)
local accuracy = predictions:eq(y):float():mean():item()
print(string.format("accuracy=%.3f", accuracy))
assert(loss:item() < first_loss / 2, "the loss should at least halve")
