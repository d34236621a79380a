-- Finite-difference gradient checks (float64) of every layer, activation and loss: parameters
-- and inputs. nn.utils.gradcheck perturbs elements under no_grad and compares with .grad.

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

test("gradcheck catches a wrong gradient", function()
  local x = input(3)
  assert_true(gradcheck(function() return x * x end, {x}))
  assert_error(function() gradcheck(function() return x * x:detach() end, {x}) end, "[gradcheck] tensor 1 (3) element")
  assert_error(function() gradcheck(function() return x end, {torch.zeros(2)}) end, "must be float64")
end)

test("Linear and Bilinear", function()
  local lin = nn.Linear(4, 3):double()
  local x = input(5, 4)
  gradcheck(function() return lin(x) end, with(lin:parameters(), x))
  local bl = nn.Bilinear(3, 2, 4):double()
  local a, b = input(5, 3), input(5, 2)
  gradcheck(function() return bl(a, b) end, with(bl:parameters(), a, b))
end)

test("Embedding with and without padding", function()
  -- the padding row's values do reach the output (as in PyTorch); only its gradient is cut,
  -- so finite differences are checked on ids without it (the cut is tested in test_nn_layers)
  local emb = nn.Embedding(6, 3, {padding_idx = 2}):double()
  local ids = torch.tensor({{1, 4, 6}, {5, 3, 3}})
  gradcheck(function() return emb(ids) end, emb:parameters())
  local plain = nn.Embedding(4, 2):double()
  gradcheck(function() return plain(torch.tensor({4, 1, 4})) end, plain:parameters())
end)

test("BatchNorm1d in training and eval, (N, C) and (N, C, L)", function()
  local bn = nn.BatchNorm1d(3):double()
  local x = input(6, 3)
  -- running statistics change on every call in training; they do not affect the output
  gradcheck(function() return bn(x) end, with(bn:parameters(), x))
  local x3 = input(4, 3, 5)
  gradcheck(function() return bn(x3) end, with(bn:parameters(), x3))
  bn:eval()
  gradcheck(function() return bn(x) end, with(bn:parameters(), x))
end)

test("LayerNorm and PReLU", function()
  local ln = nn.LayerNorm({2, 3}):double()
  torch.no_grad(function() ln.weight:copy_(randn(2, 3)); ln.bias:copy_(randn(2, 3)) end)
  local x = input(4, 2, 3)
  gradcheck(function() return ln(x) end, with(ln:parameters(), x))
  local pr = nn.PReLU(3, {dtype = "float64"})
  local y = input(5, 3, 2)
  gradcheck(function() return pr(y) end, with(pr:parameters(), y))
end)

test("activations", function()
  local x = input(4, 5)
  local modules = {nn.ReLU(), nn.LeakyReLU(0.1), nn.ELU(0.7), nn.GELU(), nn.GELU({approximate = "tanh"}), nn.SiLU(),
    nn.Sigmoid(), nn.Tanh(), nn.Softplus(), nn.Softplus({beta = 2, threshold = 1}), nn.Softmax(2), nn.LogSoftmax(1),
    nn.Dropout(0.3):eval(), nn.Identity(), nn.Flatten(1), nn.Unflatten(2, {5, 1})}
  for _, m in ipairs(modules) do
    local ok, err = pcall(gradcheck, function() return m(x) end, {x})
    if not ok then error(tostring(m) .. ": " .. err) end
  end
  gradcheck(function() return F.logsigmoid(x) end, {x})
  gradcheck(function() return F.normalize(x) end, {x})
  local other = randn(4, 5)
  gradcheck(function() return F.cosine_similarity(x, other) end, {x})
end)

test("a training-mode Dropout with a fixed mask", function()
  local x = input(6, 4)
  local mask
  local function fn()
    torch.manual_seed(3)
    return F.dropout(x, 0.4)
  end
  gradcheck(fn, {x})
  mask = fn()
  assert_true(mask:eq(0):sum():item() > 0)
end)

