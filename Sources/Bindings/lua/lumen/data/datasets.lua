-- lumen.data.datasets: Dataset base class, TensorDataset, ListDataset, Subset (part of the `data` library; see lumen/data/init.lua).
local data = require "lumen.data.namespace"
local util = require "lumen.data.util"
local is_tensor = torch.is_tensor
local pack_sample, index_tensor = util.pack_sample, util.index_tensor

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
