-- Image augmentation (lumen.augment): exact flips and rotations, affine warps, and random
-- transforms usable as DataLoader batch transforms — shapes kept, labels passed through,
-- reproducible by torch.manual_seed.

local augment = require "lumen.augment"
local F = nn.functional

local function shape(t) return table.concat(t:size(), ",") end
local function same(a, b) return a:size(1) == b:size(1) and (a - b):abs():max():item() == 0 end

test("augment is a module, also reachable as data.augment, and makes no globals", function()
  assert_eq(data.augment, augment)
  assert_eq(rawget(_G, "augment"), nil)
end)

test("flips and quarter turns", function()
  local m = torch.tensor({{1, 2}, {3, 4}})
  assert_close(augment.hflip(m), {2, 1, 4, 3})
  assert_close(augment.vflip(m), {3, 4, 1, 2})
  assert_close(augment.rot90(m, 1), {2, 4, 1, 3})              -- torch.rot90: counter-clockwise
  assert_close(augment.rot90(m, 2), {4, 3, 2, 1})
  assert_close(augment.rot90(m, 3), {3, 1, 4, 2})
  assert_close(augment.rot90(m, -1), augment.rot90(m, 3))
  local x = torch.randn(2, 3, 4, 5)
  assert_eq(shape(augment.rot90(x, 1)), "2,3,5,4")
  assert_close(augment.rot90(augment.rot90(x, 1), 3), x)
  assert_close(augment.rot90(x, 4), x)
end)

test("rotate: exact quarter turns, identity, fill and per-image angles", function()
  for _, n in ipairs({5, 4}) do
    local x = torch.randn(2, 3, n, n, {dtype = "float64"})
    assert_close(augment.rotate(x, 90), augment.rot90(x, 1), 1e-12)
    assert_close(augment.rotate(x, -90), augment.rot90(x, 3), 1e-12)
    assert_close(augment.rotate(x, 180), augment.rot90(x, 2), 1e-12)
    assert_close(augment.rotate(x, 0), x, 1e-12)
    assert_close(augment.rotate(x, 360), x, 1e-9)
  end
  local img = torch.ones(1, 1, 9, 9)
  local r = augment.rotate(img, 45, {fill = -1})
  assert_close(r[{1, 1, 5, 5}], 1)                               -- the center stays
  assert_close(r[{1, 1, 1, 1}], -1)                              -- corners come from outside
  local per = augment.rotate(torch.randn(3, 1, 5, 5), torch.tensor({0, 90, 180}))
  assert_eq(shape(per), "3,1,5,5")
  local single = torch.randn(2, 6, 6)
  assert_close(augment.rotate(single, 90), augment.rot90(single, 1), 1e-6)
  -- rotating back nearly restores the middle of a smooth image
  local smooth = torch.linspace(0, 1, 15, {dtype = "float64"}):reshape(1, 1, 1, 15):expand(1, 1, 15, 15):contiguous()
  local back = augment.rotate(augment.rotate(smooth, 30), -30)
  assert_close(back[{{}, {}, {5, 11}, {5, 11}}], smooth[{{}, {}, {5, 11}, {5, 11}}], 1e-6)
  local x = torch.randn(2, 1, 5, 5, {dtype = "float64"}):requires_grad_()
  nn.utils.gradcheck(function() return augment.rotate(x, 33, {fill = 0.5}) end, {x})
  assert_error(function() augment.rotate(torch.randn(5, 5), 10) end, "[rotate] expected an image tensor")
  assert_error(function() augment.rotate(torch.randn(3, 1, 5, 5), torch.tensor({1, 2})) end, "[rotate] expected one angle or one per image")
end)

test("warp_affine shifts by whole pixels exactly", function()
  local x = torch.arange(1, 26, {dtype = "float32"}):reshape(1, 1, 5, 5)
  local theta = torch.tensor({{{1, 0, -2}, {0, 1, 1}}})           -- content 2 right, 1 up
  local y = augment.warp_affine(x, theta, {fill = 0})
  local expected = F.pad(x, {2, -2, -1, 1})
  assert_close(y, expected)
  assert_error(function() augment.warp_affine(x, torch.zeros(1, 3, 3)) end, "[warp_affine] expected affine matrices")
end)

test("random transforms keep shapes, pass labels through and follow torch.manual_seed", function()
  local x = torch.randn(16, 3, 8, 8)
  local y = torch.randint(1, 4, {16})
  local transforms = {
    augment.random_hflip(), augment.random_vflip(), augment.random_rot90(), augment.random_rotation(15),
    augment.random_crop(nil, {padding = 2}), augment.random_shift(1, {padding_mode = "reflect"}),
    augment.gaussian_noise({std = 0.2}), augment.cutout({size = 3}),
    augment.compose({augment.random_hflip(), augment.random_shift(2), augment.cutout({size = 2, holes = 2})}),
  }
  for i, t in ipairs(transforms) do
    torch.manual_seed(5)
    local a, labels = t(x, y)
    assert_eq(shape(a), "16,3,8,8", "transform " .. i)
    assert_eq(labels, y, "transform " .. i)
    torch.manual_seed(5)
    local b = t(x, y)
    assert_true(same(a, b), "transform " .. i .. " reproducible")
    torch.manual_seed(6)
    assert_true(not same(a, t(x)), "transform " .. i .. " varies with the seed")
    assert_eq(shape(t(x[1])), "3,8,8", "single image, transform " .. i)
  end
end)

