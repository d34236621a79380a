-- data: datasets, DataLoader, splits and the Standardizer.

-- All sample ids seen in one epoch of `loader`, where x[i][1] == i identifies sample i.
local function epoch_ids(loader)
  local ids = {}
  for bx in loader:iter() do
    for _, row in ipairs(bx:totable()) do ids[#ids + 1] = math.tointeger(row[1]) end
  end
  return ids
end

local function ids_dataset(n)
  local x = torch.arange(1, n + 1):reshape(n, 1):float()
  local y = torch.arange(1, n + 1) * 10
  return data.TensorDataset(x, y), x, y
end

test("TensorDataset indexes rows and knows its length", function()
  local ds = ids_dataset(5)
  assert_eq(#ds, 5)
  local sample = ds[2]
  assert_close(sample[1], {2})
  assert_eq(sample[2], 20)
  local x, y = ds:get(3)
  assert_close(x, {3}); assert_eq(y, 30)
  assert_close(ds[-1][1], {5})
  assert_error(function() return ds[6] end, "[TensorDataset] index 6 out of range 1..5")
  assert_error(function() return ds[0] end, "out of range")
  assert_error(function() data.TensorDataset(torch.zeros(3, 2), torch.zeros(4)) end, "same first size")
  assert_error(function() data.TensorDataset() end, "at least one tensor")
  local from_tables = data.TensorDataset({{1, 2}, {3, 4}}, {1, 2})
  assert_eq(#from_tables, 2)
  assert_true(tostring(ds):find("TensorDataset(5 samples)", 1, true) ~= nil)
end)

test("Dataset subclasses: extend, len, get, ds[i] and #ds", function()
  local Squares = data.Dataset:extend("Squares")
  function Squares:init(n) self.n = n end
  function Squares:len() return self.n end
  function Squares:get(i) return torch.tensor({i}, {dtype = "float32"}), i * i end
  local ds = Squares(4)
  assert_eq(#ds, 4)
  assert_eq(ds[3][2], 9)
  assert_error(function() return ds[5] end, "[Squares] index 5 out of range 1..4")
  local loader = data.DataLoader(ds, {batch_size = 3})
  local sizes = {}
  for bx, by in loader:iter() do
    sizes[#sizes + 1] = bx:size(1)
    assert_eq(by.dtype, "int64")
  end
  assert_eq(#sizes, 2); assert_eq(sizes[1], 3); assert_eq(sizes[2], 1)
  -- Missing methods give clear errors.
  local Empty = data.Dataset:extend("Empty")
  assert_error(function() return #Empty() end, "[Empty] define len()")
  local Half = data.Dataset:extend("Half")
  function Half:len() return 1 end
  assert_error(function() return Half()[1] end, "[Half] define get(i)")
  -- A user may define __len instead of len.
  local ByLen = data.Dataset:extend("ByLen")
  ByLen.__len = function() return 7 end
  assert_eq(#ByLen(), 7)
  assert_eq(ByLen():len(), 7)
end)

test("DataLoader covers every sample exactly once per epoch", function()
  local ds = ids_dataset(23)
  for _, shuffle in ipairs({false, true}) do
    local loader = data.DataLoader(ds, {batch_size = 5, shuffle = shuffle, seed = 3})
    assert_eq(#loader, 5)
    for _ = 1, 3 do
      local ids = epoch_ids(loader)
      assert_eq(#ids, 23)
      local seen = {}
      for _, i in ipairs(ids) do
        assert_true(not seen[i], "sample " .. i .. " seen twice")
        seen[i] = true
      end
      for i = 1, 23 do assert_true(seen[i], "sample " .. i .. " missing") end
    end
  end
  -- Without shuffling the order is 1..n; x and y stay paired.
  local loader = data.DataLoader(ds, {batch_size = 10})
  local ids = epoch_ids(loader)
  for i = 1, 23 do assert_eq(ids[i], i) end
  for bx, by in data.DataLoader(ds, {batch_size = 4, shuffle = true, seed = 1}):iter() do
    assert_close(bx:reshape(-1) * 10, by:float())
  end
end)

test("drop_last drops the short final batch", function()
  local ds = ids_dataset(10)
  local loader = data.DataLoader(ds, {batch_size = 4, drop_last = true, shuffle = true, seed = 0})
  assert_eq(#loader, 2)
  local count, total = 0, 0
  for bx, by in loader:iter() do
    count = count + 1
    total = total + bx:size(1)
    assert_eq(bx:size(1), 4); assert_eq(by:size(1), 4)
  end
  assert_eq(count, 2); assert_eq(total, 8)
  assert_eq(#data.DataLoader(ds, {batch_size = 4}), 3)
  assert_eq(#data.DataLoader(ds, {batch_size = 20, drop_last = true}), 0)
  local none = 0
  for _ in data.DataLoader(ds, {batch_size = 20, drop_last = true}):iter() do none = none + 1 end
  assert_eq(none, 0)
end)

test("shuffle is reproducible by seed and differs across seeds and epochs", function()
  local ds = ids_dataset(50)
  local function orders(seed)
    local loader = data.DataLoader(ds, {batch_size = 8, shuffle = true, seed = seed})
    return table.concat(epoch_ids(loader), ","), table.concat(epoch_ids(loader), ",")
  end
  local a1, a2 = orders(7)
  local b1, b2 = orders(7)
  local c1 = orders(8)
  assert_eq(a1, b1); assert_eq(a2, b2)
  assert_true(a1 ~= a2, "epochs differ")
  assert_true(a1 ~= c1, "seeds differ")
  -- Iterating does not touch torch's generator.
  torch.manual_seed(5)
  local expected = torch.randn(3)
  torch.manual_seed(5)
  orders(1)
  assert_close(torch.randn(3), expected, 0)
  -- Without a seed, torch.manual_seed governs the loader.
  torch.manual_seed(11)
  local d1 = table.concat(epoch_ids(data.DataLoader(ds, {batch_size = 8, shuffle = true})), ",")
  torch.manual_seed(11)
  local d2 = table.concat(epoch_ids(data.DataLoader(ds, {batch_size = 8, shuffle = true})), ",")
  assert_eq(d1, d2)
  -- data.randperm is a permutation and reproducible.
  local p = data.randperm(10, 4)
  assert_eq(p.dtype, "int64")
  assert_close(p:sort(), torch.arange(1, 11))
  assert_close(data.randperm(10, 4), p, 0)
end)

test("default collate stacks tensors, numbers, tables and keeps strings", function()
  local samples = {
    {x = torch.tensor({1, 2}, {dtype = "float32"}), label = 1, name = "a", ok = true},
    {x = torch.tensor({3, 4}, {dtype = "float32"}), label = 2, name = "b", ok = false},
  }
  local batch = data.default_collate(samples)
  assert_close(batch.x, {{1, 2}, {3, 4}})
  assert_eq(batch.label.dtype, "int64")
  assert_close(batch.label, {1, 2})
  assert_eq(batch.name[2], "b")
  assert_eq(batch.ok.dtype, "bool")
  local a, b = data.default_collate({{torch.zeros(2), 0.5}, {torch.ones(2), 1.5}})
  assert_close(a, {{0, 0}, {1, 1}}); assert_close(b, {0.5, 1.5})
  assert_error(function() data.default_collate({torch.zeros(2), torch.zeros(3)}) end, "[collate] cannot stack samples")
  assert_error(function() data.default_collate({{x = 1}, {y = 2}}) end, "lacks key")
  -- ListDataset of tuples iterates like a TensorDataset.
  local list = data.ListDataset({{torch.tensor({1.0}), 1}, {torch.tensor({2.0}), 2}, {torch.tensor({3.0}), 3}})
  local n = 0
  for bx, by in data.DataLoader(list, {batch_size = 2}):iter() do
    n = n + 1
    assert_eq(bx:dim(), 2)
    assert_eq(by.dtype, "int64")
  end
  assert_eq(n, 2)
end)

test("custom collate_fn, transform and batch_transform", function()
  local ds = ids_dataset(6)
  local calls = 0
  local loader = data.DataLoader(ds, {batch_size = 4, collate_fn = function(samples)
    calls = calls + 1
    local ids = {}
    for k, s in ipairs(samples) do ids[k] = s[2] end
    return ids, #samples
  end})
  local got = {}
  for ids, count in loader:iter() do got[#got + 1] = count; assert_eq(ids[1] % 10, 0) end
  assert_eq(calls, 2); assert_eq(got[1], 4); assert_eq(got[2], 2)
  local doubled = data.DataLoader(ds, {batch_size = 6, transform = function(x, y) return x * 2, y + 1 end})
  for bx, by in doubled:iter() do
    assert_close(bx:reshape(-1), {2, 4, 6, 8, 10, 12})
    assert_close(by, {11, 21, 31, 41, 51, 61})
  end
  local flipped = data.DataLoader(ds, {batch_size = 6, batch_transform = function(x, y) return y, x end})
  for a, b in flipped:iter() do assert_eq(a:dim(), 1); assert_eq(b:dim(), 2) end
end)

test("DataLoader argument errors and loader misuse", function()
  local ds = ids_dataset(3)
  assert_error(function() data.DataLoader(ds, {batch_size = 0}) end, "[DataLoader] option batch_size must be a positive integer; got 0")
  assert_error(function() data.DataLoader(ds, {batchsize = 2}) end, "unknown option \"batchsize\"")
  assert_error(function() data.DataLoader(ds, {collate_fn = 3}) end, "collate_fn must be a function")
  assert_error(function() data.DataLoader(42) end, "[DataLoader] expected a dataset")
  local loader = data.DataLoader(ds)
  assert_error(function() for _ in loader do end end, "loader:iter()")
  assert_true(tostring(loader):find("3 batches", 1, true) ~= nil)
  -- A plain tensor is a dataset of its rows.
  local n = 0
  for bx in data.DataLoader(torch.zeros(5, 2), {batch_size = 2}):iter() do n = n + bx:size(1) end
  assert_eq(n, 5)
end)

test("random_split: sizes, disjointness and reproducibility", function()
  local ds = ids_dataset(10)
  local a, b, c = data.random_split(ds, {5, 3, 2}, 1)
  assert_eq(#a, 5); assert_eq(#b, 3); assert_eq(#c, 2)
  local seen = {}
  for _, part in ipairs({a, b, c}) do
    for i = 1, #part do
      local id = math.tointeger(part[i][1][1])
      assert_true(not seen[id], "sample " .. id .. " in two splits")
      seen[id] = true
    end
  end
  for i = 1, 10 do assert_true(seen[i]) end
  local f1, f2 = data.random_split(ds, {0.75, 0.25}, 1)
  assert_eq(#f1, 8); assert_eq(#f2, 2)   -- floor(7.5) = 7, floor(2.5) = 2, remainder to the first
  local g1 = data.random_split(ds, {0.75, 0.25}, 1)
  assert_eq(g1[1][1][1], f1[1][1][1])
  assert_error(function() data.random_split(ds, {5, 4}) end, "[random_split] lengths sum to 9 but the dataset has 10 samples")
  assert_error(function() data.random_split(ds, {0.5, 0.4}) end, "fractions must sum to 1")
  -- Subsets of a TensorDataset still batch with index_select, matching per-sample reads.
  local batches = {}
  for bx in data.DataLoader(a, {batch_size = 5}):iter() do batches[#batches + 1] = bx end
  assert_eq(#batches, 1)
  for i = 1, 5 do assert_close(batches[1][i], a[i][1]) end
  -- Subsets of Lua datasets work through get().
  local list = data.ListDataset({1, 2, 3, 4})
  local l1, l2 = data.random_split(list, {2, 2}, 0)
  local total = 0
  for batch in data.DataLoader(l1, {batch_size = 2}):iter() do total = total + batch:sum():item() end
  for batch in data.DataLoader(l2, {batch_size = 2}):iter() do total = total + batch:sum():item() end
  assert_eq(total, 10)
end)

test("train_val_test_split sizes, pairing and seed", function()
  local x = torch.arange(1, 101):reshape(100, 1)
  local y = torch.arange(1, 101)
  local xtr, ytr, xva, yva, xte, yte = data.train_val_test_split(x, y, {val = 0.2, test = 0.1, seed = 3})
  assert_eq(xtr:size(1), 70); assert_eq(xva:size(1), 20); assert_eq(xte:size(1), 10)
  assert_close(xtr:reshape(-1), ytr); assert_close(xva:reshape(-1), yva); assert_close(xte:reshape(-1), yte)
  local all = torch.cat({ytr, yva, yte}):sort()
  assert_close(all, torch.arange(1, 101))
  local again = select(2, data.train_val_test_split(x, y, {val = 0.2, test = 0.1, seed = 3}))
  assert_close(again, ytr, 0)
  local other = select(2, data.train_val_test_split(x, y, {val = 0.2, test = 0.1, seed = 4}))
  assert_true(other:ne(ytr):sum():item() > 0)
  -- No shuffle keeps the order: train first, then val, then test.
  local _, a, _, b, _, c = data.train_val_test_split(x, y, {val = 10, test = 5, shuffle = false})
  assert_eq(a[1], 1); assert_eq(b[1], 86); assert_eq(c[1], 96)
  -- Without y.
  local only, none = data.train_val_test_split(x, nil, {seed = 0})
  assert_eq(only:size(1), 70); assert_eq(none, nil)
  assert_error(function() data.train_val_test_split(x, y, {val = 0.6, test = 0.5}) end, "take more than")
  assert_error(function() data.train_val_test_split(x, torch.zeros(5)) end, "x has 100 rows but y has 5")
  assert_error(function() data.train_val_test_split(x, y, {valid = 0.1}) end, "unknown option")
end)

test("stratified split keeps class ratios", function()
  -- 60 of class 1, 30 of class 2, 10 of class 3.
  local labels = {}
  for i = 1, 100 do labels[i] = i <= 60 and 1 or (i <= 90 and 2 or 3) end
  local y = torch.tensor(labels)
  local x = torch.arange(1, 101):reshape(100, 1)
  local xtr, ytr, xva, yva, xte, yte = data.train_val_test_split(x, y, {val = 0.2, test = 0.2, seed = 1, stratify = true})
  local function counts(t)
    local c = {0, 0, 0}
    for _, v in ipairs(t:totable()) do c[v] = c[v] + 1 end
    return c
  end
  local ctr, cva, cte = counts(ytr), counts(yva), counts(yte)
  assert_eq(table.concat(cva, ","), "12,6,2")
  assert_eq(table.concat(cte, ","), "12,6,2")
  assert_eq(table.concat(ctr, ","), "36,18,6")
  -- Rows stay paired with their labels, and classes are mixed within a split.
  for i = 1, ytr:size(1) do assert_eq(labels[xtr[i][1]], ytr[i]) end
  assert_true(ytr:narrow(1, 1, 36):eq(1):sum():item() < 36, "train is shuffled across classes")
  assert_error(function() data.train_val_test_split(x, y:float() + 0.5, {stratify = true}) end, "integer class labels")
  assert_error(function() data.train_val_test_split(x, nil, {stratify = true}) end, "stratify needs class labels")
end)

test("Standardizer: fit, transform, inverse round trip, zero std guarded", function()
  local x = torch.tensor({{1, 10, 5}, {3, 20, 5}, {5, 30, 5}, {7, 40, 5}}, {dtype = "float32"})
  local sc = data.Standardizer():fit(x)
  assert_close(sc.mean, {4, 25, 5})
  -- population std: sqrt(mean((x - mean)^2))
  assert_close(sc.std, {math.sqrt(5), math.sqrt(125), 1})
  local z = sc:transform(x)
  assert_close(z:mean(1), {0, 0, 0}, 1e-6)
  assert_close(z:select(2, 3), {0, 0, 0, 0})
  assert_close(((z ^ 2):mean(1)):narrow(1, 1, 2), {1, 1}, 1e-5)
  assert_close(sc:inverse_transform(z), x, 1e-5)
  assert_close(data.Standardizer():fit_transform(x), z)
  -- Saved state restores the same transform.
  local restored = data.Standardizer():load_state_dict(sc:state_dict())
  assert_close(restored:transform(x), z)
  -- 1-D inputs are one column; integer inputs become float.
  local one = data.Standardizer():fit(torch.tensor({2, 4, 6}))
  assert_close(one:transform(torch.tensor({4})), {0})
  assert_error(function() data.Standardizer():transform(x) end, "call fit(x) first")
  assert_error(function() sc:transform(torch.zeros(2, 4)) end, "fitted on 3 columns")
end)
