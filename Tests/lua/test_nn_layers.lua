-- Layers: outputs and parameter gradients against independent computations.

local function f64(t) return torch.tensor(t, {dtype = "float64"}) end

test("Linear matches x W^T + b, with gradients", function()
  local lin = nn.Linear(3, 2):double()
  assert_eq(lin.weight:size(1), 2)
  assert_eq(lin.weight:size(2), 3)
  local x = torch.randn(4, 3, {dtype = "float64"})
  local y = lin(x)
  local w, b = lin.weight:totable(), lin.bias:totable()
  local xs = x:totable()
  for n = 1, 4 do
    for o = 1, 2 do
      local s = b[o]
      for i = 1, 3 do s = s + xs[n][i] * w[o][i] end
      assert_close(y[n][o], s, 1e-12)
    end
  end
  y:sum():backward()
  -- d sum / dW[o][i] = sum_n x[n][i]; d sum / db[o] = N
  assert_close(lin.weight.grad, torch.stack({x:sum(1), x:sum(1)}), 1e-12)
  assert_close(lin.bias.grad, {4, 4}, 1e-12)
  local batched = torch.randn(2, 5, 3, {dtype = "float64"})
  assert_close(lin(batched)[2], lin(batched[2]), 1e-12)
  assert_eq(nn.Linear(3, 2, {bias = false}).bias, nil)
  assert_error(function() nn.Linear("a", 2) end, "[Linear] expected integer sizes")
end)

test("Linear default init is U(-1/sqrt(in), 1/sqrt(in)) for weight and bias", function()
  local lin = nn.Linear(16, 200)
  local bound = 1 / math.sqrt(16)
  assert_true(lin.weight:abs():max():item() <= bound)
  assert_true(lin.bias:abs():max():item() <= bound)
  -- uniform on [-b, b] has standard deviation b / sqrt(3)
  assert_close(lin.weight:std():item(), bound / math.sqrt(3), 0.05)
  assert_true(lin.weight:max():item() > 0.9 * bound)
  assert_true(lin.weight.requires_grad and lin.weight.is_leaf)
end)

test("Bilinear matches the explicit sum x1_i W_oij x2_j + b_o", function()
  local bl = nn.Bilinear(2, 3, 2):double()
  local x1, x2 = torch.randn(4, 2, {dtype = "float64"}), torch.randn(4, 3, {dtype = "float64"})
  local y = bl(x1, x2)
  local w, a, c = bl.weight:totable(), x1:totable(), x2:totable()
  for n = 1, 4 do
    for o = 1, 2 do
      local s = bl.bias[o]
      for i = 1, 2 do for j = 1, 3 do s = s + a[n][i] * w[o][i][j] * c[n][j] end end
      assert_close(y[n][o], s, 1e-12)
    end
  end
  assert_eq(tostring(bl), "Bilinear(in1_features=2, in2_features=3, out_features=2, bias=true)")
  assert_error(function() bl(torch.randn(4, 3, {dtype = "float64"}), x2) end, "[bilinear]")
end)

test("Identity, Flatten and Unflatten reshape as PyTorch with 1-based dims", function()
  local x = torch.randn(2, 3, 4, 5)
  assert_eq(nn.Identity(7, "ignored")(x), x)
  assert_eq(table.concat(nn.Flatten()(x):size(), ","), "2,60")
  assert_eq(table.concat(nn.Flatten(2, 3)(x):size(), ","), "2,12,5")
  assert_eq(table.concat(nn.Flatten({start_dim = 1})(x):size(), ","), "120")
  assert_close(nn.Flatten()(x), x:reshape(2, 60))
  local u = nn.Unflatten(2, {3, 20})
  assert_eq(table.concat(u(x:reshape(2, 60)):size(), ","), "2,3,20")
  assert_eq(table.concat(nn.Unflatten(-1, {2, -1})(x:reshape(2, 60)):size(), ","), "2,2,30")
  assert_eq(tostring(nn.Flatten()), "Flatten(start_dim=2, end_dim=-1)")
  assert_eq(tostring(u), "Unflatten(dim=2, unflattened_size=(3, 20))")
  assert_error(function() nn.Unflatten(5, {2})(x) end, "[Unflatten] dim 5 out of range")
end)

