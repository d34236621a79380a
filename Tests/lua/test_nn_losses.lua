-- Losses against formulas written out in Lua, PyTorch's reductions and the loss modules.

local F = nn.functional
local function f64(t) return torch.tensor(t, {dtype = "float64"}) end

-- log_softmax of each row of a Lua table, computed by hand.
local function log_softmax_rows(rows)
  local out = {}
  for n, row in ipairs(rows) do
    local m = -math.huge
    for _, v in ipairs(row) do m = math.max(m, v) end
    local s = 0
    for _, v in ipairs(row) do s = s + math.exp(v - m) end
    out[n] = {}
    for c, v in ipairs(row) do out[n][c] = v - m - math.log(s) end
  end
  return out
end

test("mse, l1, smooth_l1 and huber with every reduction", function()
  local x, y = f64({1, -2, 0.5, 3}), f64({0, 0, 1, 0.5})
  local d = {1, -2, -0.5, 2.5}
  local sq, ab, sm, hu = {}, {}, {}, {}
  for i, v in ipairs(d) do
    local a = math.abs(v)
    sq[i], ab[i] = v * v, a
    sm[i] = a < 0.8 and 0.5 * v * v / 0.8 or a - 0.4
    hu[i] = a < 1.5 and 0.5 * v * v or 1.5 * (a - 0.75)
  end
  local function mean(t) local s = 0; for _, v in ipairs(t) do s = s + v end; return s / #t end
  assert_close(F.mse_loss(x, y), mean(sq), 1e-12)
  assert_close(F.mse_loss(x, y, {reduction = "sum"}), mean(sq) * 4, 1e-12)
  assert_close(F.mse_loss(x, y, {reduction = "none"}), sq, 1e-12)
  assert_close(F.l1_loss(x, y), mean(ab), 1e-12)
  assert_close(F.smooth_l1_loss(x, y, {beta = 0.8, reduction = "none"}), sm, 1e-12)
  assert_close(F.smooth_l1_loss(x, y, {beta = 0}), mean(ab), 1e-12)
  assert_close(F.huber_loss(x, y, {delta = 1.5, reduction = "none"}), hu, 1e-12)
  assert_close(nn.MSELoss()(x, y), mean(sq), 1e-12)
  assert_close(nn.L1Loss({reduction = "sum"})(x, y), mean(ab) * 4, 1e-12)
  assert_close(nn.SmoothL1Loss({beta = 0.8})(x, y), mean(sm), 1e-12)
  assert_close(nn.HuberLoss({delta = 1.5})(x, y), mean(hu), 1e-12)
  assert_error(function() F.mse_loss(x, y, {reduction = "avg"}) end, "[mse_loss] reduction must be")
  assert_error(function() F.mse_loss(x, y, {reducton = "sum"}) end, "[mse_loss] unknown option \"reducton\"")
  assert_error(function() F.mse_loss(torch.zeros(4, 1), torch.zeros(4)) end,
    "[mse_loss] input shape (4,1) and target shape (4) differ")
  assert_error(function() nn.MSELoss({reducton = "sum"}) end, "[MSELoss] unknown option")
end)

test("binary_cross_entropy matches -(y log x + (1-y) log(1-x)) with log clamped at -100", function()
  local p, y = f64({0.9, 0.2, 0.5, 0, 1}), f64({1, 0, 1, 1, 1})
  local expected = {-math.log(0.9), -math.log(0.8), -math.log(0.5), 100, 0}
  assert_close(F.binary_cross_entropy(p, y, {reduction = "none"}), expected, 1e-12)
  local w = f64({1, 2, 1, 0, 1})
  assert_close(F.binary_cross_entropy(p, y, {weight = w, reduction = "sum"}),
    -math.log(0.9) - 2 * math.log(0.8) - math.log(0.5), 1e-12)
  assert_close(nn.BCELoss({weight = w, reduction = "sum"})(p, y), F.binary_cross_entropy(p, y, {weight = w, reduction = "sum"}))
  local q = f64({0.0, 0.3}):requires_grad_()
  F.binary_cross_entropy(q, f64({0, 1})):backward()
  assert_true(q.grad[1] == q.grad[1], "no NaN gradient at x = 0")
  assert_error(function() F.binary_cross_entropy(f64({1.5}), f64({1})) end, "input values must lie in [0, 1]")
end)

