-- Lumen CNN example: a small convolutional network learns to tell horizontal, vertical and
-- diagonal bars apart in noisy 16x16 images, trained with augmentation (half turns that keep
-- the class, random shifts) and Adam, then reports its architecture and test accuracy.
-- Run: lumen examples/cnn.lua
local augment = require "lumen.augment"
local F = nn.functional
torch.manual_seed(0)

local config = {
  train = 1200,     -- training images
  test = 400,       -- test images
  epochs = 4,       -- passes over the training set
  batch = 32,       -- images per step
  lr = 3e-3,        -- Adam learning rate
  noise = 0.3,      -- pixel noise (standard deviation)
}

-- %% Data: one bar per image; class 1 horizontal, 2 vertical, 3 diagonal (top-left to bottom-right).
local function bars(n)
  local labels = torch.randint(1, 4, {n})
  local rows = torch.arange(1, 17):reshape(1, 16, 1)
  local cols = torch.arange(1, 17):reshape(1, 1, 16)
  local at = torch.randint(3, 15, {n, 1, 1})
  local from, length = torch.randint(1, 7, {n, 1, 1}), torch.randint(7, 11, {n, 1, 1})
  local function span(v) return v:ge(from):logical_and(v:lt(from + length)) end
  local horizontal = rows:eq(at):logical_and(span(cols))
  local vertical = cols:eq(at):logical_and(span(rows))
  local diagonal = (rows - cols):eq(at - 8):logical_and(span(cols))
  local l = labels:reshape(n, 1, 1)
  local image = torch.where(l:eq(1), horizontal, torch.where(l:eq(2), vertical, diagonal)):float()
  return (image + torch.randn(n, 16, 16) * config.noise):unsqueeze(2), labels
end
local x, y = bars(config.train)
local x_test, y_test = bars(config.test)

-- %% Model
local net = nn.Sequential(
  nn.Conv2d(1, 8, 3, {padding = 1}), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),   -- (N,8,8,8)
  nn.Conv2d(8, 16, 3, {padding = 1}), nn.ReLU(), nn.MaxPool2d(2),                     -- (N,16,4,4)
  nn.Flatten(), nn.Linear(16 * 4 * 4, 3))
nn.utils.summary(net, {1, 1, 16, 16})

-- %% Training: half the images turned by 180 degrees (which keeps every class: a diagonal stays
-- the same diagonal, unlike a flip) and all shifted by up to a pixel.
local loader = data.DataLoader(data.TensorDataset(x, y), {batch_size = config.batch, shuffle = true,
  batch_transform = augment.compose({augment.random_rotation({180, 180}, {p = 0.5}), augment.random_shift(1)})})
local opt = optim.Adam(net:parameters(), {lr = config.lr})
for epoch = 1, config.epochs do
  local total, count = 0, 0
  for bx, by in loader:iter() do
    opt:zero_grad()
    local loss = F.cross_entropy(net(bx), by)
    loss:backward()
    opt:step()
    total, count = total + loss:item(), count + 1
  end
  print(string.format("epoch %d  loss %.4f", epoch, total / count))
end

-- %% Evaluation
net:eval()
local accuracy = torch.no_grad(function() return net(x_test):argmax(2):eq(y_test):float():mean():item() end)
print(string.format("test_accuracy %.3f", accuracy))
assert(accuracy > 0.9, "the network should tell the bars apart")