test("random flips choose per image with probability p", function()
  torch.manual_seed(1)
  local x = torch.randn(200, 1, 3, 4)
  local y = augment.random_hflip()(x)
  local flipped, kept = 0, 0
  for i = 1, 200 do
    if same(y[i], x[i]:flip(3)) then flipped = flipped + 1 elseif same(y[i], x[i]) then kept = kept + 1 end
  end
  assert_eq(flipped + kept, 200)
  assert_true(flipped > 70 and flipped < 130, "flipped " .. flipped)
  assert_true(same(augment.random_vflip({p = 1})(x), x:flip(3)))
  assert_true(same(augment.random_hflip({p = 0})(x), x))
  -- quarter turns of a square image: each of the four appears
  local sq = torch.randn(100, 1, 3, 3)
  local r = augment.random_rot90()(sq)
  local counts = {0, 0, 0, 0}
  for i = 1, 100 do
    for k = 0, 3 do
      if same(r[i], augment.rot90(sq[i], k)) then counts[k + 1] = counts[k + 1] + 1; break end
    end
  end
  for k = 1, 4 do assert_true(counts[k] > 10, "rotation " .. (k - 1) .. " seen " .. counts[k] .. " times") end
  local wide = augment.random_rot90()(torch.randn(4, 1, 3, 5))
  assert_eq(shape(wide), "4,1,3,5")
  assert_error(function() augment.random_hflip({p = 2}) end, "[random_hflip] p must be a probability")
  assert_error(function() augment.random_hflip({prob = 0.5}) end, "[random_hflip] unknown option \"prob\"")
end)

test("random crops and shifts are windows of the padded image", function()
  torch.manual_seed(2)
  local x = torch.randn(12, 2, 6, 6)
  local padded = F.pad(x, {2, 2, 2, 2})
  local y = augment.random_shift(2)(x)
  local offsets = {}
  for i = 1, 12 do
    local found
    for dy = 1, 5 do for dx = 1, 5 do
      if not found and same(y[i], padded[i]:narrow(2, dy, 6):narrow(3, dx, 6)) then found = dy * 10 + dx end
    end end
    assert_true(found ~= nil, "image " .. i .. " is a window of the padded input")
    offsets[found] = true
  end
  local distinct = 0
  for _ in pairs(offsets) do distinct = distinct + 1 end
  assert_true(distinct > 3, "offsets vary")
  local crop = augment.random_crop({4, 5})(x)
  assert_eq(shape(crop), "12,2,4,5")
  assert_eq(shape(augment.random_crop(8, {padding = 1, fill = 1})(x)), "12,2,8,8")
  assert_error(function() augment.random_crop(9)(x) end, "[random_crop] crop size 9x9 is larger")
end)

test("gaussian noise and cutout", function()
  torch.manual_seed(3)
  local x = torch.zeros(64, 3, 16, 16)
  local noisy = augment.gaussian_noise({std = 0.5, mean = 1})(x)
  assert_close(noisy:mean():item(), 1, 0.02)
  assert_close(noisy:std():item(), 0.5, 0.02)
  local ones = torch.ones(64, 3, 16, 16)
  local cut = augment.cutout({size = 4, fill = 0})(ones)
  local zeros = cut:eq(0):sum({2, 3, 4})                               -- per image, all channels
  assert_true(zeros:max():item() <= 3 * 16, "at most one 4x4 square per channel")
  assert_true(zeros:min():item() >= 3 * 4, "a clipped square keeps at least 2x2 pixels")
  local channels_cut = cut:eq(0):sum(2)                                -- every channel cut alike
  assert_eq(channels_cut:eq(0):logical_or(channels_cut:eq(3)):sum():item(), 64 * 16 * 16)
  local none = augment.cutout({size = 4, p = 0})(ones)
  assert_close(none, ones)
  local two = augment.cutout({size = 2, holes = 2, fill = -1})(ones)
  assert_true(two:eq(-1):sum({2, 3, 4}):max():item() <= 3 * 8)
end)

test("transforms plug into a DataLoader as batch_transform", function()
  torch.manual_seed(4)
  local ds = data.TensorDataset(torch.randn(10, 1, 6, 6), torch.randint(1, 3, {10}))
  local loader = data.DataLoader(ds, {batch_size = 4, batch_transform = data.augment.compose({
    data.augment.random_hflip(), data.augment.random_rotation(10), data.augment.gaussian_noise({std = 0.05})})})
  local sizes = {}
  for bx, by in loader:iter() do
    sizes[#sizes + 1] = shape(bx)
    assert_eq(by:size(1), bx:size(1))
  end
  assert_eq(table.concat(sizes, " "), "4,1,6,6 4,1,6,6 2,1,6,6")
  local per_sample = data.DataLoader(ds, {batch_size = 5, transform = augment.random_vflip()})
  for bx in per_sample:iter() do assert_eq(shape(bx), "5,1,6,6") end
  assert_error(function() augment.random_hflip()(torch.randn(6, 6)) end, "[random_hflip] expected an image tensor")
end)