test("binary_cross_entropy_with_logits is stable and honours pos_weight", function()
  local x, y = f64({-2, 0.5, 3, 100, -100}), f64({0, 1, 1, 0, 1})
  local expected = {}
  for i, v in ipairs({-2, 0.5, 3, 100, -100}) do
    local t = ({0, 1, 1, 0, 1})[i]
    -- log(1 + exp(-|v|)) + max(v, 0) - v t, the stable form written differently
    expected[i] = math.log(1 + math.exp(-math.abs(v))) + math.max(v, 0) - v * t
  end
  assert_close(F.binary_cross_entropy_with_logits(x, y, {reduction = "none"}), expected, 1e-12)
  local small, ys = f64({-2, 0.5, 3}), f64({0, 1, 1})
  assert_close(F.binary_cross_entropy_with_logits(small, ys), F.binary_cross_entropy(small:sigmoid(), ys), 1e-12)
  -- pos_weight per class over the last dim: -(pw y log s + (1-y) log(1-s))
  local logits, targets = f64({{0.3, -1.2}, {2.0, 0.1}}), f64({{1, 0}, {1, 1}})
  local pw = f64({3, 0.5})
  local l, t = logits:totable(), targets:totable()
  local sum = 0
  for n = 1, 2 do
    for c = 1, 2 do
      local s = 1 / (1 + math.exp(-l[n][c]))
      sum = sum - (pw[c] * t[n][c] * math.log(s) + (1 - t[n][c]) * math.log(1 - s))
    end
  end
  assert_close(F.binary_cross_entropy_with_logits(logits, targets, {pos_weight = pw}), sum / 4, 1e-12)
  assert_close(nn.BCEWithLogitsLoss({pos_weight = pw})(logits, targets), sum / 4, 1e-12)
end)

test("cross_entropy equals -log_softmax gathered at 1-based labels", function()
  local rows = {{1, 2, 3}, {0.5, -1, 2}, {3, 0, 0}, {0, 0, 0}}
  local logits, labels = f64(rows), torch.tensor({3, 1, 1, 2})
  local lp = log_softmax_rows(rows)
  local each = {-lp[1][3], -lp[2][1], -lp[3][1], -lp[4][2]}
  assert_close(F.cross_entropy(logits, labels, {reduction = "none"}), each, 1e-12)
  assert_close(F.cross_entropy(logits, labels), (each[1] + each[2] + each[3] + each[4]) / 4, 1e-12)
  assert_close(F.cross_entropy(logits, labels, {reduction = "sum"}), each[1] + each[2] + each[3] + each[4], 1e-12)
  assert_close(nn.CrossEntropyLoss()(logits, labels), F.cross_entropy(logits, labels), 1e-12)
  -- independent route: -log_softmax gathered with torch ops
  local route = -logits:log_softmax(2):gather(2, labels:unsqueeze(2)):squeeze(2)
  assert_close(F.cross_entropy(logits, labels, {reduction = "none"}), route, 1e-12)
  assert_close(F.nll_loss(logits:log_softmax(2), labels), F.cross_entropy(logits, labels), 1e-12)
  assert_close(nn.NLLLoss()(logits:log_softmax(2), labels), F.cross_entropy(logits, labels), 1e-12)
  -- a single sample (C) with a 0-d target
  assert_close(F.cross_entropy(f64({1, 2, 3}), torch.tensor(3)), -lp[1][3], 1e-12)
  assert_eq(F.cross_entropy(f64({1, 2, 3}), torch.tensor(3), {reduction = "none"}):dim(), 0)
end)

