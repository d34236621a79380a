-- 053 CNN architectures: convolution from scratch to EfficientNet's MBConv, on wafer maps.
--
-- What it teaches (for a learner who knows PyTorch):
--   * a 2-D convolution written with loops, then as im2col + matrix product, both equal to the
--     engine's F.conv2d (and the im2col version's gradients equal the engine's);
--   * max pooling from scratch; receptive-field arithmetic (RF and jump per layer), checked
--     against an empirical receptive field read off the gradient of one output pixel;
--   * the classic architectures in small form: LeNet-5, an AlexNet and a VGG, a ResNet (skip
--     connections), an Inception block, depthwise-separable convolutions and MBConv + SE (the
--     EfficientNet block), with a parameters / multiply-adds table from nn.utils.summary;
--   * data augmentation (rotations, flips, noise) with lumen.augment;
--   * learned first-layer filters and feature maps as images.
-- Domain application: 9-class wafer-map defect classification (WM-811K-like maps from
-- data.wafer_maps: Center, Donut, Edge-Loc, Edge-Ring, Loc, Near-full, Random, Scratch, none),
-- with a logistic-regression and an MLP baseline next to the CNNs, and a confusion matrix.
--
-- Run:   lumen scripts/053_cnn_architectures.lua [--quick] [--seed N] [--out DIR]
-- Runtime (2 cores): quick trains two CNNs (LeNet, VGG) on 26x26 maps: about 23 s of CPU time,
-- 45-70 s wall on a busy shared machine. Full trains all six on 32x32 maps: about 7 min of CPU
-- time (15 min wall when busy); the MBConv net is the slowest per multiply-add (depthwise
-- convolutions run channel by channel).
local augment = require "lumen.augment"
local F = nn.functional

local nb = notebook.start{
  id = "053", title = "CNN architectures",
  key_metrics = {"cnn_test_accuracy", "mlp_baseline_accuracy", "scratch_conv_max_diff"},
  config = {
    map_size = 32,            -- dies per wafer side (data.wafer_maps size, 26..64)
    n_train = 4500,           -- training maps (classes balanced)
    n_val = 900,              -- validation maps: pick the best architecture
    n_test = 1800,            -- test maps: report the chosen model once
    epochs = 10,              -- CNN epochs
    baseline_epochs = 30,     -- logistic regression / MLP epochs (cheap per epoch, so more of them)
    batch_size = 32,
    lr = 3e-3,                -- Adam, cosine-decayed to 0 over the run
    width = 8,                -- channels of the first stage of every CNN (doubled per stage)
    augment = true,           -- random 90-degree rotations and flips while training
    models = {"lenet", "alexnet", "vgg", "resnet", "inception", "mbconv"},
    margin = 0.10,            -- the CNN must beat the best baseline by this much (accuracy)
  },
  quick = {map_size = 26, n_train = 2700, n_val = 450, n_test = 900, epochs = 6, baseline_epochs = 15,
           models = {"lenet", "vgg"}},
}
local config = nb.config

-- %% ---------------------------------------------------------------------------------------
nb:section("1. Convolution from scratch")
-- A convolution layer slides each (C, kh, kw) filter over the (C, H, W) input: output pixel
-- (o, i, j) = bias[o] + sum over c, u, v of w[o][c][u][v] * x[c][(i-1)*stride + u - pad][(j-1)*stride + v - pad]
-- (zero outside the image). PyTorch calls this cross-correlation: the filter is not flipped.
-- First with plain loops over Lua arrays (slow, but every index is visible):

