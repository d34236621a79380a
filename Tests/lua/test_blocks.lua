-- Building blocks of CNN architectures (ResNet, Inception, MobileNet, EfficientNet) and the
-- model report nn.utils.summary. Blocks are checked against the same blocks written in PyTorch
-- (torchvision's layouts): state dict names in order, and outputs for fixed weights.

local gradcheck = nn.utils.gradcheck

local function randn(...) return torch.randn({...}, {dtype = "float64"}) end
local function shape(t) return table.concat(t:size(), ",") end

local function seq(sizes, k)
  local n = 1
  for _, s in ipairs(sizes) do n = n * s end
  return (torch.arange(0, n, {dtype = "float64"}) * (k or 0.37)):sin():reshape(sizes)
end
local function checksum(y)
  local flat = y:reshape(-1):to("float64")
  return (flat * (torch.arange(0, flat:numel(), {dtype = "float64"}) * 0.01):cos()):sum():item()
end

-- PyTorch (torchvision's BasicBlock, Bottleneck, googlenet.Inception with 3x3 branch3, and
-- efficientnet.MBConv with plain BatchNorm2d): outputs in training and eval mode after one
-- training step, the first BatchNorm's running mean, and the state dict keys.
local REF = {
  basic = {train = 46.1300672695348, eval = 34.5371058929359, running_mean = 0.0294256353967864,
    keys = "conv1.weight,bn1.weight,bn1.bias,bn1.running_mean,bn1.running_var,bn1.num_batches_tracked,conv2.weight,bn2.weight,bn2.bias,bn2.running_mean,bn2.running_var,bn2.num_batches_tracked,downsample.0.weight,downsample.1.weight,downsample.1.bias,downsample.1.running_mean,downsample.1.running_var,downsample.1.num_batches_tracked"},
  basic_identity = {train = -46.222636817588, eval = -33.9788332883076, running_mean = 0.00944122555860436,
    keys = "conv1.weight,bn1.weight,bn1.bias,bn1.running_mean,bn1.running_var,bn1.num_batches_tracked,conv2.weight,bn2.weight,bn2.bias,bn2.running_mean,bn2.running_var,bn2.num_batches_tracked"},
  bottleneck = {train = -35.0536746700439, eval = -37.9452137412597, running_mean = 0.00121693571649092,
    keys = "conv1.weight,bn1.weight,bn1.bias,bn1.running_mean,bn1.running_var,bn1.num_batches_tracked,conv2.weight,bn2.weight,bn2.bias,bn2.running_mean,bn2.running_var,bn2.num_batches_tracked,conv3.weight,bn3.weight,bn3.bias,bn3.running_mean,bn3.running_var,bn3.num_batches_tracked,downsample.0.weight,downsample.1.weight,downsample.1.bias,downsample.1.running_mean,downsample.1.running_var,downsample.1.num_batches_tracked"},
  inception = {train = -17.9247024675828, eval = -33.8948103384689, running_mean = 0.000368730217469541,
    keys = "branch1.conv.weight,branch1.bn.weight,branch1.bn.bias,branch1.bn.running_mean,branch1.bn.running_var,branch1.bn.num_batches_tracked,branch2.0.conv.weight,branch2.0.bn.weight,branch2.0.bn.bias,branch2.0.bn.running_mean,branch2.0.bn.running_var,branch2.0.bn.num_batches_tracked,branch2.1.conv.weight,branch2.1.bn.weight,branch2.1.bn.bias,branch2.1.bn.running_mean,branch2.1.bn.running_var,branch2.1.bn.num_batches_tracked,branch3.0.conv.weight,branch3.0.bn.weight,branch3.0.bn.bias,branch3.0.bn.running_mean,branch3.0.bn.running_var,branch3.0.bn.num_batches_tracked,branch3.1.conv.weight,branch3.1.bn.weight,branch3.1.bn.bias,branch3.1.bn.running_mean,branch3.1.bn.running_var,branch3.1.bn.num_batches_tracked,branch4.1.conv.weight,branch4.1.bn.weight,branch4.1.bn.bias,branch4.1.bn.running_mean,branch4.1.bn.running_var,branch4.1.bn.num_batches_tracked"},
  mbconv = {train = -86.9279648719441, eval = -46.9422800456018, running_mean = -0.00107632660781346,
    keys = "block.0.0.weight,block.0.1.weight,block.0.1.bias,block.0.1.running_mean,block.0.1.running_var,block.0.1.num_batches_tracked,block.1.0.weight,block.1.1.weight,block.1.1.bias,block.1.1.running_mean,block.1.1.running_var,block.1.1.num_batches_tracked,block.2.fc1.weight,block.2.fc1.bias,block.2.fc2.weight,block.2.fc2.bias,block.3.0.weight,block.3.1.weight,block.3.1.bias,block.3.1.running_mean,block.3.1.running_var,block.3.1.num_batches_tracked"},
  mbconv_stride = {train = 9.41418725177839, eval = 8.94956396189541, running_mean = -0.121254140914314,
    keys = "block.0.0.weight,block.0.1.weight,block.0.1.bias,block.0.1.running_mean,block.0.1.running_var,block.0.1.num_batches_tracked,block.1.fc1.weight,block.1.fc1.bias,block.1.fc2.weight,block.1.fc2.bias,block.2.0.weight,block.2.1.weight,block.2.1.bias,block.2.1.running_mean,block.2.1.running_var,block.2.1.num_batches_tracked"},
}

-- Fills every parameter as the PyTorch script does: sorted by PyTorch name, the j-th (0-based)
-- gets 0.5 * sin((0.3 + 0.01 j) * k) laid out in its shape.
local function fill_like_reference(m)
  local params = {}
  for _, pair in ipairs(m:named_parameters()) do
    params[#params + 1] = {nn.utils.shift_indices(pair[1], -1), pair[2]}
  end
  table.sort(params, function(a, b) return a[1] < b[1] end)
  torch.no_grad(function()
    for j, pair in ipairs(params) do pair[2]:copy_(seq(pair[2]:size(), 0.3 + 0.01 * (j - 1)) * 0.5) end
  end)
end

local function first_batchnorm(m)
  for _, mod in ipairs(m:modules()) do
    if mod.__name == "BatchNorm2d" then return mod end
  end
end

local function against_reference(name, m, channels)
  local ref = REF[name]
  m = m:double()
  local keys = {}
  for i, key in ipairs(m:state_dict_keys()) do keys[i] = nn.utils.shift_indices(key, -1) end
  assert_eq(table.concat(keys, ","), ref.keys, name .. " keys")
  fill_like_reference(m)
  local x = seq({2, channels, 8, 8})
  assert_close(checksum(m(x)), ref.train, 1e-9, name .. " train")
  assert_close(checksum(first_batchnorm(m).running_mean), ref.running_mean, 1e-9, name .. " running mean")
  m:eval()
  assert_close(checksum(m(x)), ref.eval, 1e-9, name .. " eval")
end

test("blocks match their PyTorch counterparts (names, order, outputs)", function()
  against_reference("basic", nn.BasicBlock(4, 6, {stride = 2}), 4)
  against_reference("basic_identity", nn.BasicBlock(4, 4), 4)
  against_reference("bottleneck", nn.Bottleneck(8, 4, {groups = 2, base_width = 32}), 8)
  against_reference("inception", nn.InceptionBlock(6, 2, 3, 4, 2, 3, 2, {branch3_kernel = 3}), 6)
  against_reference("mbconv", nn.MBConv(8, 8, {expand_ratio = 4}), 8)
  against_reference("mbconv_stride", nn.MBConv(8, 12, {expand_ratio = 1, kernel_size = 5, stride = 2}), 8)
end)

test("ResNet blocks: shapes, shortcuts and options", function()
  local x = torch.randn(2, 16, 8, 8)
  local same = nn.BasicBlock(16, 16)
  assert_eq(same.downsample, nil)
  assert_eq(shape(same(x)), "2,16,8,8")
  local down = nn.BasicBlock(16, 32, {stride = 2})
  assert_eq(shape(down(x)), "2,32,4,4")
  assert_eq(tostring(down.downsample[1]), "Conv2d(16, 32, kernel_size=(1, 1), stride=(2, 2), bias=false)")
  assert_true(nn.BasicBlock(16, 16, {downsample = true}).downsample ~= nil)
  local custom = nn.Sequential(nn.AvgPool2d(2), nn.Conv2d(16, 32, 1))
  assert_eq(nn.BasicBlock(16, 32, {stride = 2, downsample = custom}).downsample, custom)
  assert_error(function() nn.BasicBlock(16, 32, {downsample = false})(x) end, "[add]")
  local bottleneck = nn.Bottleneck(16, 4)
  assert_eq(bottleneck.downsample, nil)                        -- 16 = 4 * expansion
  assert_eq(shape(bottleneck(x)), "2,16,8,8")
  assert_eq(shape(nn.Bottleneck(16, 8, {stride = 2})(x)), "2,32,4,4")
  assert_eq(nn.Bottleneck.expansion, 4)
  -- a residual block outputs relu(F(x) + x): non-negative, and x itself when F is zeroed
  local block = nn.BasicBlock(16, 16)
  torch.no_grad(function() block.bn2.weight:zero_() end)
  local pos = x:abs()
  assert_close(block(pos), pos, 1e-6)
  assert_error(function() nn.BasicBlock(16, 16, {strides = 2}) end, "[BasicBlock] unknown option \"strides\"")
end)

test("Inception, depthwise-separable, squeeze-excitation and MBConv blocks", function()
  local x = torch.randn(2, 32, 8, 8)
  local inception = nn.InceptionBlock(32, 8, 12, 16, 4, 8, 8)
  assert_eq(inception.out_channels, 40)
  assert_eq(shape(inception(x)), "2,40,8,8")
  assert_eq(shape(inception.branch3[2].conv.weight), "8,4,5,5")

  local ds = nn.DepthwiseSeparableConv(32, 64, {stride = 2})
  assert_eq(shape(ds(x)), "2,64,4,4")
  assert_eq(shape(ds.depthwise.weight), "32,1,3,3")
  assert_eq(ds.depthwise.groups, 32)
  -- 3*3*32 + 32*64 weights (+ BN) versus 3*3*32*64 for a full convolution
  assert_eq(ds.depthwise.weight:numel() + ds.pointwise.weight:numel(), 288 + 2048)
  local plain = nn.DepthwiseSeparableConv(32, 16, {norm = false, activation = false, kernel_size = 5})
  assert_eq(#plain:parameters(), 4)
  assert_eq(shape(plain(x)), "2,16,8,8")
  local full = nn.Conv2d(32, 16, 5, {padding = 2, bias = false}):double()
  local sep = nn.DepthwiseSeparableConv(32, 16, {norm = false, activation = false}):double()
  assert_true(sep.depthwise.weight:numel() + sep.pointwise.weight:numel() < full.weight:numel() / 8)

  local se = nn.SqueezeExcitation(32, 8)
  local y = se(x)
  assert_eq(shape(y), "2,32,8,8")
  local ratio = y / x                                           -- one sigmoid scale per (sample, channel)
  assert_close(ratio:std({3, 4}):max():item(), 0, 1e-3)
  assert_true(ratio:min():item() > 0 and ratio:max():item() < 1)

  local mb = nn.MBConv(32, 32)
  assert_true(mb.use_res_connect)
  assert_eq(shape(mb(x)), "2,32,8,8")
  assert_eq(#mb.block, 4)
  assert_eq(shape(mb.block[1][1].weight), "192,32,1,1")
  assert_eq(shape(nn.MBConv(32, 48, {stride = 2, se_ratio = 0})(x)), "2,48,4,4")
  assert_eq(#nn.MBConv(32, 48, {expand_ratio = 1, se_ratio = 0}).block, 2)
  local sd = nn.MBConv(8, 8, {stochastic_depth_prob = 0.5})
  torch.manual_seed(3)
  local xs = torch.randn(64, 8, 4, 4)
  local branch = sd.block(xs)
  local out = sd(xs)
  local kept = (out - xs):abs():sum({2, 3, 4}):gt(1e-6):sum():item()
  assert_true(kept > 16 and kept < 48, "samples kept " .. kept)
  sd:eval()
  assert_close(sd(xs), sd.block(xs) + xs, 1e-5)
  assert_eq(shape(branch), "64,8,4,4")
end)

test("gradcheck through every block in float64", function()
  local cases = {
    {nn.BasicBlock(3, 4, {stride = 2}), {2, 3, 5, 5}},
    {nn.BasicBlock(3, 3), {2, 3, 4, 4}},
    {nn.Bottleneck(4, 2, {groups = 2, base_width = 64}), {2, 4, 4, 3}},
    {nn.InceptionBlock(3, 2, 2, 3, 1, 2, 2), {2, 3, 4, 4}},
    {nn.DepthwiseSeparableConv(3, 4, {stride = 2}), {2, 3, 5, 5}},
    {nn.SqueezeExcitation(4, 2), {2, 4, 3, 3}},
    {nn.MBConv(4, 4, {expand_ratio = 2}), {2, 4, 4, 4}},
    {nn.MBConv(4, 6, {expand_ratio = 1, stride = 2, kernel_size = 5}), {2, 4, 5, 5}},
  }
  for _, c in ipairs(cases) do
    local m = c[1]:double()
    local x = randn(table.unpack(c[2])):requires_grad_()
    local params = m:parameters()
    params[#params + 1] = x
    for _, mode in ipairs({"train", "eval"}) do
      if mode == "eval" then m:eval() end
      local ok, err = pcall(gradcheck, function() return m(x) end, params, {max_elements = 16})
      if not ok then error(m.__name .. " (" .. mode .. "): " .. err) end
    end
  end
end)

test("summary: per-layer shapes, parameters and multiply-adds", function()
  local cnn = nn.Sequential(nn.Conv2d(1, 16, 3, {padding = 1}), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(16, 32, 3, {padding = 1}), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
    nn.Linear(32 * 8 * 8, 64), nn.ReLU(), nn.Linear(64, 9))
  local r = nn.utils.summary(cnn, {1, 1, 32, 32}, {print = false})
  assert_eq(#r.rows, 10)
  assert_eq(r.rows[1].name, "1")
  assert_eq(r.rows[1].class, "Conv2d")
  assert_eq(table.concat(r.rows[1].output_shape, ","), "1,16,32,32")
  assert_eq(r.rows[1].params, 160)
  assert_eq(r.rows[1].flops, 32 * 32 * 16 * 9)
  assert_eq(r.rows[2].flops, 0)                                -- activations count nothing
  assert_eq(r.rows[4].flops, 16 * 16 * 32 * 16 * 9)
  assert_eq(r.rows[8].flops, 64 * 2048)
  assert_eq(r.total_params, 160 + 4640 + 131136 + 585)
  assert_eq(r.total_flops, 147456 + 1179648 + 131072 + 576)
  assert_eq(table.concat(r.output_shape, ","), "1,9")
  local text = tostring(r)
  assert_true(text:find("Total params: 136,521", 1, true) ~= nil, text)
  assert_true(text:find("8 (Linear)", 1, true) ~= nil, text)

  -- nested blocks: rows in call order with depth; containers sum their children
  local net = nn.Sequential(nn.Conv2d(3, 8, 3, {padding = 1}), nn.BasicBlock(8, 16, {stride = 2}),
    nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))
  net:train()
  local before = net[2].bn1.running_mean:clone()
  local s = nn.utils.summary(net, {2, 3, 8, 8}, {print = false})
  assert_eq(s.rows[2].name, "2")
  assert_eq(s.rows[3].name, "2.conv1")
  assert_eq(s.rows[3].depth, 2)
  local children = 0
  for _, row in ipairs(s.rows) do if row.depth == 2 and row.name:match("^2%.") then children = children + row.flops end end
  assert_eq(s.rows[2].flops, children)
  assert_eq(s.rows[2].params, net[2]:num_parameters())
  assert_true(net.training and net[2].bn1.training, "training flags restored")
  assert_close(net[2].bn1.running_mean, before)                -- eval pass: statistics untouched
  assert_eq(rawget(net[1], "forward"), nil)                    -- wrappers removed
  -- transposed convolution counts per input element; ConvTranspose2d via a tensor input
  local up = nn.ConvTranspose2d(4, 2, 2, {stride = 2})
  local u = nn.utils.summary(up, torch.zeros(1, 4, 3, 3), {print = false})
  assert_eq(#u.rows, 0)                                       -- the root itself is not a row
  assert_eq(u.total_flops, 36 * 2 * 4)                         -- but its multiply-adds count
  local wrapped = nn.utils.summary(nn.Sequential(up), torch.zeros(1, 4, 3, 3), {print = false})
  assert_eq(wrapped.total_flops, 36 * 2 * 4)
  assert_error(function() nn.utils.summary(cnn, {1, 2, 32, 32}, {print = false}) end, "[Sequential.1 Conv2d] [conv2d]")
  assert_eq(rawget(cnn[1], "forward"), nil)                    -- restored after an error too
end)
