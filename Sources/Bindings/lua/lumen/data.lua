-- lumen.data: datasets, batching, splits, scaling and CSV files (global `data`).
--
--   local ds = data.TensorDataset(x, y)                  -- ds[i] -> {x[i], y[i]}; #ds rows
--   local train, val = data.random_split(ds, {0.8, 0.2}, 42)
--   local loader = data.DataLoader(train, {batch_size = 32, shuffle = true, seed = 1})
--   for epoch = 1, 10 do
--     for bx, by in loader:iter() do ... end           -- one pass = one epoch; #loader batches
--   end
--   local cols, names = data.read_csv("iris.csv", {columns = {species = "string"}})
--   local x = data.stack_columns(cols, {"sepal_length", "sepal_width"})   -- (N, 2) float32
--
-- Rules:
-- * Indices count from 1 (`ds[1]` is the first sample; negative indices count from the end).
-- * A sample is whatever `dataset:get(i)` returns. Several return values (or an array table
--   such as TensorDataset's {x_i, y_i}) form a tuple; the default collate batches each position
--   and `loader:iter()` yields the positions as separate values: `for bx, by in loader:iter()`.
--   A sample that is a table with string keys is batched per key and yielded as one table.
-- * Iterate a loader with `loader:iter()` (calling the loader itself is an error that says so).
--   Each `iter()` call is one epoch.
-- * Shuffling never touches torch's global generator during iteration: permutations come from a
--   small seeded Lua RNG (splitmix64, `data.randperm(n, seed)`), keyed by (seed, epoch), so
--   epoch k of a loader is the same in every run and differs between epochs and seeds. Without
--   an explicit `seed`, one seed is drawn from torch's generator when the loader (or split) is
--   made, so `torch.manual_seed(n)` earlier in the script makes the whole run reproducible.
-- * Progress bars and metric logs live in `lumen.progress`, exposed here as `data.progress`
--   (`data.progress.bar(n)`) and `data.Logger`; JSON helpers as `data.json`.
local data = {}

local is_tensor = torch.is_tensor

local function fail(op, fmt, ...)
  error(string.format("[%s] " .. fmt, op, ...), 3)
end

-- MARK: seeded permutations ---------------------------------------------------------------

-- splitmix64 on Lua's wrapping 64-bit integers.
local function splitmix(state)
  state = state + 0x9E3779B97F4A7C15
  local z = state
  z = (z ~ (z >> 30)) * 0xBF58476D1CE4E5B9
  z = (z ~ (z >> 27)) * 0x94D049BB133111EB
  return state, z ~ (z >> 31)
end

--- A random-number function seeded by integers (seed, stream...): each call returns an integer
--- uniform in 1..k. Independent of torch's and math.random's global state.
function data.rng(seed, ...)
  local state = math.tointeger(seed)
  if state == nil then error("[rng] seed must be an integer; got " .. tostring(seed), 2) end
  for _, extra in ipairs({...}) do
    local v
    state, v = splitmix(state)
    state = v ~ (math.tointeger(extra) or 0) * 0x632BE59BD9B4E019
  end
  return function(k)
    local v
    state, v = splitmix(state)
    return math.floor(((v >> 11) * 0x1p-53) * k) + 1
  end
end

-- A permutation of 1..n as a Lua array (Fisher-Yates).
local function permutation(n, rand)
  local p = {}
  for i = 1, n do p[i] = i end
  for i = n, 2, -1 do
    local j = rand(i)
    p[i], p[j] = p[j], p[i]
  end
  return p
end

-- A seed drawn from torch's generator (so torch.manual_seed governs loaders made without one).
local function draw_seed()
  return torch.randint(0, 2147483647, {1}):item()
end

--- A random permutation of 1..n as an int64 tensor, reproducible by `seed` (and `epoch`).
function data.randperm(n, seed, epoch)
  if math.tointeger(n) == nil or n < 0 then error("[randperm] n must be a non-negative integer; got " .. tostring(n), 2) end
  local p = permutation(n, data.rng(seed or draw_seed(), epoch or 0))
  return torch.tensor(p, {dtype = "int64"})
end

-- Array of integers -> int64 tensor (empty arrays too).
local function index_tensor(list)
  if #list == 0 then return torch.zeros(0, {dtype = "int64"}) end
  return torch.tensor(list, {dtype = "int64"})
end

-- MARK: datasets --------------------------------------------------------------------------

-- Packs get()'s results into one sample: one value as is, several as an array table.
local function pack_sample(...)
  if select("#", ...) == 1 then return (...) end
  return {...}
end

local function default_len(self) return self:len() end

--- Base class of datasets. Subclass with `extend`, define `init(...)`, `len()` and `get(i)`:
---   local Squares = data.Dataset:extend("Squares")
---   function Squares:init(n) self.n = n end
---   function Squares:len() return self.n end
---   function Squares:get(i) return torch.tensor({i}), i * i end    -- (x, y) tuple
---   local ds = Squares(10); print(#ds, ds[3][2])                    --> 10  9
--- `ds[i]` calls get(i) (several results are packed as an array); `#ds` calls len(). Define
--- `get_batch(indices)` (an int64 tensor of 1-based indices) to let DataLoader skip per-sample
--- gets and collation.
local Dataset = {__name = "Dataset"}
data.Dataset = Dataset

local function setup_class(cls, name)
  cls.__name = name
  cls.__index = function(t, k)
    if type(k) == "number" then return t:item(k) end
    return cls[k]
  end
  cls.__len = default_len
  cls.__tostring = function(t)
    local ok, n = pcall(function() return #t end)
    return string.format("%s(%s samples)", name, ok and tostring(n) or "?")
  end
  return cls
end

setmetatable(Dataset, {
  __call = function(cls, ...) local obj = cls:new(...); return obj end,
  __tostring = function() return "class Dataset" end,
})
setup_class(Dataset, "Dataset")

--- A subclass named `name` (its instances are made by calling it: `MyDataset(args...)`).
function Dataset:extend(name)
  if type(name) ~= "string" then error("[Dataset:extend] expected a class name; got " .. type(name), 2) end
  local cls = setmetatable({}, {
    __index = self,
    __call = function(c, ...) local obj = c:new(...); return obj end,
    __tostring = function() return "class " .. name end,
  })
  return setup_class(cls, name)
end

function Dataset:new(...)
  local obj = setmetatable({}, self)
  obj:init(...)
  return obj
end

function Dataset:init() end

function Dataset:len()
  local mt = getmetatable(self)
  if mt.__len ~= default_len then return mt.__len(self) end
  error(string.format("[%s] define len() (the number of samples) for this dataset", mt.__name), 2)
end

function Dataset:get(i)
  error(string.format("[%s] define get(i) (returning sample i) for this dataset", getmetatable(self).__name), 2)
end

--- Sample `i` (1-based; negative from the end) with bounds checking, packed as one value.
function Dataset:item(i)
  local n = #self
  local k = math.tointeger(i)
  if k == nil then error(string.format("[%s] index must be an integer; got %s", getmetatable(self).__name, tostring(i)), 2) end
  if k < 0 then k = n + 1 + k end
  if k < 1 or k > n then
    error(string.format("[%s] index %d out of range 1..%d", getmetatable(self).__name, i, n), 2)
  end
  return pack_sample(self:get(k))
end

--- Rows of tensors: `data.TensorDataset(x, y, ...)`, all with the same first size. Lua arrays
--- are turned into tensors (torch.tensor). `ds:get(i)` returns x[i], y[i], ...; `ds[i]` the
--- array {x[i], y[i], ...}. DataLoader batches it with one index_select per tensor.
local TensorDataset = Dataset:extend("TensorDataset")
data.TensorDataset = TensorDataset

function TensorDataset:init(...)
  local n = select("#", ...)
  if n == 0 then error("[TensorDataset] expected at least one tensor", 4) end
  self.tensors = {}
  for k = 1, n do
    local t = select(k, ...)
    if type(t) == "table" and not is_tensor(t) then t = torch.tensor(t) end
    if not is_tensor(t) then error(string.format("[TensorDataset] argument %d: expected a tensor; got %s", k, type(t)), 4) end
    if t:dim() == 0 then error(string.format("[TensorDataset] argument %d: expected a tensor with a first dimension; got a scalar", k), 4) end
    if k > 1 and t:size(1) ~= self.tensors[1]:size(1) then
      error(string.format("[TensorDataset] all tensors need the same first size; argument 1 has %d rows, argument %d has %d",
        self.tensors[1]:size(1), k, t:size(1)), 4)
    end
    self.tensors[k] = t
  end
  self.n = self.tensors[1]:size(1)
end

function TensorDataset:len() return self.n end

function TensorDataset:get(i)
  local ts = self.tensors
  if #ts == 1 then return ts[1][i] end
  if #ts == 2 then return ts[1][i], ts[2][i] end
  local out = {}
  for k, t in ipairs(ts) do out[k] = t[i] end
  return table.unpack(out, 1, #ts)
end

function TensorDataset:get_batch(indices)
  local ts = self.tensors
  if #ts == 1 then return ts[1]:index_select(1, indices) end
  if #ts == 2 then return ts[1]:index_select(1, indices), ts[2]:index_select(1, indices) end
  local out = {}
  for k, t in ipairs(ts) do out[k] = t:index_select(1, indices) end
  return table.unpack(out, 1, #ts)
end

--- A dataset over a Lua array of samples: `data.ListDataset({{x1, y1}, {x2, y2}, ...})`.
--- Array-table samples are tuples (yielded as separate values); anything else is one value.
local ListDataset = Dataset:extend("ListDataset")
data.ListDataset = ListDataset

function ListDataset:init(items)
  if type(items) ~= "table" or is_tensor(items) then
    error("[ListDataset] expected a Lua array of samples; got " .. (is_tensor(items) and "tensor" or type(items)), 4)
  end
  self.items = items
end

function ListDataset:len() return #self.items end
function ListDataset:get(i) return self.items[i] end

--- The samples of `dataset` at `indices` (Lua array or int64 tensor of 1-based indices).
local Subset = Dataset:extend("Subset")
data.Subset = Subset

function Subset:init(dataset, indices)
  self.dataset = data.as_dataset(dataset, "Subset")
  if is_tensor(indices) then
    self.index = indices:long()
    self.indices = indices:totable()
  else
    self.indices = indices
    self.index = index_tensor(indices)
  end
  local n = #self.dataset
  for k, i in ipairs(self.indices) do
    if math.tointeger(i) == nil or i < 1 or i > n then
      error(string.format("[Subset] index %s (entry %d) out of range 1..%d", tostring(i), k, n), 4)
    end
  end
  -- Batched reads only when the underlying dataset has them.
  if not self.dataset.get_batch then self.get_batch = false end
end

function Subset:len() return #self.indices end
function Subset:get(i) return self.dataset:get(self.indices[i]) end

function Subset:get_batch(indices)
  return self.dataset:get_batch(self.index:index_select(1, indices))
end

--- `dataset` as a Dataset: datasets pass through, tensors become a TensorDataset, Lua arrays a
--- ListDataset.
function data.as_dataset(dataset, op)
  if is_tensor(dataset) then return TensorDataset(dataset) end
  if type(dataset) == "table" then
    if dataset.get ~= nil then return dataset end
    return ListDataset(dataset)
  end
  error(string.format("[%s] expected a dataset (data.Dataset, a tensor or a Lua array of samples); got %s",
    op or "dataset", type(dataset)), 3)
end

-- MARK: collation -------------------------------------------------------------------------

local function is_array(v)
  return type(v) == "table" and not is_tensor(v) and v[1] ~= nil
end

local function collate_value(values, where)
  local first = values[1]
  if is_tensor(first) then
    for k = 2, #values do
      if not is_tensor(values[k]) then
        error(string.format("[collate] %ssample %d is a %s but sample 1 is a tensor", where, k, type(values[k])), 0)
      end
    end
    local ok, result = pcall(torch.stack, values)
    if not ok then error(string.format("[collate] %scannot stack samples: %s", where, tostring(result)), 0) end
    return result
  elseif type(first) == "number" or type(first) == "boolean" then
    for k = 2, #values do
      if type(values[k]) ~= type(first) then
        error(string.format("[collate] %ssample %d is a %s but sample 1 is a %s", where, k, type(values[k]), type(first)), 0)
      end
    end
    return torch.tensor(values)
  elseif type(first) == "string" then
    return {table.unpack(values)}
  elseif type(first) == "table" then
    local out = {}
    if first[1] ~= nil then
      for pos = 1, #first do
        local column = {}
        for k, v in ipairs(values) do
          if type(v) ~= "table" or #v ~= #first then
            error(string.format("[collate] %ssample %d does not have %d fields like sample 1", where, k, #first), 0)
          end
          column[k] = v[pos]
        end
        out[pos] = collate_value(column, where .. "field " .. pos .. ": ")
      end
    else
      for key in pairs(first) do
        local column = {}
        for k, v in ipairs(values) do
          if type(v) ~= "table" or v[key] == nil then
            error(string.format("[collate] %ssample %d lacks key %q", where, k, tostring(key)), 0)
          end
          column[k] = v[key]
        end
        out[key] = collate_value(column, where .. "key " .. tostring(key) .. ": ")
      end
    end
    return out
  end
  return {table.unpack(values)}
end

--- Batches a list of samples the way DataLoader does by default: tensors are stacked (a new
--- first dim), numbers and booleans become a tensor (torch.tensor's dtype rules: integers →
--- int64), strings stay a Lua array, tables are batched per field/key. Tuple samples (array
--- tables) give one return value per position.
function data.default_collate(samples)
  if #samples == 0 then error("[collate] no samples to batch", 2) end
  local batch = collate_value(samples, "")
  if is_array(samples[1]) then return table.unpack(batch, 1, #samples[1]) end
  return batch
end

-- MARK: DataLoader ------------------------------------------------------------------------

local DataLoader = {}
DataLoader.__index = DataLoader
DataLoader.__name = "DataLoader"
data.DataLoader = DataLoader

local loader_options = {batch_size = true, shuffle = true, drop_last = true, seed = true, collate_fn = true,
  transform = true, batch_transform = true}

--- `data.DataLoader(dataset, {batch_size = 1, shuffle = false, drop_last = false, seed = nil,
--- collate_fn = nil, transform = nil, batch_transform = nil})`
---   for bx, by in loader:iter() do ... end    -- one epoch; #loader is the number of batches
--- * dataset: a data.Dataset, a tensor, or a Lua array of samples.
--- * shuffle: a new permutation each epoch, from (seed, epoch); see the module header.
--- * collate_fn(samples) -> batch values (whatever it returns is what iter() yields).
--- * transform(...) -> sample: applied to each sample's values before collation
---   (e.g. `transform = function(x, y) return x + noise(), y end`).
--- * batch_transform(...) -> batch values: applied to each collated batch.
--- A dataset with get_batch (TensorDataset, and Subsets of one) is batched with index_select
--- unless transform or collate_fn is given.
setmetatable(DataLoader, {__call = function(_, dataset, options)
  options = options or {}
  if type(options) ~= "table" then error("[DataLoader] options must be a table; got " .. type(options), 2) end
  for k in pairs(options) do
    if not loader_options[k] then
      error(string.format("[DataLoader] unknown option %q (expected batch_size, shuffle, drop_last, seed, collate_fn, transform, batch_transform)", tostring(k)), 2)
    end
  end
  local self = setmetatable({}, DataLoader)
  self.dataset = data.as_dataset(dataset, "DataLoader")
  local bs = options.batch_size or 1
  if math.tointeger(bs) == nil or bs < 1 then
    error("[DataLoader] option batch_size must be a positive integer; got " .. tostring(bs), 2)
  end
  for _, name in ipairs({"collate_fn", "transform", "batch_transform"}) do
    if options[name] ~= nil and type(options[name]) ~= "function" then
      error(string.format("[DataLoader] option %s must be a function; got %s", name, type(options[name])), 2)
    end
  end
  if options.seed ~= nil and math.tointeger(options.seed) == nil then
    error("[DataLoader] option seed must be an integer; got " .. tostring(options.seed), 2)
  end
  self.batch_size = math.tointeger(bs)
  self.shuffle = options.shuffle and true or false
  self.drop_last = options.drop_last and true or false
  self.collate_fn = options.collate_fn
  self.transform = options.transform
  self.batch_transform = options.batch_transform
  self.seed = options.seed or (self.shuffle and draw_seed() or 0)
  self.epoch = 0
  return self
end})

function DataLoader:__len()
  local n = #self.dataset
  if self.drop_last then return n // self.batch_size end
  return (n + self.batch_size - 1) // self.batch_size
end

function DataLoader:__tostring()
  return string.format("DataLoader(%d samples, batch_size=%d, %d batches%s%s)", #self.dataset, self.batch_size, #self,
    self.shuffle and ", shuffle" or "", self.drop_last and ", drop_last" or "")
end

function DataLoader.__call()
  error("[DataLoader] iterate with `for x, y in loader:iter() do ... end`", 2)
end

--- Sets the epoch number the next iter() continues from (its permutation is epoch + 1's).
function DataLoader:set_epoch(epoch) self.epoch = epoch end

--- The sample order of `epoch` as a Lua array of 1-based indices.
function DataLoader:order(epoch)
  local n = #self.dataset
  if self.shuffle then return permutation(n, data.rng(self.seed, epoch or self.epoch)) end
  local p = {}
  for i = 1, n do p[i] = i end
  return p
end

local function finish_batch(self, ...)
  if self.batch_transform then return self.batch_transform(...) end
  return ...
end

--- One epoch of batches: `for bx, by in loader:iter() do ... end`.
function DataLoader:iter()
  self.epoch = self.epoch + 1
  local dataset, bs = self.dataset, self.batch_size
  local n = #dataset
  local order = self:order(self.epoch)
  local batches = #self
  local b = 0
  local fast = dataset.get_batch and self.transform == nil and self.collate_fn == nil
  local order_tensor
  if fast then order_tensor = index_tensor(order) end
  local collate = self.collate_fn or data.default_collate
  local transform = self.transform
  return function()
    if b >= batches then return nil end
    b = b + 1
    local first = (b - 1) * bs + 1
    local count = math.min(bs, n - first + 1)
    if fast then
      return finish_batch(self, dataset:get_batch(order_tensor:narrow(1, first, count)))
    end
    local samples = {}
    for k = 1, count do
      local i = order[first + k - 1]
      if transform then samples[k] = pack_sample(transform(dataset:get(i)))
      else samples[k] = pack_sample(dataset:get(i)) end
    end
    return finish_batch(self, collate(samples))
  end
end

-- MARK: splits ----------------------------------------------------------------------------

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

-- MARK: Standardizer ----------------------------------------------------------------------

--- Per-column standardization (sklearn's StandardScaler: population std; a column whose std is
--- below `eps` (default 1e-12) is divided by 1 instead):
---   local sc = data.Standardizer():fit(x_train)
---   local z = sc:transform(x_test); local back = sc:inverse_transform(z)
--- Columns are the last dim of a 2-D input (rows are samples); a 1-D input is one column.
--- `sc.mean`, `sc.std` hold the fitted tensors; state_dict()/load_state_dict() save them.
local Standardizer = {}
Standardizer.__index = Standardizer
Standardizer.__name = "Standardizer"
data.Standardizer = Standardizer

setmetatable(Standardizer, {__call = function(_, options)
  options = options or {}
  return setmetatable({eps = options.eps or 1e-12}, Standardizer)
end})

local function check_input(self, op, x, fitted)
  if not is_tensor(x) then error(string.format("[Standardizer:%s] expected a tensor; got %s", op, type(x)), 3) end
  if x:dim() < 1 or x:dim() > 2 then
    error(string.format("[Standardizer:%s] expected a 1-D or 2-D tensor (rows of samples); got %d dims", op, x:dim()), 3)
  end
  if fitted then
    if self.mean == nil then error(string.format("[Standardizer:%s] call fit(x) first", op), 3) end
    local cols = x:dim() == 2 and x:size(2) or 1
    if x:dim() ~= self.dims or (x:dim() == 2 and cols ~= self.mean:size(1)) then
      error(string.format("[Standardizer:%s] fitted on %s; got %d-D input with %d columns", op,
        self.dims == 2 and (self.mean:size(1) .. " columns") or "a 1-D tensor", x:dim(), cols), 3)
    end
  end
end

function Standardizer:fit(x)
  check_input(self, "fit", x, false)
  if x:size(1) == 0 then error("[Standardizer:fit] cannot fit on zero rows", 2) end
  local xf = x.dtype == "float64" and x or x:float()
  xf = xf:detach()
  local mean = xf:mean(1)
  local std = ((xf - mean) ^ 2):mean(1):sqrt()
  self.mean = mean
  self.std = torch.where(std:lt(self.eps), torch.ones_like(std), std)
  self.dims = x:dim()
  return self
end

function Standardizer:transform(x)
  check_input(self, "transform", x, true)
  local xf = (x.dtype == "float64" or x.dtype == "float32") and x or x:float()
  return (xf - self.mean) / self.std
end

function Standardizer:inverse_transform(z)
  check_input(self, "inverse_transform", z, true)
  return z * self.std + self.mean
end

function Standardizer:fit_transform(x) return self:fit(x):transform(x) end

function Standardizer:state_dict() return {mean = self.mean, std = self.std} end

function Standardizer:load_state_dict(sd)
  if type(sd) ~= "table" or not is_tensor(sd.mean) or not is_tensor(sd.std) then
    error("[Standardizer:load_state_dict] expected {mean = tensor, std = tensor}", 2)
  end
  self.mean, self.std = sd.mean, sd.std
  self.dims = self.dims or 2
  return self
end

function Standardizer:__tostring()
  if not self.mean then return "Standardizer(not fitted)" end
  return string.format("Standardizer(%d columns)", self.mean:numel())
end

-- MARK: CSV -------------------------------------------------------------------------------

--- Reads a CSV file into columns: `local cols, names = data.read_csv(path, options)`.
--- cols[name] is a float32 tensor (numbers; empty fields are NaN), an int64 tensor (columns of
--- integers only) or a Lua array of strings (anything else); names lists the columns in file
--- order. Options:
---   header = true        first record names the columns; false → columns are 1, 2, ...
---   columns = {name = type}  force types: "float32"/"float"/"number", "float64", "int64"/"int",
---                        "int32", "string" (keys are positions when header = false)
---   delimiter = ","      one character ("\t" for TSV)
---   quote = '"'          the quote character
--- Parsing follows RFC 4180 (quoted fields may hold delimiters, quotes as "" and line breaks;
--- CRLF or LF; blank lines are skipped). Errors name the file, line and column.
function data.read_csv(path, options)
  if type(path) ~= "string" then error("[read_csv] expected a file path; got " .. type(path), 2) end
  options = options or {}
  if type(options) ~= "table" then error("[read_csv] options must be a table; got " .. type(options), 2) end
  for k in pairs(options) do
    if k ~= "header" and k ~= "columns" and k ~= "delimiter" and k ~= "quote" then
      error(string.format("[read_csv] unknown option %q (expected header, columns, delimiter, quote)", tostring(k)), 2)
    end
  end
  if options.columns ~= nil and type(options.columns) ~= "table" then
    error("[read_csv] option columns must be a table of column name = type; got " .. type(options.columns), 2)
  end
  local header = options.header
  if header == nil then header = true end
  local ok, cols, names = pcall(lumen_internal.read_csv, path, header and true or false, options.delimiter, options.quote, options.columns)
  if not ok then error(cols, 2) end
  return cols, names
end

--- Stacks numeric columns into one (N, #names) tensor (default dtype float32):
---   local x = data.stack_columns(cols, {"a", "b"}, "float64")
function data.stack_columns(columns, names, dtype)
  if type(columns) ~= "table" or type(names) ~= "table" then
    error("[stack_columns] expected (columns, names)", 2)
  end
  local list = {}
  for k, name in ipairs(names) do
    local c = columns[name]
    if c == nil then error(string.format("[stack_columns] no column %q", tostring(name)), 2) end
    if not is_tensor(c) then error(string.format("[stack_columns] column %q is not numeric (it holds %s)", tostring(name), type(c)), 2) end
    list[k] = c:to(dtype or "float32")
  end
  if #list == 0 then error("[stack_columns] no column names given", 2) end
  return torch.stack(list, 2)
end

--- Writes columns to a CSV file: `data.write_csv(path, columns, names, {delimiter = ","})`.
--- columns[name] is a 1-D tensor or a Lua array (numbers, strings, booleans); names gives the
--- order (default: the keys sorted). Numbers are written with the fewest digits that read back
--- exactly (float32 values as float32; floats keep a ".0" so they read back as floats), NaN as
--- an empty field; text is quoted when it holds the delimiter, a quote or a line break.
function data.write_csv(path, columns, names, options)
  if type(path) ~= "string" then error("[write_csv] expected a file path; got " .. type(path), 2) end
  if type(columns) ~= "table" or is_tensor(columns) then error("[write_csv] expected a table of name = column; got " .. type(columns), 2) end
  options = options or {}
  local delimiter = options.delimiter or ","
  if type(delimiter) ~= "string" or #delimiter ~= 1 or delimiter == '"' or delimiter == "\n" or delimiter == "\r" then
    error("[write_csv] option delimiter must be one character other than a quote or line break", 2)
  end
  if names == nil then
    names = {}
    for k in pairs(columns) do names[#names + 1] = k end
    table.sort(names, function(a, b) return tostring(a) < tostring(b) end)
  end
  if type(names) ~= "table" or #names == 0 then error("[write_csv] expected a non-empty list of column names", 2) end
  local list, text_names = {}, {}
  for k, name in ipairs(names) do
    local c = columns[name]
    if c == nil then error(string.format("[write_csv] no column %q in the table", tostring(name)), 2) end
    if is_tensor(c) and c:dim() ~= 1 then
      error(string.format("[write_csv] column %q must be 1-D; got %d dims", tostring(name), c:dim()), 2)
    end
    list[k], text_names[k] = c, tostring(name)
  end
  local ok, err = pcall(lumen_internal.write_csv, path, text_names, list, delimiter)
  if not ok then error(err, 2) end
end

local progress = require "lumen.progress"
data.progress = progress
data.Logger = progress.Logger
data.json = require "lumen.json"
data.augment = require "lumen.augment"   -- image augmentations usable as batch_transform

-- `?name` help in the REPL (entries added to lumen.help's table).
local docs = require "lumen.help"
docs["data.TensorDataset"] = "data.TensorDataset(x, y, ...) -> dataset of rows: ds[i] = {x[i], y[i]}, #ds = x:size(1)\n  local ds = data.TensorDataset(torch.randn(100, 4), torch.randint(1, 4, {100}))"
docs["data.Dataset"] = "data.Dataset:extend(name) -> dataset class; define init(...), len(), get(i) (several results = a tuple)\n  local D = data.Dataset:extend(\"D\"); function D:len() return 10 end; function D:get(i) return torch.randn(3), i end"
docs["data.ListDataset"] = "data.ListDataset(samples) -> dataset over a Lua array of samples ({x, y} tables are tuples)"
docs["data.DataLoader"] = "data.DataLoader(dataset, {batch_size=1, shuffle=false, drop_last=false, seed=, collate_fn=, transform=, batch_transform=})\n  for bx, by in loader:iter() do ... end   -- one epoch; #loader = number of batches; shuffle reproducible by seed"
docs["data.random_split"] = "data.random_split(dataset, {lengths or fractions}, seed) -> Subsets (multiple results)\n  local train, val = data.random_split(ds, {0.8, 0.2}, 42)"
docs["data.train_val_test_split"] = "data.train_val_test_split(x, y, {val=0.15, test=0.15, seed=, shuffle=true, stratify=false})\n  -> x_train, y_train, x_val, y_val, x_test, y_test"
docs["data.Standardizer"] = "data.Standardizer() -> per-column scaler: sc:fit(x), sc:transform(x), sc:inverse_transform(z), sc:fit_transform(x)"
docs["data.read_csv"] = "data.read_csv(path, {header=true, columns={name=type}, delimiter=\",\", quote='\"'}) -> columns, names\n  numbers -> float32 (integers only -> int64), text -> Lua arrays of strings"
docs["data.write_csv"] = "data.write_csv(path, columns, names, {delimiter=\",\"}) -> writes tensors / Lua arrays as CSV columns"
docs["data.stack_columns"] = "data.stack_columns(columns, names [, dtype]) -> (N, #names) tensor from read_csv columns"
docs["data.randperm"] = "data.randperm(n, seed [, epoch]) -> int64 permutation of 1..n from a seeded Lua RNG (torch's generator untouched)"
docs["data.progress.bar"] = "data.progress.bar(total, {label=}) -> bar; bar:update(n, {loss=...}); bar:close(); for ... in bar:wrap(iter) do"
docs["data.Logger"] = "data.Logger({path=\"m.csv\" | \"m.jsonl\", format=, fields=, append=, echo=}) -> log:log{epoch=1, loss=...}; log:close()"
docs["data.json"] = "data.json.encode(value) -> JSON text;  data.json.decode(text) -> Lua value"
docs["data.augment"] = "data.augment (= require \"lumen.augment\"): hflip, vflip, rot90, rotate, warp_affine; transforms for batch_transform:\n  random_hflip, random_vflip, random_rot90, random_rotation, random_crop, random_shift, gaussian_noise, cutout, compose\n  data.DataLoader(ds, {batch_size = 64, batch_transform = data.augment.random_hflip()})"

return data
