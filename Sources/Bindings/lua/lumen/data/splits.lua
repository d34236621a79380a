-- lumen.data.splits: random, stratified and train/val/test splits (part of the `data` library; see lumen/data/init.lua).
local data = require "lumen.data.namespace"
local util = require "lumen.data.util"
local is_tensor = torch.is_tensor
local Subset = data.Subset
local fail, permutation, draw_seed, index_tensor = util.fail, util.permutation, util.draw_seed, util.index_tensor

-- Sizes for n items from counts (summing to n) or fractions (summing to 1); the remainder of
-- fractions goes one by one to the first parts (as PyTorch's random_split).
local function split_sizes(op, n, parts)
  if type(parts) ~= "table" or #parts == 0 then fail(op, "expected a table of lengths or fractions; got %s", type(parts)) end
  local all_int, total = true, 0
  for k, v in ipairs(parts) do
    if type(v) ~= "number" or v < 0 then fail(op, "length %d must be a non-negative number; got %s", k, tostring(v)) end
    if math.tointeger(v) == nil or (v == 0 and math.type(v) == "float") then all_int = false end
    total = total + v
  end
  local sizes = {}
  if all_int then
    if total ~= n then fail(op, "lengths sum to %d but the dataset has %d samples", total, n) end
    for k, v in ipairs(parts) do sizes[k] = math.tointeger(v) end
    return sizes
  end
  if math.abs(total - 1) > 1e-6 then fail(op, "fractions must sum to 1; got %s", tostring(total)) end
  local used = 0
  for k, v in ipairs(parts) do sizes[k] = math.floor(v * n); used = used + sizes[k] end
  local k = 1
  while used < n do
    sizes[k] = sizes[k] + 1
    used = used + 1
    k = k % #parts + 1
  end
  return sizes
end

--- Splits `dataset` into Subsets of the given lengths (integers summing to #dataset) or fractions
--- (summing to 1), disjoint and covering every sample, shuffled by `seed`:
---   local train, val = data.random_split(ds, {0.8, 0.2}, 42)
function data.random_split(dataset, lengths, seed)
  dataset = data.as_dataset(dataset, "random_split")
  if seed ~= nil and math.tointeger(seed) == nil then error("[random_split] seed must be an integer; got " .. tostring(seed), 2) end
  local n = #dataset
  local sizes = split_sizes("random_split", n, lengths)
  local p = permutation(n, data.rng(seed or draw_seed(), 0))
  local out, at = {}, 0
  for k, size in ipairs(sizes) do
    out[k] = Subset(dataset, table.move(p, at + 1, at + size, 1, {}))
    at = at + size
  end
  return table.unpack(out, 1, #sizes)
end

-- Count for a fraction (or an integer count) of n.
local function part_size(op, name, v, n)
  if v == nil then return 0 end
  if type(v) ~= "number" or v < 0 then fail(op, "option %s must be a fraction in [0, 1) or a count; got %s", name, tostring(v)) end
  if v >= 1 then
    if math.tointeger(v) == nil then fail(op, "option %s must be a fraction below 1 or an integer count; got %s", name, tostring(v)) end
    return math.tointeger(v)
  end
  return math.floor(v * n + 0.5)
end

--- Splits rows of x (and y) into train/validation/test sets:
---   local xtr, ytr, xva, yva, xte, yte = data.train_val_test_split(x, y, {val = 0.15, test = 0.15, seed = 0})
--- Options: val, test (fractions of the rows, or integer counts; default 0.15 each), seed (an
--- integer; default drawn from torch's generator), shuffle (default true), stratify (default
--- false; true keeps each class's share in every split: y must hold integer class labels).
--- y may be nil (its slots are then nil). Returns index_select copies.
function data.train_val_test_split(x, y, options)
  local op = "train_val_test_split"
  options = options or {}
  if not is_tensor(x) then fail(op, "argument 1: expected a tensor; got %s", type(x)) end
  if y ~= nil and not is_tensor(y) then fail(op, "argument 2: expected a tensor or nil; got %s", type(y)) end
  if x:dim() == 0 then fail(op, "argument 1: expected rows; got a scalar") end
  local n = x:size(1)
  if y ~= nil and (y:dim() == 0 or y:size(1) ~= n) then
    fail(op, "x has %d rows but y has %s", n, y:dim() == 0 and "no rows (a scalar)" or tostring(y:size(1)))
  end
  for k in pairs(options) do
    if k ~= "val" and k ~= "test" and k ~= "seed" and k ~= "shuffle" and k ~= "stratify" then
      fail(op, "unknown option %q (expected val, test, seed, shuffle, stratify)", tostring(k))
    end
  end
  local val_frac = options.val == nil and 0.15 or options.val
  local test_frac = options.test == nil and 0.15 or options.test
  if options.seed ~= nil and math.tointeger(options.seed) == nil then fail(op, "option seed must be an integer; got %s", tostring(options.seed)) end
  local rand = data.rng(options.seed or draw_seed(), 0)
  local shuffle = options.shuffle ~= false
  local train, val, test = {}, {}, {}
  local function assign(indices)
    local m = #indices
    local nt, nv = part_size(op, "test", test_frac, m), part_size(op, "val", val_frac, m)
    if nt + nv > m then fail(op, "val (%d) and test (%d) take more than the %d rows available", nv, nt, m) end
    local ntr = m - nt - nv
    for k, i in ipairs(indices) do
      if k <= ntr then train[#train + 1] = i elseif k <= ntr + nv then val[#val + 1] = i else test[#test + 1] = i end
    end
  end
  if options.stratify then
    if y == nil then fail(op, "stratify needs class labels y") end
    if y:dim() ~= 1 then fail(op, "stratify needs y of shape (N) with class labels; got %d dims", y:dim()) end
    local labels = y:totable()
    local groups, classes = {}, {}
    for i, c in ipairs(labels) do
      if math.tointeger(c) == nil then fail(op, "stratify needs integer class labels; y[%d] is %s", i, tostring(c)) end
      if not groups[c] then groups[c] = {}; classes[#classes + 1] = c end
      local g = groups[c]
      g[#g + 1] = i
    end
    table.sort(classes)
    for _, c in ipairs(classes) do
      local g = groups[c]
      if shuffle then
        local p = permutation(#g, rand)
        local shuffled = {}
        for k, j in ipairs(p) do shuffled[k] = g[j] end
        g = shuffled
      end
      assign(g)
    end
    -- Mix the classes within each split.
    local function mix(list)
      if not shuffle then table.sort(list); return list end
      local p = permutation(#list, rand)
      local out = {}
      for k, j in ipairs(p) do out[k] = list[j] end
      return out
    end
    train, val, test = mix(train), mix(val), mix(test)
  else
    local order = {}
    if shuffle then order = permutation(n, rand) else for i = 1, n do order[i] = i end end
    assign(order)
  end
  if #train == 0 and n > 0 then fail(op, "no rows left for training (%d rows, val %d, test %d)", n, #val, #test) end
  local it, iv, ie = index_tensor(train), index_tensor(val), index_tensor(test)
  return x:index_select(1, it), y and y:index_select(1, it), x:index_select(1, iv), y and y:index_select(1, iv),
    x:index_select(1, ie), y and y:index_select(1, ie)
end