test("Dropout zeroes about p of the elements in training, scales the rest, and is identity in eval", function()
  local d = nn.Dropout(0.25)
  local x = torch.ones(100, 100)
  local y = d(x)
  local kept = y:ne(0):sum():item()
  assert_true(math.abs(kept / 10000 - 0.75) < 0.03, "kept fraction " .. kept / 10000)
  assert_close(y:max():item(), 1 / 0.75)
  assert_close(y:sum():item() / 10000, 1, 0.05)
  d:eval()
  assert_eq(d(x), x)
  assert_close(nn.Dropout(1)(x):abs():sum():item(), 0)
  assert_eq(nn.Dropout(0)(x), x)
  -- gradient flows only through kept elements, scaled
  d:train()
  local w = torch.ones(50, {requires_grad = true})
  local out = d(w)
  out:sum():backward()
  assert_close(w.grad, out:detach())
  assert_error(function() nn.Dropout(1.5) end, "[Dropout] p must be a probability")
end)

test("Embedding looks up 1-based token ids of any shape", function()
  local emb = nn.Embedding(5, 3)
  local ids = torch.tensor({{1, 5}, {2, 2}})
  local y = emb(ids)
  assert_eq(table.concat(y:size(), ","), "2,2,3")
  assert_close(y[1][1], emb.weight[1])
  assert_close(y[1][2], emb.weight[5])
  y:sum():backward()
  assert_close(emb.weight.grad, {{1, 1, 1}, {2, 2, 2}, {0, 0, 0}, {0, 0, 0}, {1, 1, 1}})
  assert_error(function() emb(torch.tensor({0})) end, "[embedding] token id 0 out of range 1..5")
  assert_error(function() emb(torch.tensor({6})) end, "token id 6 out of range")
  assert_error(function() emb(torch.tensor({1.0, 2.5})) end, "integer tensor")
  assert_eq(tostring(emb), "Embedding(5, 3)")
  -- N(0, 1) init
  local big = nn.Embedding(1000, 10)
  assert_close(big.weight:std():item(), 1, 0.05)
end)

test("Embedding padding row is zero and gets no gradient", function()
  local emb = nn.Embedding(4, 2, {padding_idx = 2})
  assert_close(emb.weight[2], {0, 0})
  local y = emb(torch.tensor({2, 1, 2, 3}))
  assert_close(y[1], {0, 0})
  local loss = (y * torch.randn(4, 2)):sum()
  loss:backward()
  assert_close(emb.weight.grad[2], {0, 0})
  assert_true(emb.weight.grad[1]:abs():sum():item() > 0)
  assert_eq(nn.Embedding(4, 2, {padding_idx = -1}).padding_idx, 4)
  assert_eq(tostring(emb), "Embedding(4, 2, padding_idx=2)")
  assert_error(function() nn.Embedding(4, 2, {padding_idx = 0}) end, "padding_idx must be in 1..4")
end)

test("BatchNorm1d normalizes with batch statistics and tracks running statistics", function()
  local bn = nn.BatchNorm1d(2):double()
  local x = f64({{1, 10}, {2, 20}, {3, 30}, {6, 40}})
  local y = bn(x)
  -- per column: (x - mean) / sqrt(biased var + eps)
  local cols = {{1, 2, 3, 6}, {10, 20, 30, 40}}
  for c = 1, 2 do
    local m, v = 0, 0
    for _, value in ipairs(cols[c]) do m = m + value / 4 end
    for _, value in ipairs(cols[c]) do v = v + (value - m) ^ 2 / 4 end
    for n = 1, 4 do assert_close(y[n][c], (cols[c][n] - m) / math.sqrt(v + 1e-5), 1e-10) end
    -- running: 0.9 * init + 0.1 * batch (unbiased variance)
    assert_close(bn.running_mean[c], 0.1 * m, 1e-12)
    assert_close(bn.running_var[c], 0.9 + 0.1 * v * 4 / 3, 1e-12)
  end
  assert_eq(bn.num_batches_tracked:item(), 1)
  bn:eval()
  local ye = bn(x)
  assert_close(ye[1][1], (1 - bn.running_mean[1]) / math.sqrt(bn.running_var[1] + 1e-5), 1e-10)
  assert_eq(bn.num_batches_tracked:item(), 1)
  assert_eq(tostring(bn), "BatchNorm1d(2, eps=1e-05, momentum=0.1, affine=true, track_running_stats=true)")
end)

