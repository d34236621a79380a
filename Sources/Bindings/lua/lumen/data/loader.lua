-- lumen.data.loader: DataLoader (seeded shuffling per epoch, batching, transforms) (part of the `data` library; see lumen/data/init.lua).
local data = require "lumen.data.namespace"
local util = require "lumen.data.util"
local pack_sample, index_tensor = util.pack_sample, util.index_tensor
local permutation, draw_seed = util.permutation, util.draw_seed

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