local function conv2d_loops(x, w, b, stride, pad)
  local N, C, H, W = table.unpack(x.shape)          -- x (N, C, H, W)
  local O, _, KH, KW = table.unpack(w.shape)        -- w (O, C, KH, KW), b (O)
  local OH, OW = (H + 2 * pad - KH) // stride + 1, (W + 2 * pad - KW) // stride + 1
  local xs, ws, bs = x:reshape(-1):totable(), w:reshape(-1):totable(), b:totable()
  local out = {}
  for n = 0, N - 1 do
    for o = 0, O - 1 do
      for i = 0, OH - 1 do
        for j = 0, OW - 1 do
          local s = bs[o + 1]
          for c = 0, C - 1 do
            for u = 0, KH - 1 do
              local y = i * stride + u - pad
              if y >= 0 and y < H then
                for v = 0, KW - 1 do
                  local xx = j * stride + v - pad
                  if xx >= 0 and xx < W then
                    s = s + ws[((o * C + c) * KH + u) * KW + v + 1] * xs[((n * C + c) * H + y) * W + xx + 1]
                  end
                end
              end
            end
          end
          out[#out + 1] = s
        end
      end
    end
  end
  return torch.tensor(out):reshape(N, O, OH, OW)
end

-- The way engines really do it, im2col: unfold every receptive field into a column
-- (N, C*KH*KW, L) and the convolution becomes one matrix product (O, C*KH*KW) @ columns.
local function conv2d_im2col(x, w, b, stride, pad)
  local N, _, H, W = table.unpack(x.shape)
  local O, _, KH, KW = table.unpack(w.shape)
  local OH, OW = (H + 2 * pad - KH) // stride + 1, (W + 2 * pad - KW) // stride + 1
  local columns = F.unfold(x, {KH, KW}, {padding = pad, stride = stride})   -- (N, C*KH*KW, OH*OW)
  local y = w:reshape(O, -1):matmul(columns) + b:reshape(1, O, 1)           -- (N, O, OH*OW)
  return y:reshape(N, O, OH, OW)
end

torch.manual_seed(nb.seed)
local scratch_diff = 0
local rows = {}
for _, case in ipairs({{stride = 1, pad = 1, k = 3}, {stride = 2, pad = 0, k = 3}, {stride = 2, pad = 2, k = 5}}) do
  local x = torch.randn(2, 3, 9, 9)
  local w, b = torch.randn(4, 3, case.k, case.k), torch.randn(4)
  local engine = F.conv2d(x, w, b, {stride = case.stride, padding = case.pad})
  local loops = conv2d_loops(x, w, b, case.stride, case.pad)
  local im2col = conv2d_im2col(x, w, b, case.stride, case.pad)
  local d_loops = (loops - engine):abs():max():item()
  local d_im2col = (im2col - engine):abs():max():item()
  scratch_diff = math.max(scratch_diff, d_loops, d_im2col)
  rows[#rows + 1] = {string.format("%dx%d stride %d pad %d", case.k, case.k, case.stride, case.pad),
    "(" .. table.concat(engine.shape, ",") .. ")", d_loops, d_im2col}
end
nb:table("scratch convolution vs F.conv2d (max abs difference)", {"kernel", "output", "loops", "im2col"}, rows)
nb:metric("scratch_conv_max_diff", scratch_diff, "%.2e")
nb:check("scratch conv (loops and im2col) = engine conv, max abs diff < 1e-4", scratch_diff < 1e-4,
  string.format("%.2e", scratch_diff))

-- Autograd through unfold + matmul gives the convolution's backward for free; it must agree
-- with the engine's fused conv2d backward.
do
  local x = torch.randn(2, 3, 8, 8, {dtype = "float64"}):requires_grad_()
  local w = torch.randn(5, 3, 3, 3, {dtype = "float64"}):requires_grad_()
  local b = torch.randn(5, {dtype = "float64"}):requires_grad_()
  local g = torch.randn(2, 5, 4, 4, {dtype = "float64"})          -- an upstream gradient
  local scratch_loss = (conv2d_im2col(x, w, b, 2, 1) * g):sum()
  scratch_loss:backward()
  local gx, gw, gb = x.grad:clone(), w.grad:clone(), b.grad:clone()
  x.grad, w.grad, b.grad = nil, nil, nil
  local engine_loss = (F.conv2d(x, w, b, {stride = 2, padding = 1}) * g):sum()
  engine_loss:backward()
  local d = math.max((gx - x.grad):abs():max():item(), (gw - w.grad):abs():max():item(), (gb - b.grad):abs():max():item())
  nb:metric("im2col_grad_max_diff", d, "%.2e")
  nb:check("im2col conv gradients = engine conv gradients (float64, < 1e-10)", d < 1e-10, string.format("%.2e", d))
end

-- %% ---------------------------------------------------------------------------------------
nb:section("2. Pooling")
-- Max pooling keeps the largest value of each window (a little translation invariance, and
-- the spatial size shrinks by the stride); average pooling keeps the mean.
local function max_pool_loops(x, k, stride)
  local N, C, H, W = table.unpack(x.shape)
  local OH, OW = (H - k) // stride + 1, (W - k) // stride + 1
  local xs, out = x:reshape(-1):totable(), {}
  for nc = 0, N * C - 1 do
    for i = 0, OH - 1 do
      for j = 0, OW - 1 do
        local m = -math.huge
        for u = 0, k - 1 do
          for v = 0, k - 1 do m = math.max(m, xs[(nc * H + i * stride + u) * W + j * stride + v + 1]) end
        end
        out[#out + 1] = m
      end
    end
  end
  return torch.tensor(out):reshape(N, C, OH, OW)
end
do
  local x = torch.randn(2, 3, 8, 9)
  local d2 = (max_pool_loops(x, 2, 2) - F.max_pool2d(x, 2)):abs():max():item()
  local d3 = (max_pool_loops(x, 3, 2) - F.max_pool2d(x, 3, {stride = 2})):abs():max():item()
  nb:metric("scratch_maxpool_max_diff", math.max(d2, d3), "%.2e")
  nb:check("scratch max pooling = F.max_pool2d", math.max(d2, d3) == 0, string.format("%.1e", math.max(d2, d3)))
  local avg = F.avg_pool2d(x, 2)
  print(string.format("(2,3,8,9) -> max_pool2d(2) %s, avg_pool2d(2) %s: one value per 2x2 window, last column dropped",
    "(" .. table.concat(F.max_pool2d(x, 2).shape, ",") .. ")", "(" .. table.concat(avg.shape, ",") .. ")"))
end

-- %% ---------------------------------------------------------------------------------------
nb:section("3. Receptive fields")
-- Layer l with kernel k, stride s, dilation d: the receptive field grows by (k - 1) * d times
-- the jump (distance in input pixels between neighboring outputs of the previous layer), and
-- the jump is multiplied by s:   rf_l = rf_{l-1} + (k - 1) * d * jump_{l-1},  jump_l = jump_{l-1} * s.
local function receptive_fields(layers, size)
  local rf, jump, out = 1, 1, {}
  for _, l in ipairs(layers) do
    local d = l.dilation or 1
    rf = rf + (l.k - 1) * d * jump
    jump = jump * l.s
    size = (size + 2 * (l.pad or 0) - d * (l.k - 1) - 1) // l.s + 1
    out[#out + 1] = {name = l.name, k = l.k, s = l.s, pad = l.pad or 0, d = d, size = size, jump = jump, rf = rf}
  end
  return out
end

-- The same stack as a linear network: every weight 1, no bias, average pooling (max pooling
-- would pass gradient through one input only). d out[center] / d input is nonzero exactly on
-- the center output's receptive field.
local function empirical_rf(layers, size)
  local modules = {}
  for _, l in ipairs(layers) do
    if l.pool then
      modules[#modules + 1] = nn.AvgPool2d(l.k, {stride = l.s, padding = l.pad or 0})
    else
      local conv = nn.Conv2d(1, 1, l.k, {stride = l.s, padding = l.pad or 0, dilation = l.dilation or 1, bias = false})
      torch.no_grad(function() conv.weight:fill_(1) end)
      modules[#modules + 1] = conv
    end
  end
  local x = torch.ones(1, 1, size, size):requires_grad_()
  local y = nn.Sequential(table.unpack(modules))(x)
  local ch, cw = (y.shape[3] + 1) // 2, (y.shape[4] + 1) // 2
  y:narrow(3, ch, 1):narrow(4, cw, 1):sum():backward()
  local touched = x.grad:reshape(size, size):ne(0):float()
  return touched:sum(2):gt(0):sum():item(), touched:sum(1):gt(0):sum():item()   -- rows, columns
end

local stacks = {
  {name = "LeNet-5", layers = {
    {name = "conv1 5x5 pad 2", k = 5, s = 1, pad = 2}, {name = "pool1 2x2", k = 2, s = 2, pool = true},
    {name = "conv2 5x5", k = 5, s = 1}, {name = "pool2 2x2", k = 2, s = 2, pool = true}}},
  {name = "VGG (this script's)", layers = {
    {name = "conv1a 3x3", k = 3, s = 1, pad = 1}, {name = "conv1b 3x3", k = 3, s = 1, pad = 1},
    {name = "pool1 2x2", k = 2, s = 2, pool = true},
    {name = "conv2a 3x3", k = 3, s = 1, pad = 1}, {name = "conv2b 3x3", k = 3, s = 1, pad = 1},
    {name = "pool2 2x2", k = 2, s = 2, pool = true},
    {name = "conv3 3x3", k = 3, s = 1, pad = 1}, {name = "pool3 2x2", k = 2, s = 2, pool = true}}},
  {name = "dilated", layers = {
    {name = "conv 3x3", k = 3, s = 1, pad = 1}, {name = "conv 3x3 dil 2", k = 3, s = 1, pad = 2, dilation = 2},
    {name = "conv 3x3 dil 4", k = 3, s = 1, pad = 4, dilation = 4}}},
}
local rf_ok = true
for _, stack in ipairs(stacks) do
  local table_rows = {}
  local layers = receptive_fields(stack.layers, config.map_size)
  for _, l in ipairs(layers) do
    table_rows[#table_rows + 1] = {l.name, l.k, l.s, l.pad, l.d, l.size .. "x" .. l.size, l.jump, l.rf}
  end
  nb:table("receptive field, " .. stack.name .. " (input " .. config.map_size .. "x" .. config.map_size .. ")",
    {"layer", "k", "stride", "pad", "dil", "output", "jump", "RF"}, table_rows)
  local rf = layers[#layers].rf
  local rows_seen, cols_seen = empirical_rf(stack.layers, 4 * rf + 8)
  print(string.format("  %s: formula RF %d, gradient footprint %dx%d", stack.name, rf, rows_seen, cols_seen))
  rf_ok = rf_ok and rows_seen == rf and cols_seen == rf
end
nb:check("receptive-field formula = gradient footprint (3 stacks)", rf_ok)
-- On a 26x26 map the VGG's last conv sees 24x24 dies (28 after the last pooling), nearly the
-- whole wafer; and the flattened features keep their position for the linear layer, which is
-- how it tells an Edge-Loc cluster from a Loc one.

-- %% ---------------------------------------------------------------------------------------
nb:section("4. Architectures")
-- Small versions of the classic designs, sized for 1-channel wafer maps (S x S dies).
-- Every model maps (N, 1, S, S) -> (N, 9) class scores. W = config.width.
local S, W, CLASSES = config.map_size, config.width, 9

-- Linear layer input size after `features` (a dummy forward instead of hand arithmetic).
local function flat_size(features)
  return torch.no_grad(function() return features(torch.zeros(1, 1, S, S)):numel() end)
end

local builders = {}

-- LeNet-5 (LeCun 1998): two 5x5 conv + pool stages, then three fully connected layers.
function builders.lenet()
  local features = nn.Sequential(nn.Conv2d(1, 6, 5, {padding = 2}), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten())
  return nn.Sequential(features, nn.Linear(flat_size(features), 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
    nn.Linear(84, CLASSES))
end

-- AlexNet (2012) in miniature: a large strided first kernel, overlapping 3x3/2 max pooling,
-- then 3x3 convs, and dropout in the classifier.
function builders.alexnet()
  local features = nn.Sequential(nn.Conv2d(1, 2 * W, 5, {stride = 2, padding = 2}), nn.ReLU(),
    nn.MaxPool2d(3, {stride = 2}),
    nn.Conv2d(2 * W, 4 * W, 3, {padding = 1}), nn.ReLU(), nn.Conv2d(4 * W, 4 * W, 3, {padding = 1}), nn.ReLU(),
    nn.Flatten())
  return nn.Sequential(features, nn.Dropout(0.3), nn.Linear(flat_size(features), 64), nn.ReLU(), nn.Dropout(0.3),
    nn.Linear(64, CLASSES))
end

-- VGG (2014): only 3x3 convolutions (two stacked 3x3 see as far as one 5x5 with fewer
-- weights), BatchNorm (a later addition), channels doubling as the map halves.
local function conv_bn(cin, cout) return {nn.Conv2d(cin, cout, 3, {padding = 1, bias = false}), nn.BatchNorm2d(cout), nn.ReLU()} end
local function seq(...)
  local modules = {}
  for _, group in ipairs({...}) do
    if group.forward then modules[#modules + 1] = group else for _, m in ipairs(group) do modules[#modules + 1] = m end end
  end
  return nn.Sequential(table.unpack(modules))
end
function builders.vgg()
  local features = seq(conv_bn(1, W), conv_bn(W, W), nn.MaxPool2d(2),
    conv_bn(W, 2 * W), conv_bn(2 * W, 2 * W), nn.MaxPool2d(2),
    conv_bn(2 * W, 4 * W), nn.MaxPool2d(2), nn.Flatten())
  return nn.Sequential(features, nn.Linear(flat_size(features), CLASSES))
end

-- ResNet (2015): BasicBlocks add their input back (out = relu(F(x) + x)), so gradients reach
-- early layers through the identity paths; a 1x1 strided conv matches shapes when a block
-- downsamples. Global average pooling then a linear layer, as in the paper.
function builders.resnet()
  return nn.Sequential(seq(conv_bn(1, W)), nn.BasicBlock(W, W), nn.BasicBlock(W, 2 * W, {stride = 2}),
    nn.BasicBlock(2 * W, 4 * W, {stride = 2}), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4 * W, CLASSES))
end

-- Inception (GoogLeNet, 2014): parallel 1x1, 3x3, 5x5 and pooled branches concatenated; 1x1
-- "reduce" convolutions keep the 3x3/5x5 branches cheap.
function builders.inception()
  local b1 = nn.InceptionBlock(2 * W, W, W, 2 * W, W // 2, W, W)               -- -> 5W channels
  local b2 = nn.InceptionBlock(5 * W, 2 * W, 2 * W, 3 * W, W // 2, W, W)       -- -> 7W channels
  return nn.Sequential(seq(conv_bn(1, 2 * W)), nn.MaxPool2d(2), b1, nn.MaxPool2d(2), b2,
    nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(7 * W, CLASSES))
end

-- EfficientNet / MobileNetV2 idea: MBConv = 1x1 expand, depthwise 3x3, squeeze-and-excitation
-- (channel attention), 1x1 project, plus a residual when shapes allow. A stride-2 stem as in
-- EfficientNet keeps the expanded (wide) layers off the full-resolution map.
function builders.mbconv()
  return nn.Sequential(nn.Conv2d(1, 2 * W, 3, {stride = 2, padding = 1, bias = false}), nn.BatchNorm2d(2 * W), nn.SiLU(),
    nn.MBConv(2 * W, 2 * W, {expand_ratio = 1}), nn.MBConv(2 * W, 3 * W, {stride = 2, expand_ratio = 4}),
    nn.MBConv(3 * W, 3 * W, {expand_ratio = 4}), nn.MBConv(3 * W, 5 * W, {stride = 2, expand_ratio = 4}),
    nn.Conv2d(5 * W, 16 * W, 1, {bias = false}), nn.BatchNorm2d(16 * W), nn.SiLU(),
    nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16 * W, CLASSES))
end

local names = {lenet = "LeNet-5", alexnet = "AlexNet (mini)", vgg = "VGG (mini)", resnet = "ResNet (mini)",
  inception = "Inception (mini)", mbconv = "MBConv+SE (mini)"}
local order = {"lenet", "alexnet", "vgg", "resnet", "inception", "mbconv"}
local summaries = {}
do
  local table_rows = {}
  for _, key in ipairs(order) do
    torch.manual_seed(nb.seed)
    local s = nn.utils.summary(builders[key](), {1, 1, S, S}, {print = false})
    summaries[key] = s
    table_rows[#table_rows + 1] = {names[key], s.total_params, string.format("%.2f", s.total_flops / 1e6), #s.rows}
  end
  nb:table("architectures on a " .. S .. "x" .. S .. " map", {"model", "params", "MMACs", "modules"}, table_rows)
end
-- LeNet and AlexNet keep most parameters in fully connected layers (one multiply-add each per
-- map); the VGG and ResNet have few parameters but run 3x3 convs over the full-resolution map,
-- so most multiply-adds; the MBConv net's depthwise convs and SE are cheap per parameter.

-- Depthwise-separable convolution: a per-channel 3x3 then a 1x1 mixing channels costs about
-- 1/C_out + 1/9 of a full 3x3 convolution.
do
  local cin, cout = 32, 64
  local full = nn.utils.summary(nn.Conv2d(cin, cout, 3, {padding = 1, bias = false}), {1, cin, 16, 16}, {print = false})
  local ds = nn.utils.summary(nn.DepthwiseSeparableConv(cin, cout, {norm = false, activation = false}),
    {1, cin, 16, 16}, {print = false})
  local se = nn.utils.summary(nn.SqueezeExcitation(cout, cout // 4), {1, cout, 16, 16}, {print = false})
  nb:table("a 3x3 layer 32 -> 64 channels on 16x16", {"layer", "params", "MACs", "MACs vs full"}, {
    {"Conv2d 3x3", full.total_params, full.total_flops, "1.00"},
    {"depthwise 3x3 + pointwise 1x1", ds.total_params, ds.total_flops, string.format("%.3f", ds.total_flops / full.total_flops)},
    {"SqueezeExcitation(64, 16)", se.total_params, se.total_flops, string.format("%.3f", se.total_flops / full.total_flops)},
  })
  local expected = 1 / cout + 1 / 9
  nb:check("depthwise-separable MACs ratio = 1/C_out + 1/k^2", math.abs(ds.total_flops / full.total_flops - expected) < 0.01,
    string.format("%.4f vs %.4f", ds.total_flops / full.total_flops, expected))
end

-- %% ---------------------------------------------------------------------------------------
nb:section("5. Wafer maps and augmentation")
-- WM-811K-like maps: 0 off-wafer, 0.5 pass, 1 fail. Classes are balanced here; train / val /
-- test are disjoint draws of one generator run.
local wm = data.wafer_maps{n = config.n_train + config.n_val + config.n_test, size = S, seed = 1000 + nb.seed}
local function split(from, count) return wm.maps:narrow(1, from, count), wm.labels:narrow(1, from, count) end
local x_train, y_train = split(1, config.n_train)
local x_val, y_val = split(config.n_train + 1, config.n_val)
local x_test, y_test = split(config.n_train + config.n_val + 1, config.n_test)
print(string.format("maps (N,1,%d,%d): train %d, val %d, test %d", S, S, config.n_train, config.n_val, config.n_test))

-- Two maps of every class, as a test engineer sees them.
do
  local picks = {}
  for c = 1, CLASSES do
    local found = 0
    for i = 1, config.n_test do
      if y_test[i] == c then picks[#picks + 1] = config.n_train + config.n_val + i; found = found + 1 end
      if found == 2 then break end
    end
  end
  local index = torch.tensor(picks, {dtype = "int64"})
  plot.wafer_maps(nb:figure("wafer_classes.png", "Two test maps of each of the 9 classes"),
    wm.maps:index_select(1, index), {labels = wm.labels:index_select(1, index), class_names = wm.classes, cols = 6,
    title = "Wafer map classes (WM-811K-like)"})
end

-- Wafer patterns have no preferred orientation (a scratch can run any way, an edge cluster sit
-- anywhere on the rim), so rotations by 90 degrees and flips make new, equally valid maps.
-- Noise (small Gaussian jitter on the die values) is shown too, but not used in training.
local train_transform = augment.compose({augment.random_rot90(), augment.random_hflip()})
do
  local i = 0
  for k = 1, config.n_train do if y_train[k] == 8 then i = k; break end end   -- a Scratch map
  local one = x_train:narrow(1, i, 1)
  torch.manual_seed(nb.seed)
  local views = {one, augment.rot90(one, 1), augment.hflip(one), augment.vflip(one),
    augment.gaussian_noise({std = 0.1})(one), train_transform(one)}
  plot.images(nb:figure("augmentation.png", "One Scratch map under the augmentations"), torch.cat(views, 1),
    {titles = {"original", "rot90", "hflip", "vflip", "noise 0.1", "random"}, columns = 6, normalize = false,
    title = "Augmentations of a Scratch map"})
end

-- %% ---------------------------------------------------------------------------------------
nb:section("6. Training")
-- One loop for every model: Adam, cosine learning-rate decay per step, mini-batches, the
-- augmentations above; BatchNorm/Dropout switch with train()/eval().
local function accuracy(model, x, y)
  model:eval()
  return torch.no_grad(function()
    local correct = 0
    for b = 1, x.shape[1], 500 do
      local n = math.min(500, x.shape[1] - b + 1)
      correct = correct + model(x:narrow(1, b, n)):argmax(2):eq(y:narrow(1, b, n)):sum():item()
    end
    return correct / x.shape[1]
  end)
end

local function predict(model, x)
  model:eval()
  return torch.no_grad(function() return model(x):argmax(2) end)
end

local function train(model, epochs, opts)
  opts = opts or {}
  local optimizer = optim.Adam(model:parameters(), {lr = config.lr})
  local n, bs = config.n_train, config.batch_size
  local steps, step = epochs * math.ceil(n / bs), 0
  local history = {loss = {}, val = {}}
  local started = lumen_internal.clock()
  for _ = 1, epochs do
    model:train()
    local perm, total = torch.randperm(n), 0
    for b = 1, n, bs do
      local index = perm:narrow(1, b, math.min(bs, n - b + 1))
      local xb, yb = x_train:index_select(1, index), y_train:index_select(1, index)
      if config.augment then xb = train_transform(xb) end
      if opts.flatten then xb = xb:reshape(xb.shape[1], -1) end
      step = step + 1
      optimizer:set_lr(config.lr * 0.5 * (1 + math.cos(math.pi * (step - 1) / steps)))
      local loss = F.cross_entropy(model(xb), yb)
      optimizer:zero_grad()
      loss:backward()
      optimizer:step()
      total = total + loss:item() * index.shape[1]
    end
    history.loss[#history.loss + 1] = total / n
    history.val[#history.val + 1] = accuracy(model, opts.flatten and x_val:reshape(config.n_val, -1) or x_val, y_val)
  end
  history.seconds = lumen_internal.clock() - started
  return history
end

-- The issue-7 baselines: no convolutions, the map flattened to S*S numbers.
local baselines = {}
do
  torch.manual_seed(nb.seed)
  local logistic = nn.Linear(S * S, CLASSES)
  local mlp = nn.Sequential(nn.Linear(S * S, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, CLASSES))
  for _, entry in ipairs({{"logistic regression", logistic}, {"MLP 256-128", mlp}}) do
    local history = train(entry[2], config.baseline_epochs, {flatten = true})
    local test = accuracy(entry[2], x_test:reshape(config.n_test, -1), y_test)
    baselines[#baselines + 1] = {name = entry[1], model = entry[2], val = history.val[#history.val], test = test,
      seconds = history.seconds, params = nn.utils.summary(entry[2], {1, S * S}, {print = false}).total_params}
    print(string.format("  %-20s val %.3f  test %.3f  (%.1f s)", entry[1], history.val[#history.val], test, history.seconds))
  end
end
nb:metric("logreg_baseline_accuracy", baselines[1].test)
nb:metric("mlp_baseline_accuracy", baselines[2].test)

local results, best = {}, nil
for _, key in ipairs(config.models) do
  torch.manual_seed(nb.seed)
  local model = builders[key]()
  local history = train(model, config.epochs)
  local r = {key = key, model = model, history = history, val = history.val[#history.val]}
  results[#results + 1] = r
  print(string.format("  %-20s val %.3f  (%d epochs, %.1f s)", names[key], r.val, config.epochs, history.seconds))
  if best == nil or r.val > best.val then best = r end
end
-- The architecture is chosen on validation accuracy; the test set is used once, for it.
best.test = accuracy(best.model, x_test, y_test)

do
  local table_rows = {}
  for _, b in ipairs(baselines) do
    table_rows[#table_rows + 1] = {b.name, b.params, "-", string.format("%.3f", b.val), string.format("%.3f", b.test),
      string.format("%.1f", b.seconds)}
  end
  for _, r in ipairs(results) do
    local s = summaries[r.key]
    table_rows[#table_rows + 1] = {names[r.key], s.total_params, string.format("%.2f", s.total_flops / 1e6),
      string.format("%.3f", r.val), r == best and string.format("%.3f", r.test) or "-",
      string.format("%.1f", r.history.seconds)}
  end
  nb:table("wafer-map classification (test accuracy for the baselines and the chosen CNN)",
    {"model", "params", "MMACs", "val acc", "test acc", "train s"}, table_rows)
end
do
  local series = {}
  for _, r in ipairs(results) do series[names[r.key]] = r.history.val end
  plot.line(nb:figure("val_accuracy.png", "Validation accuracy per epoch of each CNN"), series,
    {title = "Validation accuracy", xlabel = "epoch", ylabel = "accuracy"})
end

-- %% ---------------------------------------------------------------------------------------
nb:section("7. Results")
nb:metric("best_model", names[best.key])
nb:metric("cnn_test_accuracy", best.test)
local best_baseline = math.max(baselines[1].test, baselines[2].test)
nb:metric("cnn_margin_over_baseline", best.test - best_baseline)

local predicted = predict(best.model, x_test)
local confusion = metrics.confusion_matrix(predicted, y_test, CLASSES)
plot.heatmap(nb:figure("confusion.png", "Confusion matrix of the chosen CNN on the test maps"), confusion:double(),
  {row_labels = wm.classes, col_labels = wm.classes, cell_labels = true, xlabel = "predicted", ylabel = "true",
  title = names[best.key] .. " test confusion (counts)"})
do
  local table_rows = {}
  for c = 1, CLASSES do
    local n = confusion[c]:sum():item()
    table_rows[#table_rows + 1] = {wm.classes[c], n, string.format("%.3f", confusion[c][c] / math.max(n, 1))}
  end
  nb:table("per-class recall of " .. names[best.key], {"class", "maps", "recall"}, table_rows)
end

-- The maps it gets wrong (red captions: true class -> predicted class).
do
  local wrong = predicted:ne(y_test):nonzero():reshape(-1)
  local n = math.min(12, wrong.shape[1])
  if n > 0 then
    local index = wrong:narrow(1, 1, n)
    plot.wafer_maps(nb:figure("mistakes.png", "Test maps the chosen CNN misclassifies"), x_test:index_select(1, index),
      {labels = y_test:index_select(1, index), predictions = predicted:index_select(1, index), class_names = wm.classes,
      cols = 6, title = "Misclassified test maps (true->predicted)"})
  end
end

-- First-layer filters and what they respond to: edges of the wafer, fail clusters, rings.
do
  local first
  for _, m in ipairs(best.model:modules()) do
    if m.weight ~= nil and m.weight:dim() == 4 then first = m; break end
  end
  local filters = first.weight:detach()                         -- (C_out, 1, k, k)
  local titles = {}
  for i = 1, filters.shape[1] do titles[i] = "filter " .. i end
  plot.images(nb:figure("filters.png", "Learned first-layer filters of the chosen CNN"), filters,
    {titles = titles, columns = 8, title = names[best.key] .. " first-layer filters"})
  -- What the first convolution computes for one Donut and one Edge-Loc map (its outputs,
  -- before normalization and ReLU; each image stretched to its own range).
  local picks = {}
  for _, c in ipairs({2, 3}) do
    for i = 1, config.n_test do if y_test[i] == c then picks[#picks + 1] = i; break end end
  end
  local maps, map_titles = {}, {}
  best.model:eval()
  for _, i in ipairs(picks) do
    local x = x_test:narrow(1, i, 1)
    local activation = torch.no_grad(function() return first(x) end)   -- (1, C_out, S', S')
    if activation.shape[3] ~= S then activation = F.interpolate(activation, {size = {S, S}, mode = "nearest"}) end
    maps[#maps + 1] = x:reshape(1, S, S)
    map_titles[#map_titles + 1] = wm.classes[y_test[i]]
    local count = math.min(7, activation.shape[2])
    maps[#maps + 1] = activation:reshape(activation.shape[2], activation.shape[3], activation.shape[4]):narrow(1, 1, count)
    for k = 1, count do map_titles[#map_titles + 1] = "ch " .. k end
  end
  plot.images(nb:figure("feature_maps.png", "First-layer feature maps for a Donut and an Edge-Loc map"),
    torch.cat(maps, 1), {titles = map_titles, columns = 8, title = "First-layer feature maps"})
end

-- %% ---------------------------------------------------------------------------------------
nb:section("Outcome checks")
local floor = nb.quick and 0.90 or 0.95
nb:check(string.format("best CNN test accuracy >= %.2f", floor), best.test >= floor, string.format("%.3f", best.test))
nb:check(string.format("CNN beats the best baseline (logistic / MLP) by >= %.2f", config.margin),
  best.test - best_baseline >= config.margin,
  string.format("%.3f vs %.3f, margin %.3f", best.test, best_baseline, best.test - best_baseline))
nb:finish()
