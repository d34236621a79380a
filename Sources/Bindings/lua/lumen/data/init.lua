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
local data = require "lumen.data.namespace"

require "lumen.data.random"
require "lumen.data.datasets"
require "lumen.data.collate"
require "lumen.data.loader"
require "lumen.data.splits"
require "lumen.data.standardizer"
require "lumen.data.csv"

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
