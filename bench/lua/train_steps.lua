-- Training-step workloads of the shared reference (same shapes as PyTorch's torch_ref.py):
-- prints `name value unit` lines to compare side by side.
local F = nn.functional
torch.manual_seed(0)

local util = dofile((arg[0]:match("^(.*)/") or ".") .. "/bench_util.lua")
local timeit, report = util.timeit, util.report

-- MLP 784-256-128-10 (ReLU), batch 64, cross-entropy, SGD momentum 0.9.
local mlp = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
local opt = optim.SGD(mlp:parameters(), {lr = 0.01, momentum = 0.9})
local x, y = torch.randn(64, 784), torch.randint(1, 11, {64})
report("mlp_step_ms", timeit(function()
  opt:zero_grad()
  F.cross_entropy(mlp(x), y):backward()
  opt:step()
end, 300) * 1e3, "ms")

-- Small CNN on 1x32x32 (wafer-map size), batch 32, Adam (when the conv layers exist).
if nn.Conv2d and nn.MaxPool2d then
  local cnn = nn.Sequential(nn.Conv2d(1, 16, 3, {padding = 1}), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(16, 32, 3, {padding = 1}), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
    nn.Linear(32 * 8 * 8, 64), nn.ReLU(), nn.Linear(64, 9))
  local opt2 = optim.Adam(cnn:parameters(), {lr = 1e-3})
  local xc, yc = torch.randn(32, 1, 32, 32), torch.randint(1, 10, {32})
  report("cnn_step_ms", timeit(function()
    opt2:zero_grad()
    F.cross_entropy(cnn(xc), yc):backward()
    opt2:step()
  end, 100) * 1e3, "ms")
end