test("regression losses", function()
  local x, y = input(4, 3), randn(4, 3)
  for _, loss in ipairs({nn.MSELoss(), nn.L1Loss(), nn.SmoothL1Loss({beta = 0.5}), nn.HuberLoss({delta = 0.7}),
    nn.MSELoss({reduction = "sum"}), nn.L1Loss({reduction = "none"})}) do
    gradcheck(function() return loss(x, y) end, {x})
  end
end)

test("binary losses", function()
  local p = (randn(4, 3)):sigmoid():requires_grad_()
  local y = torch.rand(4, 3, {dtype = "float64"})
  gradcheck(function() return nn.BCELoss()(p, y) end, {p})
  local w = torch.rand(3, {dtype = "float64"})
  gradcheck(function() return nn.BCELoss({weight = w})(p, y) end, {p})
  local z = input(4, 3)
  local pw = torch.tensor({0.5, 2, 3}, {dtype = "float64"})
  gradcheck(function() return nn.BCEWithLogitsLoss({pos_weight = pw})(z, y) end, {z})
  gradcheck(function() return F.binary_cross_entropy_with_logits(z, y, {weight = pw, reduction = "sum"}) end, {z})
end)

test("classification losses through a Linear layer", function()
  local lin = nn.Linear(3, 4):double()
  local x = randn(6, 3)
  local t = torch.tensor({1, 4, 2, 2, 3, 1})
  local w = torch.tensor({0.5, 1, 2, 1.5}, {dtype = "float64"})
  local options = {{}, {weight = w}, {ignore_index = 2}, {label_smoothing = 0.1},
    {label_smoothing = 0.2, weight = w, ignore_index = 1}, {reduction = "sum"}}
  for _, o in ipairs(options) do
    gradcheck(function() return nn.CrossEntropyLoss(o)(lin(x), t) end, lin:parameters())
  end
  local probs = torch.rand(6, 4, {dtype = "float64"})
  probs = probs / probs:sum(2, true)
  gradcheck(function() return F.cross_entropy(lin(x), probs, {label_smoothing = 0.1, weight = w}) end, lin:parameters())
  gradcheck(function() return nn.NLLLoss({weight = w})(lin(x):log_softmax(2), t) end, lin:parameters())
  local spatial = input(2, 4, 3)
  local spatial_target = torch.randint(1, 5, {2, 3})
  gradcheck(function() return F.cross_entropy(spatial, spatial_target) end, {spatial})
  local target = torch.rand(6, 4, {dtype = "float64"})
  target = target / target:sum(2, true)
  gradcheck(function() return nn.KLDivLoss({reduction = "batchmean"})(lin(x):log_softmax(2), target) end, lin:parameters())
end)

test("embedding and ranking losses", function()
  local a, b = input(5, 3), input(5, 3)
  local y = torch.tensor({1, -1, 1, -1, -1})
  gradcheck(function() return nn.CosineEmbeddingLoss({margin = -0.5})(a, b, y) end, {a, b})
  local s1, s2 = input(5), input(5)
  gradcheck(function() return nn.MarginRankingLoss({margin = 0.3})(s1, s2, y) end, {s1, s2})
  local n = input(5, 3)
  gradcheck(function() return nn.TripletMarginLoss({margin = 3})(a, b, n) end, {a, b, n})
  gradcheck(function() return nn.TripletMarginLoss({margin = 3, p = 1, swap = true})(a, b, n) end, {a, b, n})
end)

test("a Lua-defined model inside Sequential", function()
  local Gate = nn.Module:extend("TestGate")
  function Gate:init(d) self.g = nn.Parameter(torch.randn(d, {dtype = "float64"})) end
  function Gate:forward(x) return x * self.g:sigmoid() end
  local net = nn.Sequential(nn.Linear(3, 4), Gate(4), nn.Tanh(), nn.Residual(nn.Linear(4, 4)), nn.LayerNorm(4)):double()
  local x = randn(5, 3)
  gradcheck(function() return net(x) end, net:parameters())
end)
