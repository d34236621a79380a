-- lumen.augment: image augmentations for tensors, (N, C, H, W) batches or single (C, H, W)
-- images. Not a global: `local augment = require "lumen.augment"` (also `data.augment`).
--
-- Deterministic operations:
--   augment.hflip(x), augment.vflip(x)          mirror left-right / top-bottom
--   augment.rot90(x, k)                          k quarter turns counter-clockwise (torch.rot90 on the
--                                                last two dims); k = 1 maps [[1,2],[3,4]] to [[2,4],[1,3]]
--   augment.rotate(x, degrees, {fill = 0})       counter-clockwise about the center, bilinear; degrees
--                                                a number or a tensor with one angle per image
--   augment.warp_affine(x, theta, {fill = 0})    theta (N, 2, 3): output pixel (x, y) about the center
--                                                reads the input at theta * (x, y, 1)
-- Random transforms: each call below returns a function (x, ...) -> x', ... that transforms x
-- (one independent draw per image) and passes the other values (labels) through, so it serves
-- as a DataLoader `batch_transform` (or `transform` for single images):
--   augment.random_hflip({p = 0.5}), augment.random_vflip({p = 0.5})
--   augment.random_rot90({p = 1})                0, 90, 180 or 270 degrees at random (0 or 180 for
--                                                non-square images, whose shape must not change)
--   augment.random_rotation(degrees, {fill = 0, p = 1})   angle uniform in [-degrees, degrees] or {lo, hi}
--   augment.random_crop(size, {padding = 0, padding_mode = "constant", fill = 0})   pad, then crop
--                                                size ({h, w} or a number; nil = the input size) at a
--                                                random place
--   augment.random_shift(max_shift, {padding_mode = "constant", fill = 0})   translate by up to
--                                                max_shift pixels each way (random_crop of the padded image)
--   augment.gaussian_noise({std = 0.1, mean = 0, p = 1})
--   augment.cutout({size = 8, holes = 1, fill = 0, p = 1})   fill size x size squares at random
--                                                centers (clipped at the borders)
--   augment.compose({t1, t2, ...})               applies transforms in order
-- All randomness comes from torch's generator: torch.manual_seed(n) makes it reproducible.
--
--   local loader = data.DataLoader(ds, {batch_size = 64, shuffle = true,
--     batch_transform = augment.compose({augment.random_hflip(), augment.random_shift(2)})})
local augment = {}

local function fail(op, fmt, ...)
  error(string.format("[%s] " .. fmt, op, ...), 3)
end

local function check_image(op, x)
  if not torch.is_tensor(x) then fail(op, "expected an image tensor (N, C, H, W) or (C, H, W); got %s", type(x)) end
  if x:dim() ~= 3 and x:dim() ~= 4 then
    fail(op, "expected an image tensor (N, C, H, W) or (C, H, W); got shape (%s)", table.concat(x:size(), ","))
  end
end