test("cross_entropy class weights use PyTorch's weighted mean", function()
  local rows = {{1, 2, 3}, {0.5, -1, 2}, {3, 0, 0}}
  local lp = log_softmax_rows(rows)
  local w = f64({0.2, 1, 3})
  local labels = {3, 1, 2}
  local num, den = 0, 0
  for n = 1, 3 do
    num = num - w[labels[n]] * lp[n][labels[n]]
    den = den + w[labels[n]]
  end
  local t = torch.tensor(labels)
  assert_close(F.cross_entropy(f64(rows), t, {weight = w}), num / den, 1e-12)
  assert_close(F.cross_entropy(f64(rows), t, {weight = w, reduction = "sum"}), num, 1e-12)
  assert_close(F.cross_entropy(f64(rows), t, {weight = w, reduction = "none"})[1], -3 * lp[1][3], 1e-12)
  assert_close(nn.CrossEntropyLoss({weight = w})(f64(rows), t), num / den, 1e-12)
  assert_eq(#nn.CrossEntropyLoss({weight = w}):buffers(), 1)
end)

test("cross_entropy ignore_index (1-based) drops targets from sum and mean", function()
  local rows = {{1, 2, 3}, {0.5, -1, 2}, {3, 0, 0}}
  local lp = log_softmax_rows(rows)
  local t = torch.tensor({3, 2, 1})
  local loss = F.cross_entropy(f64(rows), t, {ignore_index = 2})
  assert_close(loss, (-lp[1][3] - lp[3][1]) / 2, 1e-12)
  assert_close(F.cross_entropy(f64(rows), t, {ignore_index = 2, reduction = "none"}), {-lp[1][3], 0, -lp[3][1]}, 1e-12)
  -- an ignore value outside 1..C (PyTorch's -100 habit) is allowed
  assert_close(F.cross_entropy(f64(rows), torch.tensor({3, -100, 1}), {ignore_index = -100}), loss, 1e-12)
  local w = f64({2, 1, 0.5})
  assert_close(F.cross_entropy(f64(rows), t, {ignore_index = 2, weight = w}),
    (-0.5 * lp[1][3] - 2 * lp[3][1]) / 2.5, 1e-12)
  local x = f64(rows):requires_grad_()
  F.cross_entropy(x, t, {ignore_index = 2}):backward()
  assert_close(x.grad[2], {0, 0, 0}, 0, "ignored rows get no gradient")
end)

test("cross_entropy label smoothing follows the written formula", function()
  local rows = {{1, 2, 3}, {0.5, -1, 2}, {3, 0, 0}, {0.1, 0.2, 0.3}}
  local lp = log_softmax_rows(rows)
  local labels = {3, 1, 2, 2}
  local eps, C = 0.2, 3
  -- unweighted mean: (1-e) * nll + e/C * mean_n sum_c -logp[n][c]
  local nll, smooth = 0, 0
  for n = 1, 4 do
    nll = nll - lp[n][labels[n]] / 4
    for c = 1, C do smooth = smooth - lp[n][c] / 4 end
  end
  local t = torch.tensor(labels)
  assert_close(F.cross_entropy(f64(rows), t, {label_smoothing = eps}), (1 - eps) * nll + eps / C * smooth, 1e-12)
  -- weighted mean, with one target ignored: both terms divide by sum of w[y_n] over kept n
  local w = {0.5, 2, 1}
  local num, den, snum = 0, 0, 0
  for n = 1, 4 do
    if labels[n] ~= 1 then
      num = num - w[labels[n]] * lp[n][labels[n]]
      den = den + w[labels[n]]
      for c = 1, C do snum = snum - w[c] * lp[n][c] end
    end
  end
  local got = F.cross_entropy(f64(rows), t, {label_smoothing = eps, weight = f64(w), ignore_index = 1})
  assert_close(got, (1 - eps) * num / den + eps / C * snum / den, 1e-12)
  -- reduction none: per sample (1-e) w_y (-logp_y) + e/C sum_c w_c (-logp_c)
  local none = F.cross_entropy(f64(rows), t, {label_smoothing = eps, weight = f64(w), reduction = "none"})
  local s1 = 0
  for c = 1, C do s1 = s1 - w[c] * lp[1][c] end
  assert_close(none[1], (1 - eps) * w[3] * -lp[1][3] + eps / C * s1, 1e-12)
  assert_close(nn.CrossEntropyLoss({label_smoothing = eps})(f64(rows), t), (1 - eps) * nll + eps / C * smooth, 1e-12)
  assert_error(function() F.cross_entropy(f64(rows), t, {label_smoothing = 2}) end, "label_smoothing must be in [0, 1]")
end)

test("cross_entropy with probability targets, smoothing and weights", function()
  local rows = {{1, 2, 3}, {0.5, -1, 2}}
  local lp = log_softmax_rows(rows)
  local p = {{0.1, 0.2, 0.7}, {1, 0, 0}}
  local sum = 0
  for n = 1, 2 do for c = 1, 3 do sum = sum - p[n][c] * lp[n][c] end end
  assert_close(F.cross_entropy(f64(rows), f64(p)), sum / 2, 1e-12)
  -- smoothing mixes the target with uniform: p (1-e) + e/C
  local eps, s2 = 0.3, 0
  for n = 1, 2 do for c = 1, 3 do s2 = s2 - (p[n][c] * (1 - eps) + eps / 3) * lp[n][c] end end
  assert_close(F.cross_entropy(f64(rows), f64(p), {label_smoothing = eps}), s2 / 2, 1e-12)
  local w, s3 = {1, 2, 3}, 0
  for n = 1, 2 do for c = 1, 3 do s3 = s3 - w[c] * p[n][c] * lp[n][c] end end
  assert_close(F.cross_entropy(f64(rows), f64(p), {weight = f64(w)}), s3 / 2, 1e-12)
  -- one-hot probabilities equal class labels
  local labels = torch.tensor({3, 1})
  assert_close(F.cross_entropy(f64(rows), F.one_hot(labels, 3):double()), F.cross_entropy(f64(rows), labels), 1e-12)
end)

test("cross_entropy on (N, C, d) matches the flattened (N*d, C) problem", function()
  local x = torch.randn(2, 4, 3, {dtype = "float64"})
  local t = torch.randint(1, 5, {2, 3})
  local flat = x:permute(1, 3, 2):reshape(6, 4)
  assert_close(F.cross_entropy(x, t), F.cross_entropy(flat, t:reshape(6)), 1e-12)
  local none = F.cross_entropy(x, t, {reduction = "none"})
  assert_eq(table.concat(none:size(), ","), "2,3")
  assert_close(none:reshape(6), F.cross_entropy(flat, t:reshape(6), {reduction = "none"}), 1e-12)
end)

test("cross_entropy and nll_loss reject bad targets with 1-based hints", function()
  local x = torch.randn(3, 4)
  assert_error(function() F.cross_entropy(x, torch.tensor({1, 5, 2})) end,
    "[cross_entropy] target class 5 out of range 1..4 (class labels count from 1)")
  assert_error(function() F.cross_entropy(x, torch.tensor({0, 1, 2})) end, "target class 0 out of range")
  assert_error(function() F.cross_entropy(x, torch.tensor({1, 2})) end, "target shape (2) does not match input (3,4)")
  assert_error(function() F.nll_loss(x, torch.tensor({1.0, 2, 3})) end, "class targets must be an integer tensor")
  assert_error(function() F.cross_entropy(x, torch.rand(3, 5)) end, "probability target shape (3,5) differs")
end)

test("one_hot uses 1-based classes", function()
  local oh = F.one_hot(torch.tensor({1, 3, 2}), 4)
  assert_close(oh, {{1, 0, 0, 0}, {0, 0, 1, 0}, {0, 1, 0, 0}})
  assert_eq(oh.dtype, "int64")
  assert_eq(table.concat(F.one_hot(torch.tensor({{2, 3}})):size(), ","), "1,2,3")
  assert_error(function() F.one_hot(torch.tensor({0, 1})) end, "classes count from 1")
  assert_error(function() F.one_hot(torch.tensor({5}), {num_classes = 3}) end, "must lie in 1..3")
end)

test("kl_div pointwise target (log target - input) with batchmean", function()
  local p = {{0.2, 0.8, 0}, {0.5, 0.25, 0.25}}
  local q = {{0.3, 0.6, 0.1}, {0.2, 0.2, 0.6}}
  local input = f64(q):log()
  local sum = 0
  for n = 1, 2 do for c = 1, 3 do
    if p[n][c] > 0 then sum = sum + p[n][c] * (math.log(p[n][c]) - math.log(q[n][c])) end
  end end
  assert_close(F.kl_div(input, f64(p), {reduction = "batchmean"}), sum / 2, 1e-12)
  assert_close(F.kl_div(input, f64(p), {reduction = "sum"}), sum, 1e-12)
  assert_close(F.kl_div(input, f64(p)), sum / 6, 1e-12)
  local logp = f64({{0.2, 0.8, 1e-300}, {0.5, 0.25, 0.25}}):log()
  assert_close(F.kl_div(input, logp, {reduction = "batchmean", log_target = true}), sum / 2, 1e-9)
  assert_close(nn.KLDivLoss({reduction = "batchmean"})(input, f64(p)), sum / 2, 1e-12)
end)

test("cosine_embedding, margin_ranking and triplet_margin losses", function()
  local a = {{1, 0}, {1, 1}, {0, 2}}
  local b = {{1, 1}, {-1, 1}, {0, 1}}
  local y = torch.tensor({1, -1, -1})
  local expected = {}
  for n = 1, 3 do
    local dot = a[n][1] * b[n][1] + a[n][2] * b[n][2]
    local cos = dot / math.sqrt((a[n][1] ^ 2 + a[n][2] ^ 2) * (b[n][1] ^ 2 + b[n][2] ^ 2))
    expected[n] = y[n] == 1 and 1 - cos or math.max(0, cos - 0.1)
  end
  assert_close(F.cosine_embedding_loss(f64(a), f64(b), y, {margin = 0.1, reduction = "none"}), expected, 1e-9)
  assert_close(nn.CosineEmbeddingLoss({margin = 0.1})(f64(a), f64(b), y), (expected[1] + expected[2] + expected[3]) / 3, 1e-9)

  local x1, x2, r = f64({1, 2, 3}), f64({2, 1, 3}), f64({1, 1, -1})
  local mr = {math.max(0, -(1 - 2) + 0.5), math.max(0, -(2 - 1) + 0.5), math.max(0, (3 - 3) + 0.5)}
  assert_close(F.margin_ranking_loss(x1, x2, r, {margin = 0.5, reduction = "none"}), mr, 1e-12)
  assert_close(nn.MarginRankingLoss({margin = 0.5})(x1, x2, r), (mr[1] + mr[2] + mr[3]) / 3, 1e-12)

  local anc, pos, neg = f64({{0, 0}, {1, 1}}), f64({{3, 4}, {1, 2}}), f64({{1, 0}, {4, 5}})
  local function dist(u, v) return math.sqrt((u[1] - v[1] + 1e-6) ^ 2 + (u[2] - v[2] + 1e-6) ^ 2) end
  local A, P, N = anc:totable(), pos:totable(), neg:totable()
  local tl = {}
  for n = 1, 2 do tl[n] = math.max(0, dist(A[n], P[n]) - dist(A[n], N[n]) + 1) end
  assert_close(F.triplet_margin_loss(anc, pos, neg, {reduction = "none"}), tl, 1e-9)
  local swapped = {}
  for n = 1, 2 do
    swapped[n] = math.max(0, dist(A[n], P[n]) - math.min(dist(A[n], N[n]), dist(P[n], N[n])) + 1)
  end
  assert_close(F.triplet_margin_loss(anc, pos, neg, {swap = true, reduction = "none"}), swapped, 1e-9)
  assert_close(nn.TripletMarginLoss()(anc, pos, neg), (tl[1] + tl[2]) / 2, 1e-9)
end)

test("loss modules print like PyTorch", function()
  assert_eq(tostring(nn.CrossEntropyLoss()), "CrossEntropyLoss()")
  assert_eq(tostring(nn.MSELoss({reduction = "sum"})), "MSELoss()")
  assert_eq(nn.MSELoss({reduction = "sum"}).reduction, "sum")
end)
