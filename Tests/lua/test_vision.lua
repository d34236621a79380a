-- Vision layers: convolution, pooling, normalization, resampling and padding. Values against
-- PyTorch (reference checksums below), a from-scratch convolution, gradient checks in float64
-- of every layer, train/eval behaviour, state dict names, and a small CNN that learns.

local F = nn.functional
local gradcheck = nn.utils.gradcheck

local function randn(...) return torch.randn({...}, {dtype = "float64"}) end
local function input(...) return randn(...):requires_grad_() end
local function with(params, ...)
  local list = {}
  for _, p in ipairs(params) do list[#list + 1] = p end
  for _, t in ipairs({...}) do list[#list + 1] = t end
  return list
end
local function shape(t) return table.concat(t:size(), ",") end

-- Deterministic inputs shared with the PyTorch reference script: sin(0.37 k) laid out in `shape`.
local function seq(sizes, k)
  local n = 1
  for _, s in ipairs(sizes) do n = n * s end
  return (torch.arange(0, n, {dtype = "float64"}) * (k or 0.37)):sin():reshape(sizes)
end
-- Σ y_i cos(0.01 i): one number that changes with any element or position.
local function checksum(y)
  local flat = y:reshape(-1):to("float64")
  return (flat * (torch.arange(0, flat:numel(), {dtype = "float64"}) * 0.01):cos()):sum():item()
end

-- Checksums of the same computations in PyTorch 2 (float64), from:
--   x = seq(2,4,7,9); w = seq(6,2,3,2, k=0.91); b = seq(6, k=1.3); ...
local REF = {
  conv2d_combo = 6.50152103012546, conv2d_same_even = -33.9921954223634, conv1d = 28.9504933013387,
  conv_transpose2d = 69.1287404833497, max_pool2d = 81.54670951345, max_pool2d_idx = 3104.30666373224,
  max_pool2d_dil = 35.8930111912143, max_pool2d_dil_idx = 3151.25216289546, avg_pool2d = -1.20802978544369,
  avg_pool2d_div = 0.109838341099937, adaptive_avg_pool2d = 1.99519700033527, bilinear = 8.44977904773848,
  bilinear_ac = 9.72799655188858, nearest = 8.1401938946303, linear1d = 7.86219121764217, area = 2.00354619899059,
  pad_reflect = 2.68035279765776, pad_replicate = -9.41096405976288, pad_circular = 6.62839830274758,
  pad_constant = -7.28521974349703, unfold = -56.2589821455059, fold = 5.9527259096793,
  group_norm = -81.1838459764433, instance_norm = -82.9392171494087, instance_rm = 0.816842465536379,
  instance_rv = 3.43081507301502, batch_norm = -76.4669528206952, batch_rm = 0.928691064352818,
  batch_rv = 3.63031522513566, layer_norm = 3.26729352958413, flip = -2.94762742726511, rot90 = 4.71073369265392,
}

test("nn.functional vision ops match PyTorch", function()
  local x = seq({2, 4, 7, 9})
  local w, b = seq({6, 2, 3, 2}, 0.91), seq({6}, 1.3)
  local got = {}
  got.conv2d_combo = checksum(F.conv2d(x, w, b, {stride = 2, padding = {1, 2}, dilation = {2, 1}, groups = 2}))
  got.conv2d_same_even = checksum(F.conv2d(x, seq({3, 4, 2, 4}, 0.5), nil, {padding = "same"}))
  got.conv1d = checksum(F.conv1d(seq({2, 4, 11}), seq({6, 2, 3}, 0.7), seq({6}, 0.2),
    {stride = 2, padding = 2, dilation = 2, groups = 2}))
  got.conv_transpose2d = checksum(F.conv_transpose2d(x, seq({4, 3, 3, 2}, 0.44), seq({6}, 0.8),
    {stride = 2, padding = 1, output_padding = 1, groups = 2, dilation = {1, 2}}))
  local v, i = F.max_pool2d(x, 3, {stride = 2, padding = 1, ceil_mode = true, return_indices = true})
  got.max_pool2d, got.max_pool2d_idx = checksum(v), checksum(i)
  v, i = F.max_pool2d(x, {2, 3}, {stride = {1, 2}, dilation = {2, 1}, return_indices = true})
  got.max_pool2d_dil, got.max_pool2d_dil_idx = checksum(v), checksum(i)
  got.avg_pool2d = checksum(F.avg_pool2d(x, 3, {stride = 2, padding = 1, ceil_mode = true, count_include_pad = false}))
  got.avg_pool2d_div = checksum(F.avg_pool2d(x, {2, 3}, {divisor_override = 5}))
  got.adaptive_avg_pool2d = checksum(F.adaptive_avg_pool2d(x, {3, 5}))
  got.bilinear = checksum(F.interpolate(x, {size = {10, 13}, mode = "bilinear"}))
  got.bilinear_ac = checksum(F.interpolate(x, {scale_factor = 1.5, mode = "bilinear", align_corners = true}))
  got.nearest = checksum(F.interpolate(x, {scale_factor = {1.5, 0.7}}))
  got.linear1d = checksum(F.interpolate(seq({2, 3, 7}), {size = 12, mode = "linear"}))
  got.area = checksum(F.interpolate(x, {size = {3, 4}, mode = "area"}))
  got.pad_reflect = checksum(F.pad(x, {2, 1, 3, 0}, {mode = "reflect"}))
  got.pad_replicate = checksum(F.pad(x, {2, 1, 3, 0}, "replicate"))
  got.pad_circular = checksum(F.pad(x, {2, 1, 3, 0}, {mode = "circular"}))
  got.pad_constant = checksum(F.pad(x, {2, 1, -1, 0}, {value = 0.5}))
  got.unfold = checksum(F.unfold(x, {2, 3}, {dilation = {1, 2}, padding = 1, stride = {2, 1}}))
  got.fold = checksum(F.fold(seq({2, 24, 12}), {5, 6}, {2, 3}, {stride = {2, 1}, padding = {1, 0}}))
  local gw, gb = seq({4}, 0.3) + 1, seq({4}, 0.6)
  got.group_norm = checksum(F.group_norm(x, 2, gw, gb, {eps = 1e-3}))
  local rm, rv = seq({4}, 0.2), seq({4}, 0.4):abs() + 0.5
  got.instance_norm = checksum(F.instance_norm(x, rm, rv, gw, gb, {use_input_stats = true, momentum = 0.3}))
  got.instance_rm, got.instance_rv = checksum(rm), checksum(rv)
  rm, rv = seq({4}, 0.2), seq({4}, 0.4):abs() + 0.5
  got.batch_norm = checksum(F.batch_norm(x, rm, rv, gw, gb, {training = true, momentum = 0.2}))
  got.batch_rm, got.batch_rv = checksum(rm), checksum(rv)
  got.layer_norm = checksum(F.layer_norm(x, {7, 9}, seq({7, 9}, 0.1), seq({7, 9}, 0.2)))
  got.flip = checksum(x:flip({2, 4}))
  got.rot90 = checksum(require("lumen.augment").rot90(x, 1))
  for name, expected in pairs(REF) do
    assert_true(got[name] ~= nil, "missing " .. name)
    assert_close(got[name], expected, 1e-10, name)
  end
end)

-- Convolution from scratch: unfold the input into columns (one per output position, holding the
-- C/groups * kh * kw inputs under the kernel), then one matrix product per group.
local function conv2d_scratch(x, w, b, o)
  local n, h, wd = x:size(1), x:size(3), x:size(4)
  local out, cg, kh, kw = w:size(1), w:size(2), w:size(3), w:size(4)
  local groups = o.groups or 1
  local s, p, d = o.stride or {1, 1}, o.padding or {0, 0}, o.dilation or {1, 1}
  local oh = (h + 2 * p[1] - d[1] * (kh - 1) - 1) // s[1] + 1
  local ow = (wd + 2 * p[2] - d[2] * (kw - 1) - 1) // s[2] + 1
  local cols = F.unfold(x, {kh, kw}, {stride = s, padding = p, dilation = d})   -- (N, C*kh*kw, oh*ow)
  local og, k = out // groups, cg * kh * kw
  local parts = {}
  for g = 1, groups do
    local wg = w:narrow(1, (g - 1) * og + 1, og):reshape(og, k)                -- (og, k)
    parts[g] = wg:matmul(cols:narrow(2, (g - 1) * k + 1, k))                   -- (N, og, oh*ow)
  end
  local y = torch.cat(parts, 2)
  if b then y = y + b:reshape(1, out, 1) end
  return y:reshape(n, out, oh, ow)
end

-- The definition itself, one output element at a time (tiny sizes only).
local function conv2d_loops(x, w, b)
  local xs, ws = x:totable(), w:totable()
  local n, c, h, wd = x:size(1), x:size(2), x:size(3), x:size(4)
  local out, kh, kw = w:size(1), w:size(3), w:size(4)
  local y = torch.zeros(n, out, h - kh + 1, wd - kw + 1, {dtype = "float64"})
  for i = 1, n do for o = 1, out do for r = 1, h - kh + 1 do for q = 1, wd - kw + 1 do
    local acc = b[o]
    for ci = 1, c do for a = 1, kh do for e = 1, kw do acc = acc + xs[i][ci][r + a - 1][q + e - 1] * ws[o][ci][a][e] end end end
    y[{i, o, r, q}] = acc
  end end end end
  return y
end

test("Conv2d equals a from-scratch convolution (unfold + matmul)", function()
  torch.manual_seed(0)
  local cases = {
    {4, 6, 3, {}}, {4, 6, {3, 2}, {stride = {2, 1}, padding = {1, 2}}}, {4, 4, 3, {dilation = 2, padding = 2}},
    {4, 6, 3, {groups = 2, stride = 2, padding = 1}}, {4, 4, 3, {groups = 4, padding = 1}},
  }
  local x = randn(2, 4, 9, 8)
  for _, case in ipairs(cases) do
    local conv = nn.Conv2d(case[1], case[2], case[3], case[4]):double()
    local o = {}
    for key, v in pairs(case[4]) do o[key] = type(v) == "number" and key ~= "groups" and {v, v} or v end
    assert_close(conv(x), conv2d_scratch(x, conv.weight, conv.bias, o), 1e-10, tostring(conv))
  end
  local tiny = nn.Conv2d(2, 3, 2):double()
  local xt = randn(2, 2, 4, 3)
  assert_close(tiny(xt), conv2d_loops(xt, tiny.weight, tiny.bias), 1e-12)
  assert_close(conv2d_scratch(xt, tiny.weight, tiny.bias, {}), conv2d_loops(xt, tiny.weight, tiny.bias), 1e-12)
end)

test("conv layers: shapes, defaults, padding modes and PyTorch's init bounds", function()
  local conv = nn.Conv2d(3, 8, 5, {stride = 2, padding = 2})
  assert_eq(shape(conv.weight), "8,3,5,5")
  assert_eq(shape(conv(torch.randn(2, 3, 32, 32))), "2,8,16,16")
  assert_eq(shape(conv(torch.randn(3, 32, 31))), "8,16,16")            -- unbatched
  local bound = 1 / math.sqrt(3 * 25)                                 -- kaiming_uniform(a = sqrt 5)
  assert_true(conv.weight:abs():max():item() <= bound and conv.weight:abs():max():item() > 0.9 * bound)
  assert_true(conv.bias:abs():max():item() <= bound)
  local grouped = nn.Conv2d(4, 8, 3, {groups = 2})
  assert_eq(shape(grouped.weight), "8,2,3,3")
  assert_true(grouped.bias:abs():max():item() <= 1 / math.sqrt(18))
  assert_eq(shape(nn.Conv2d(3, 4, {1, 3}, {padding = "same"})(torch.randn(1, 3, 6, 7))), "1,4,6,7")
  assert_eq(shape(nn.Conv2d(3, 4, 3, {padding = "valid"})(torch.randn(1, 3, 6, 7))), "1,4,4,5")
  assert_eq(nn.Conv2d(1, 1, 1, {bias = false}).bias, nil)
  -- non-zero padding modes pad with F.pad first
  local x = randn(1, 2, 5, 6)
  for _, mode in ipairs({"reflect", "replicate", "circular"}) do
    local c = nn.Conv2d(2, 3, 3, {padding = {1, 2}, padding_mode = mode}):double()
    local ref = F.conv2d(F.pad(x, {2, 2, 1, 1}, {mode = mode}), c.weight, c.bias)
    assert_close(c(x), ref, 1e-12, mode)
    local same = nn.Conv2d(2, 3, {2, 4}, {padding = "same", padding_mode = mode}):double()
    assert_eq(shape(same(x)), "1,3,5,6")
  end
  local c1 = nn.Conv1d(4, 6, 3, {padding = "same"})
  assert_eq(shape(c1.weight), "6,4,3")
  assert_eq(shape(c1(torch.randn(2, 4, 10))), "2,6,10")
  assert_eq(shape(nn.Conv1d(4, 6, 3, {stride = 2})(torch.randn(4, 10))), "6,4")
  local ct = nn.ConvTranspose2d(16, 8, 2, {stride = 2})
  assert_eq(shape(ct.weight), "16,8,2,2")
  assert_eq(shape(ct(torch.randn(1, 16, 8, 8))), "1,8,16,16")
  local ct3 = nn.ConvTranspose2d(4, 4, 3, {stride = 2, padding = 1})
  assert_eq(shape(ct3(torch.randn(1, 4, 5, 5))), "1,4,9,9")
  assert_eq(shape(ct3(torch.randn(1, 4, 5, 5), {10, 10})), "1,4,10,10")      -- output_size picks output_padding
  assert_error(function() ct3(torch.randn(1, 4, 5, 5), {12, 10}) end, "[ConvTranspose2d] requested output size")
end)

test("conv reprs and errors", function()
  assert_eq(tostring(nn.Conv2d(1, 16, 3, {padding = 1})), "Conv2d(1, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))")
  assert_eq(tostring(nn.Conv2d(4, 8, {3, 5}, {stride = 2, dilation = 2, groups = 2, bias = false, padding_mode = "reflect"})),
    "Conv2d(4, 8, kernel_size=(3, 5), stride=(2, 2), dilation=(2, 2), groups=2, bias=false, padding_mode=reflect)")
  assert_eq(tostring(nn.Conv2d(1, 2, 3, {padding = "same"})), "Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1), padding=same)")
  assert_eq(tostring(nn.Conv1d(2, 4, 3)), "Conv1d(2, 4, kernel_size=(3,), stride=(1,))")
  assert_eq(tostring(nn.ConvTranspose2d(4, 2, 3, {stride = 2, output_padding = 1})),
    "ConvTranspose2d(4, 2, kernel_size=(3, 3), stride=(2, 2), output_padding=(1, 1))")
  assert_eq(tostring(nn.MaxPool2d(2)), "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=false)")
  assert_eq(tostring(nn.AvgPool2d({2, 3}, {stride = 1})), "AvgPool2d(kernel_size=(2, 3), stride=1, padding=0)")
  assert_eq(tostring(nn.AdaptiveAvgPool2d({1, 1})), "AdaptiveAvgPool2d(output_size=(1, 1))")
  assert_eq(tostring(nn.BatchNorm2d(16)), "BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=true, track_running_stats=true)")
  assert_eq(tostring(nn.GroupNorm(2, 8)), "GroupNorm(2, 8, eps=1e-05, affine=true)")
  assert_eq(tostring(nn.InstanceNorm2d(3)), "InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=false, track_running_stats=false)")
  assert_eq(tostring(nn.Upsample({scale_factor = 2})), "Upsample(scale_factor=2, mode='nearest')")
  assert_eq(tostring(nn.Dropout2d(0.2)), "Dropout2d(p=0.2)")

  assert_error(function() nn.Conv2d(3, 4, 3, {strides = 2}) end, "[Conv2d] unknown option \"strides\"")
  assert_error(function() nn.Conv2d(3, 4, 3, {groups = 2}) end, "[Conv2d] in_channels (3) and out_channels (4) must be divisible by groups (2)")
  assert_error(function() nn.Conv2d(3, 4, 0) end, "[Conv2d] kernel_size must be positive integers")
  assert_error(function() nn.Conv2d(3, 4, 3, {padding = "same", stride = 2}) end, "padding \"same\" needs stride 1")
  assert_error(function() nn.Conv2d(3, 4, 3, {padding_mode = "mirror"}) end, "[Conv2d] padding_mode must be")
  assert_error(function() nn.Conv2d(3, 4, 3)(torch.randn(2, 5, 8, 8)) end, "[conv2d]")
  assert_error(function() F.conv2d(torch.randn(1, 1, 4, 4), torch.randn(1, 1, 3, 3), nil, {stride = "2"}) end,
    "[conv2d] option stride: expected a number or a {h, w} table; got string")
  assert_error(function() F.conv2d(torch.randn(1, 1, 4, 4), torch.randn(1, 1, 3, 3), 5) end,
    "[conv2d] argument 3 (bias): expected a tensor, nil or an options table; got number")
  assert_error(function() F.max_pool2d(torch.randn(1, 1, 4, 4), {1, 2, 3}) end, "got a table of 3 values")
  assert_error(function() F.interpolate(torch.randn(1, 1, 4, 4), {scale_factor = 2, mode = "bicubic"}) end,
    "[interpolate] mode \"bicubic\" is not supported")
  assert_error(function() F.interpolate(torch.randn(1, 1, 4, 4), {scale_factor = 2, align_corners = true}) end,
    "align_corners can only be set with the interpolating modes")
  assert_error(function() F.pad(torch.randn(1, 1, 4, 4), {1, 1}, "mirror") end, "[pad] mode must be")
  assert_error(function() nn.GroupNorm(3, 8) end, "[GroupNorm] num_channels (8) must be a positive multiple of num_groups (3)")
  assert_error(function() nn.BatchNorm2d(3)(torch.randn(2, 3, 4)) end, "[BatchNorm2d] expected input (N, 3, H, W); got (2,3,4)")
  assert_error(function() nn.Upsample({}) end, "[Upsample] expected exactly one of size and scale_factor")
end)

test("max pooling: values, 1-based indices, padding and stride default", function()
  local x = torch.tensor({{{{1, 5, 2, 0}, {3, 4, 8, 7}, {6, 0, 1, 2}, {9, 2, 3, 4}}}}, {dtype = "float64"})
  local v, i = F.max_pool2d(x, 2, {return_indices = true})
  assert_close(v, {5, 8, 9, 4})
  assert_eq(i.dtype, "int64")
  assert_close(i, {2, 7, 13, 16})          -- flat 1-based positions (row-1)*W + col in the plane
  assert_close(x:reshape(-1):index_select(1, i:reshape(-1)), v:reshape(-1))
  local mp = nn.MaxPool2d(3, {stride = 1, padding = 1})
  assert_eq(shape(mp(x)), "1,1,4,4")
  assert_close(mp(x)[{1, 1, 1, 1}], 5)
  local layer = nn.MaxPool2d(2, {return_indices = true})
  local values, indices = layer(x)
  assert_close(values, v)
  assert_close(indices, i)
  assert_eq(shape(nn.MaxPool2d(2, {ceil_mode = true})(torch.randn(1, 2, 5, 5))), "1,2,3,3")
  -- backward routes the gradient to each window's maximum
  local xg = x:clone():requires_grad_()
  F.max_pool2d(xg, 2):sum():backward()
  assert_close(xg.grad:reshape(-1), {0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1})
end)

test("average pooling and adaptive pooling", function()
  local x = torch.arange(1, 17, {dtype = "float64"}):reshape(1, 1, 4, 4)
  assert_close(F.avg_pool2d(x, 2), {3.5, 5.5, 11.5, 13.5})
  assert_close(nn.AvgPool2d(2, {stride = 2, padding = 1})(x)[{1, 1, 1, 1}], 1 / 4)        -- padding counts
  assert_close(nn.AvgPool2d(2, {stride = 2, padding = 1, count_include_pad = false})(x)[{1, 1, 1, 1}], 1)
  assert_close(nn.AdaptiveAvgPool2d(1)(x), {8.5})
  assert_close(nn.AdaptiveAvgPool2d({2, 1})(x), {4.5, 12.5})
  assert_eq(shape(nn.AdaptiveAvgPool2d({3, 5})(torch.randn(2, 3, 7, 9))), "2,3,3,5")
end)

test("BatchNorm2d: batch statistics in training, running statistics in eval", function()
  local bn = nn.BatchNorm2d(3):double()
  local x = randn(4, 3, 5, 6) * 2 + 1
  local y = bn(x)
  local dims = {1, 3, 4}
  assert_close(y:mean(dims), {0, 0, 0}, 1e-10)
  assert_close(y:var(dims, false, false), {1, 1, 1}, 1e-4)
  local mean, var = x:mean(dims), x:var(dims)            -- running_var uses the unbiased variance
  assert_close(bn.running_mean, mean * 0.1, 1e-10)
  assert_close(bn.running_var, var * 0.1 + 0.9, 1e-10)
  assert_eq(bn.num_batches_tracked:item(), 1)
  bn(x)
  assert_eq(bn.num_batches_tracked:item(), 2)
  bn:eval()
  local rm, rv = bn.running_mean:clone(), bn.running_var:clone()
  local expected = (x - rm:reshape(1, 3, 1, 1)) / (rv:reshape(1, 3, 1, 1) + 1e-5):sqrt()
  assert_close(bn(x), expected, 1e-10)
  assert_close(bn.running_mean, rm)                      -- eval leaves the statistics alone
  assert_eq(bn.num_batches_tracked:item(), 2)
  -- cumulative average (momentum = false) and no running statistics
  local cumulative = nn.BatchNorm2d(1, {momentum = false}):double()
  cumulative(torch.full({2, 1, 2, 2}, 2.0, {dtype = "float64"}) + randn(2, 1, 2, 2) * 0)
  cumulative(torch.full({2, 1, 2, 2}, 4.0, {dtype = "float64"}))
  assert_close(cumulative.running_mean, {3})
  local stateless = nn.BatchNorm2d(3, {track_running_stats = false, affine = false})
  assert_eq(#stateless:parameters(), 0)
  assert_eq(#stateless:buffers(), 0)
  stateless:eval()
  assert_close(stateless(x:float()):mean(dims), {0, 0, 0}, 1e-5)
end)

test("GroupNorm and InstanceNorm2d", function()
  local x = randn(2, 4, 3, 5) * 3 + 2
  local gn = nn.GroupNorm(2, 4):double()
  local y = gn(x)
  local grouped = y:reshape(2, 2, -1)
  assert_close(grouped:mean(3), torch.zeros(2, 2), 1e-10)
  assert_close(grouped:var(3, false, false), torch.ones(2, 2), 1e-4)
  assert_close(nn.GroupNorm(1, 4, {affine = false}):double()(x), F.layer_norm(x, {4, 3, 5}), 1e-10)
  local inorm = nn.InstanceNorm2d(4):double()
  assert_eq(#inorm:parameters(), 0)
  local z = inorm(x)
  assert_close(z:reshape(8, 15):mean(2), torch.zeros(8), 1e-10)
  assert_close(nn.GroupNorm(4, 4, {affine = false}):double()(x), z, 1e-10)
  assert_eq(shape(inorm(x[1])), "4,3,5")                         -- unbatched
  local tracked = nn.InstanceNorm2d(4, {track_running_stats = true, affine = true}):double()
  tracked(x)
  assert_close(tracked.running_mean, x:mean({3, 4}):mean(1) * 0.1, 1e-10)
  tracked:eval()
  local rm, rv = tracked.running_mean:reshape(1, 4, 1, 1), tracked.running_var:reshape(1, 4, 1, 1)
  assert_close(tracked(x), (x - rm) / (rv + 1e-5):sqrt(), 1e-10)
  assert_error(function() inorm(randn(2, 3, 4, 4)) end, "[InstanceNorm2d] expected input (N, 4, H, W) or (4, H, W)")
end)

test("Upsample, interpolate and Dropout2d", function()
  local x = torch.tensor({{{{1, 2}, {3, 4}}}}, {dtype = "float64"})
  assert_close(nn.Upsample({scale_factor = 2})(x), {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4})
  local up = nn.Upsample({size = {3, 3}, mode = "bilinear", align_corners = true})(x)
  assert_close(up[1][1][2], {2, 2.5, 3})
  assert_eq(shape(F.interpolate(torch.randn(2, 3, 5), {scale_factor = 2, mode = "linear"})), "2,3,10")
  assert_eq(shape(F.interpolate(torch.randn(2, 3, 5, 4), {size = 7})), "2,3,7,7")
  -- Dropout2d zeroes whole channels
  local d = nn.Dropout2d(0.5)
  local y = d(torch.ones(8, 16, 4, 4))
  local per_channel = y:sum({3, 4})
  assert_eq(per_channel:eq(0):logical_or(per_channel:eq(32)):sum():item(), 128, "channels all kept or all dropped")
  local dropped = per_channel:eq(0):sum():item()
  assert_true(dropped > 20 and dropped < 108, "dropped " .. dropped .. " of 128 channels")
  d:eval()
  assert_close(d(x), x)
  assert_eq(shape(F.dropout2d(torch.ones(3, 4, 5), 0.5)), "3,4,5")
end)

test("flip: copies along 1-based dims, with backward", function()
  local x = torch.tensor({{1, 2, 3}, {4, 5, 6}})
  assert_close(x:flip(2), {3, 2, 1, 6, 5, 4})
  assert_close(torch.flip(x, {1, 2}), {6, 5, 4, 3, 2, 1})
  assert_close(x:flip(-2), {4, 5, 6, 1, 2, 3})
  assert_true(x:t():flip(1):is_contiguous())
  assert_close(x:t():flip(1), {3, 6, 2, 5, 1, 4})
  assert_error(function() x:flip(3) end, "[flip]")
  assert_error(function() x:flip({1, 1}) end, "[flip] repeated dim")
  local g = input(2, 3, 4)
  gradcheck(function() return g:flip({1, 3}) end, {g})
end)

test("gradcheck: Conv2d with stride, padding, dilation and groups", function()
  local cases = {
    {4, 6, {3, 2}, {stride = 2, padding = {1, 2}, dilation = {2, 1}, groups = 2}, {2, 4, 7, 9}},
    {3, 4, 3, {padding = "same"}, {1, 3, 5, 6}},
    {2, 3, {2, 4}, {padding = "same", dilation = {1, 2}}, {1, 2, 5, 7}},
    {2, 2, 3, {padding = {1, 2}, padding_mode = "reflect", bias = false}, {1, 2, 5, 6}},
    {2, 2, 3, {padding = 1, padding_mode = "circular"}, {2, 2, 4, 4}},
    {3, 3, 3, {groups = 3, padding = 1, stride = {1, 2}}, {2, 3, 5, 6}},
    {3, 2, 3, {}, {3, 5, 5}},                                        -- unbatched
  }
  for _, c in ipairs(cases) do
    local conv = nn.Conv2d(c[1], c[2], c[3], c[4]):double()
    local x = input(table.unpack(c[5]))
    local ok, err = pcall(gradcheck, function() return conv(x) end, with(conv:parameters(), x))
    if not ok then error(tostring(conv) .. ": " .. err) end
  end
end)

test("gradcheck: Conv1d and ConvTranspose2d", function()
  local c1 = nn.Conv1d(4, 6, 3, {stride = 2, padding = 2, dilation = 2, groups = 2}):double()
  local x1 = input(2, 4, 11)
  gradcheck(function() return c1(x1) end, with(c1:parameters(), x1))
  local same = nn.Conv1d(2, 3, 4, {padding = "same"}):double()
  local xs = input(1, 2, 6)
  gradcheck(function() return same(xs) end, with(same:parameters(), xs))
  local ct = nn.ConvTranspose2d(4, 6, {3, 2}, {stride = 2, padding = 1, output_padding = 1, groups = 2,
    dilation = {1, 2}}):double()
  local x = input(2, 4, 4, 3)
  gradcheck(function() return ct(x) end, with(ct:parameters(), x))
  local ct1 = nn.ConvTranspose2d(2, 3, 3, {stride = {2, 3}}):double()
  local xb = input(1, 2, 3, 2)
  gradcheck(function() return ct1(xb) end, with(ct1:parameters(), xb))
end)

test("gradcheck: pooling layers", function()
  local x = input(2, 3, 7, 9)
  for _, m in ipairs({nn.MaxPool2d(3, {stride = 2, padding = 1, ceil_mode = true}),
    nn.MaxPool2d({2, 3}, {stride = {1, 2}, dilation = {2, 1}}), nn.MaxPool2d(2),
    nn.AvgPool2d(3, {stride = 2, padding = 1, ceil_mode = true, count_include_pad = false}),
    nn.AvgPool2d({2, 3}, {divisor_override = 5}), nn.AdaptiveAvgPool2d({3, 5}), nn.AdaptiveAvgPool2d(1)}) do
    local ok, err = pcall(gradcheck, function() return m(x) end, {x})
    if not ok then error(tostring(m) .. ": " .. err) end
  end
  local single = input(1, 1, 4, 5)
  gradcheck(function() return F.max_pool2d(single, {2, 2}, {stride = 1}) end, {single})
end)

test("gradcheck: normalization layers in training and eval", function()
  local x = input(3, 4, 3, 5)
  local bn = nn.BatchNorm2d(4):double()
  torch.no_grad(function() bn.weight:copy_(randn(4)); bn.bias:copy_(randn(4)) end)
  gradcheck(function() return bn(x) end, with(bn:parameters(), x))
  bn:eval()
  gradcheck(function() return bn(x) end, with(bn:parameters(), x))
  local gn = nn.GroupNorm(2, 4):double()
  torch.no_grad(function() gn.weight:copy_(randn(4)); gn.bias:copy_(randn(4)) end)
  gradcheck(function() return gn(x) end, with(gn:parameters(), x))
  local inorm = nn.InstanceNorm2d(4, {affine = true}):double()
  torch.no_grad(function() inorm.weight:copy_(randn(4)) end)
  gradcheck(function() return inorm(x) end, with(inorm:parameters(), x))
  local tracked = nn.InstanceNorm2d(4, {affine = true, track_running_stats = true}):double()
  gradcheck(function() return tracked(x) end, with(tracked:parameters(), x))
  tracked:eval()
  gradcheck(function() return tracked(x) end, with(tracked:parameters(), x))
  local one = input(1, 2, 3, 3)                                         -- batch of one
  local bn1 = nn.BatchNorm2d(2):double()
  gradcheck(function() return bn1(one) end, with(bn1:parameters(), one))
end)

test("gradcheck: resampling, padding, unfold/fold and Dropout2d", function()
  local x = input(2, 2, 4, 5)
  local fns = {
    function() return nn.Upsample({scale_factor = 2})(x) end,
    function() return nn.Upsample({size = {5, 7}, mode = "bilinear"})(x) end,
    function() return F.interpolate(x, {scale_factor = 1.5, mode = "bilinear", align_corners = true}) end,
    function() return F.interpolate(x, {size = {2, 3}, mode = "area"}) end,
    function() return F.interpolate(x:reshape(2, 2, 20), {size = 9, mode = "linear"}) end,
    function() return F.pad(x, {2, 1, 3, 0}, {mode = "reflect"}) end,
    function() return F.pad(x, {1, 2, 0, 2}, "replicate") end,
    function() return F.pad(x, {2, 1, 3, 1}, "circular") end,
    function() return F.pad(x, {1, -1, 2, 0}, {value = 3}) end,
    function() return F.unfold(x, {2, 3}, {padding = 1, stride = {2, 1}}) end,
    function() return F.fold(F.unfold(x, 2), {4, 5}, 2) end,
    function() torch.manual_seed(7); return F.dropout2d(x, 0.5) end,
  }
  for i, fn in ipairs(fns) do
    local ok, err = pcall(gradcheck, fn, {x})
    if not ok then error("case " .. i .. ": " .. err) end
  end
end)

test("state_dict names and layouts match PyTorch", function()
  local Net = nn.Module:extend("TestVisionNet")
  function Net:init()
    self.conv1 = nn.Conv2d(1, 4, 3, {padding = 1})
    self.bn1 = nn.BatchNorm2d(4)
    self.pool = nn.MaxPool2d(2)
    self.gn = nn.GroupNorm(2, 4)
    self.up = nn.ConvTranspose2d(4, 2, 2, {stride = 2})
    self.head = nn.Conv1d(2, 3, 1)
  end
  local sd = Net():state_dict()
  local names = {}
  for name, t in pairs(sd) do names[#names + 1] = name .. "=" .. shape(t) end
  table.sort(names)
  assert_eq(table.concat(names, " "), table.concat({"bn1.bias=4", "bn1.num_batches_tracked=", "bn1.running_mean=4",
    "bn1.running_var=4", "bn1.weight=4", "conv1.bias=4", "conv1.weight=4,1,3,3", "gn.bias=4", "gn.weight=4",
    "head.bias=3", "head.weight=3,2,1", "up.bias=2", "up.weight=4,2,2,2"}, " "))
  assert_eq(sd["bn1.num_batches_tracked"].dtype, "int64")
  -- a round trip through safetensors restores the running statistics
  local a, b = Net(), Net()
  a.bn1(torch.randn(8, 4, 3, 3))
  local path = os.tmpname()
  torch.save(path, a:state_dict())
  b:load_state_dict(torch.load(path))
  os.remove(path)
  assert_close(b.bn1.running_var, a.bn1.running_var)
  assert_eq(b.bn1.num_batches_tracked:item(), 1)
end)

-- Oriented bars: 16x16 images holding one bar (3 classes: horizontal, vertical, diagonal) of
-- random position and length, plus Gaussian noise.
local function bars(n)
  local labels = torch.randint(1, 4, {n})
  local rows = torch.arange(1, 17):reshape(1, 16, 1)
  local cols = torch.arange(1, 17):reshape(1, 1, 16)
  local at = torch.randint(3, 15, {n, 1, 1})                  -- the bar's row / column / diagonal
  local from = torch.randint(1, 7, {n, 1, 1})
  local length = torch.randint(7, 11, {n, 1, 1})
  local function span(v) return v:ge(from):logical_and(v:lt(from + length)) end
  local horizontal = rows:eq(at):logical_and(span(cols))
  local vertical = cols:eq(at):logical_and(span(rows))
  local diagonal = (rows - cols):eq(at - 8):logical_and(span(cols))
  local l = labels:reshape(n, 1, 1)
  local image = torch.where(l:eq(1), horizontal, torch.where(l:eq(2), vertical, diagonal)):to("float32")
  return (image + torch.randn(n, 16, 16) * 0.3):unsqueeze(2), labels
end

test("a small CNN learns oriented bars to > 95% test accuracy", function()
  torch.manual_seed(1)
  local x, y = bars(1200)
  local xt, yt = bars(400)
  local net = nn.Sequential(nn.Conv2d(1, 8, 3, {padding = 1}), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(8, 16, 3, {padding = 1}), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16 * 4 * 4, 3))
  local opt = optim.Adam(net:parameters(), {lr = 3e-3})
  local loader = data.DataLoader(data.TensorDataset(x, y), {batch_size = 32, shuffle = true, seed = 1})
  for _ = 1, 4 do
    for bx, by in loader:iter() do
      opt:zero_grad()
      F.cross_entropy(net(bx), by):backward()
      opt:step()
    end
  end
  net:eval()
  local accuracy = torch.no_grad(function() return net(xt):argmax(2):eq(yt):to("float32"):mean():item() end)
  assert_true(accuracy > 0.95, string.format("test accuracy %.3f", accuracy))
end)