test("BatchNorm1d handles (N, C, L), affine parameters, cumulative momentum and errors", function()
  local bn = nn.BatchNorm1d(3, {dtype = "float64"})
  local x = torch.randn(4, 3, 5, {dtype = "float64"})
  local y = bn(x)
  assert_close(y:mean({1, 3}), {0, 0, 0}, 1e-10)
  assert_close(y:var({1, 3}, false, false), {1, 1, 1}, 1e-4)
  assert_close(bn.running_mean, x:mean({1, 3}) * 0.1, 1e-12)
  torch.no_grad(function() bn.weight:fill_(2); bn.bias:fill_(0.5) end)
  assert_close(bn(x):mean({1, 3}), {0.5, 0.5, 0.5}, 1e-10)
  local cumulative = nn.BatchNorm1d(1, {momentum = false, dtype = "float64"})
  cumulative(f64({{1}, {3}}))
  cumulative(f64({{5}, {7}}))
  assert_close(cumulative.running_mean, {4}, 1e-12)
  local stateless = nn.BatchNorm1d(2, {track_running_stats = false, affine = false})
  assert_eq(#stateless:parameters(), 0)
  assert_eq(#stateless:buffers(), 0)
  stateless:eval()
  assert_close(stateless(torch.tensor({{1.0, 2}, {3, 4}})), {{-1, -1}, {1, 1}}, 1e-3)
  assert_error(function() bn(torch.randn(4, 2)) end, "[BatchNorm1d] expected input (N, 3) or (N, 3, L); got (4,2)")
  assert_error(function() bn(torch.randn(1, 3, {dtype = "float64"})) end, "more than 1 value per channel")
end)

test("LayerNorm normalizes over trailing dims with elementwise affine", function()
  local ln = nn.LayerNorm(4, {dtype = "float64"})
  local x = torch.randn(3, 4, {dtype = "float64"}) * 3 + 1
  local y = ln(x)
  local rows = x:totable()
  for n = 1, 3 do
    local m, v = 0, 0
    for i = 1, 4 do m = m + rows[n][i] / 4 end
    for i = 1, 4 do v = v + (rows[n][i] - m) ^ 2 / 4 end
    for i = 1, 4 do assert_close(y[n][i], (rows[n][i] - m) / math.sqrt(v + 1e-5), 1e-10) end
  end
  assert_eq(tostring(ln), "LayerNorm((4,), eps=1e-05, elementwise_affine=true)")
  local ln2 = nn.LayerNorm({2, 3}, {dtype = "float64"})
  local z = ln2(torch.randn(5, 2, 3, {dtype = "float64"}))
  assert_close(z:mean({2, 3}), torch.zeros(5), 1e-10)
  assert_eq(#nn.LayerNorm(4, {elementwise_affine = false}):parameters(), 0)
  assert_eq(#nn.LayerNorm(4, {bias = false}):parameters(), 1)
  assert_error(function() ln(torch.randn(3, 5)) end, "[layer_norm] input shape (3,5) does not end with normalized_shape (4)")
end)

test("functional forms take tensors positionally then options", function()
  local F = nn.functional
  local x = torch.randn(4, 3, {dtype = "float64"})
  local w = torch.randn(2, 3, {dtype = "float64"})
  assert_close(F.linear(x, w), x:matmul(w:t()), 1e-12)
  assert_close(F.linear(x, w, torch.ones(2, {dtype = "float64"})), x:matmul(w:t()) + 1, 1e-12)
  local rm, rv = torch.zeros(3, {dtype = "float64"}), torch.ones(3, {dtype = "float64"})
  assert_close(F.batch_norm(x, rm, rv), x / math.sqrt(1 + 1e-5), 1e-12)
  local y = F.batch_norm(x, rm, rv, nil, nil, {training = true, momentum = 0.5})
  assert_close(y:mean(1), {0, 0, 0}, 1e-10)
  assert_close(rm, x:mean(1) * 0.5, 1e-12)
  assert_close(F.batch_norm(x, nil, nil, nil, nil, {training = true}), y, 1e-12)
  assert_error(function() F.batch_norm(x, nil, nil) end, "running_mean and running_var are required")
  assert_error(function() F.batch_norm(x, rm, rv, nil, nil, {trainig = true}) end, "unknown option \"trainig\"")
  assert_close(F.layer_norm(x, 3):mean(2), {0, 0, 0, 0}, 1e-10)
  assert_close(F.layer_norm(x, {3}, torch.full({3}, 2.0, {dtype = "float64"}), nil, {eps = 0}):pow(2):mean(2),
    {4, 4, 4, 4}, 1e-8)
  local table_ = torch.randn(5, 2)
  assert_close(F.embedding(torch.tensor({5, 1}), table_), torch.stack({table_[5], table_[1]}))
  assert_close(F.dropout(x, {p = 0.5, training = false}), x, 0)
  assert_error(function() F.dropout(x, 2) end, "[dropout] p must be a probability")
  assert_error(function() F.linear("x", w) end, "[linear] input must be a tensor")
end)