-- Reads an options table against defaults; unknown keys are errors.
local function read(op, opts, defaults)
  local out = {}
  for k, v in pairs(defaults) do out[k] = v end
  if opts == nil then return out end
  if type(opts) ~= "table" then fail(op, "expected an options table; got %s", type(opts)) end
  for k, v in pairs(opts) do
    if defaults[k] == nil then
      local known = {}
      for name in pairs(defaults) do known[#known + 1] = name end
      table.sort(known)
      fail(op, "unknown option \"%s\" (known: %s)", tostring(k), table.concat(known, ", "))
    end
    out[k] = v
  end
  return out
end

local function probability(op, p)
  if type(p) ~= "number" or p < 0 or p > 1 then fail(op, "p must be a probability in [0, 1]; got %s", tostring(p)) end
  return p
end

-- MARK: deterministic operations ----------------------------------------------------------

--- Mirrors left-right (the last dim).
function augment.hflip(x)
  return x:flip(-1)
end

--- Mirrors top-bottom (the second-to-last dim).
function augment.vflip(x)
  return x:flip(-2)
end

--- k quarter turns counter-clockwise over the last two dims (torch.rot90(x, k, {-2, -1})).
function augment.rot90(x, k)
  k = (math.tointeger(k or 1) or fail("rot90", "k must be an integer; got %s", tostring(k))) % 4
  if k == 0 then return x end
  if k == 1 then return x:flip(-1):transpose(-2, -1) end
  if k == 2 then return x:flip({-2, -1}) end
  return x:transpose(-2, -1):flip(-1)
end

--- Rotates counter-clockwise by `degrees` (a number, or a tensor of one angle per image) about
--- the image center, bilinearly; pixels from outside the image get `fill`.
function augment.rotate(x, degrees, opts)
  check_image("rotate", x)
  local o = read("rotate", opts, {fill = 0})
  return vision_internal.rotate(x, degrees, o.fill)
end

--- Affine resampling: theta (N, 2, 3) or (2, 3); output pixel (x, y) (column, row, about the
--- center) reads the input at (theta[1] . (x, y, 1), theta[2] . (x, y, 1)), bilinearly.
function augment.warp_affine(x, theta, opts)
  check_image("warp_affine", x)
  local o = read("warp_affine", opts, {fill = 0})
  return vision_internal.warp_affine(x, theta, o.fill)
end

-- MARK: random transforms -----------------------------------------------------------------

-- Wraps `fn(batch)` (batch (N, C, H, W)) as a transform of (x, ...) for batches and single images.
local function transform(op, fn)
  return function(x, ...)
    check_image(op, x)
    if x:dim() == 3 then return fn(x:unsqueeze(1)):squeeze(1), ... end
    return fn(x), ...
  end
end

-- A (N, 1, 1, 1) bool mask, true with probability p per image.
local function chosen(x, p)
  local n = x:size(1)
  return torch.rand(n):lt(p):reshape(n, 1, 1, 1)
end

--- Flips each image left-right with probability p.
function augment.random_hflip(opts)
  local p = probability("random_hflip", read("random_hflip", opts, {p = 0.5}).p)
  return transform("random_hflip", function(x) return torch.where(chosen(x, p), x:flip(-1), x) end)
end

--- Flips each image top-bottom with probability p.
function augment.random_vflip(opts)
  local p = probability("random_vflip", read("random_vflip", opts, {p = 0.5}).p)
  return transform("random_vflip", function(x) return torch.where(chosen(x, p), x:flip(-2), x) end)
end

--- With probability p, turns each image by a multiple of 90 degrees drawn uniformly from
--- 0, 90, 180, 270 (0 or 180 for non-square images).
function augment.random_rot90(opts)
  local p = probability("random_rot90", read("random_rot90", opts, {p = 1}).p)
  return transform("random_rot90", function(x)
    local n = x:size(1)
    local square = x:size(3) == x:size(4)
    local k = torch.randint(0, square and 4 or 2, {n}) * (square and 1 or 2)   -- 0..3 (square) or 0, 2
    k = torch.where(chosen(x, p):reshape(n), k, 0):reshape(n, 1, 1, 1)
    local out = torch.where(k:eq(2), augment.rot90(x, 2), x)
    if square then
      out = torch.where(k:eq(1), augment.rot90(x, 1), out)
      out = torch.where(k:eq(3), augment.rot90(x, 3), out)
    end
    return out
  end)
end

--- Rotates each image (with probability p) by an angle uniform in [-degrees, degrees], or in
--- {lo, hi}.
function augment.random_rotation(degrees, opts)
  local o = read("random_rotation", opts, {fill = 0, p = 1})
  local p = probability("random_rotation", o.p)
  local lo, hi
  if type(degrees) == "number" and degrees >= 0 then lo, hi = -degrees, degrees
  elseif type(degrees) == "table" and type(degrees[1]) == "number" and type(degrees[2]) == "number"
    and degrees[1] <= degrees[2] then lo, hi = degrees[1], degrees[2]
  else fail("random_rotation", "degrees must be a non-negative number or a {lo, hi} table; got %s", tostring(degrees)) end
  return transform("random_rotation", function(x)
    local n = x:size(1)
    local angles = torch.rand(n, {dtype = "float64"}) * (hi - lo) + lo
    angles = torch.where(chosen(x, p):reshape(n), angles, 0)
    return vision_internal.rotate(x, angles, o.fill)
  end)
end

-- {h, w} from a number or a table.
local function size_pair(op, v, what)
  local t = type(v) == "table" and v or {v, v}
  local h, w = math.tointeger(t[1]), math.tointeger(t[2] or t[1])
  if h == nil or w == nil or h < 0 or w < 0 then
    fail(op, "%s must be a non-negative integer or a {h, w} table; got %s", what, tostring(v))
  end
  return h, w
end

--- Pads each image (padding pixels on every side, or {h, w}; mode as F.pad), then crops
--- size ({h, w}, a number, or nil for the input size) at an independent random position.
function augment.random_crop(size, opts)
  local o = read("random_crop", opts, {padding = 0, padding_mode = "constant", fill = 0})
  local ph, pw = size_pair("random_crop", o.padding, "padding")
  local ch, cw
  if size ~= nil then ch, cw = size_pair("random_crop", size, "size") end
  local pad_opts = o.padding_mode == "constant" and {mode = "constant", value = o.fill} or {mode = o.padding_mode}
  return transform("random_crop", function(x)
    local h, w = ch or x:size(3), cw or x:size(4)
    if ph > 0 or pw > 0 then x = vision_internal.pad(x, {pw, pw, ph, ph}, pad_opts) end
    local H, W = x:size(3), x:size(4)
    if h > H or w > W then
      fail("random_crop", "crop size %dx%d is larger than the (padded) image %dx%d", h, w, H, W)
    end
    local n = x:size(1)
    local top = torch.randint(1, H - h + 2, {n}):totable()
    local left = torch.randint(1, W - w + 2, {n}):totable()
    local crops = {}
    for i = 1, n do crops[i] = x[i]:narrow(2, top[i], h):narrow(3, left[i], w) end
    return torch.stack(crops)
  end)
end

--- Translates each image by up to max_shift pixels in each direction (a number or {h, w}),
--- filling the uncovered border as padding_mode ("constant" with fill, "reflect", ...).
function augment.random_shift(max_shift, opts)
  local o = read("random_shift", opts, {padding_mode = "constant", fill = 0})
  size_pair("random_shift", max_shift, "max_shift")
  return augment.random_crop(nil, {padding = max_shift, padding_mode = o.padding_mode, fill = o.fill})
end

--- Adds N(mean, std^2) noise to each image with probability p.
function augment.gaussian_noise(opts)
  local o = read("gaussian_noise", opts, {std = 0.1, mean = 0, p = 1})
  local p = probability("gaussian_noise", o.p)
  if type(o.std) ~= "number" or o.std < 0 then fail("gaussian_noise", "std must be a non-negative number; got %s", tostring(o.std)) end
  return transform("gaussian_noise", function(x)
    local noise = torch.randn(x:size(), {dtype = x.dtype}) * o.std + o.mean
    if p < 1 then noise = noise * chosen(x, p):to(x.dtype) end
    return x + noise
  end)
end

--- Cutout (DeVries & Taylor): with probability p, sets `holes` squares of size x size pixels
--- (all channels) centered at random pixels to `fill`; squares are clipped at the borders.
function augment.cutout(opts)
  local o = read("cutout", opts, {size = 8, holes = 1, fill = 0, p = 1})
  local p = probability("cutout", o.p)
  local sh, sw = size_pair("cutout", o.size, "size")
  local holes = math.tointeger(o.holes)
  if holes == nil or holes < 0 then fail("cutout", "holes must be a non-negative integer; got %s", tostring(o.holes)) end
  return transform("cutout", function(x)
    local n, H, W = x:size(1), x:size(3), x:size(4)
    local rows = torch.arange(1, H + 1):reshape(1, H, 1)
    local cols = torch.arange(1, W + 1):reshape(1, 1, W)
    local mask = torch.zeros(n, H, W, {dtype = "bool"})
    for _ = 1, holes do
      local top = torch.randint(1, H + 1, {n, 1, 1}) - sh // 2
      local left = torch.randint(1, W + 1, {n, 1, 1}) - sw // 2
      local inside = rows:ge(top):logical_and(rows:lt(top + sh)):logical_and(cols:ge(left)):logical_and(cols:lt(left + sw))
      mask = mask:logical_or(inside)
    end
    mask = mask:logical_and(chosen(x, p):reshape(n, 1, 1)):unsqueeze(2)
    return torch.where(mask, o.fill, x)
  end)
end

--- Chains transforms: compose({t1, t2})(x, y) = t2(t1(x, y)).
function augment.compose(transforms)
  if type(transforms) ~= "table" then fail("compose", "expected a list of transforms; got %s", type(transforms)) end
  for i, t in ipairs(transforms) do
    if type(t) ~= "function" then fail("compose", "transform %d is a %s; expected a function", i, type(t)) end
  end
  local function apply(i, ...)
    if i > #transforms then return ... end
    return apply(i + 1, transforms[i](...))
  end
  return function(...) return apply(1, ...) end
end

return augment
