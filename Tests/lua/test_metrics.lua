-- metrics: values checked against hand computations (and scikit-learn's documented examples).

-- target = {1,1,2,2,3,3}, pred = {1,2,2,2,3,1}; confusion (rows true):
--   {1,1,0}, {0,2,0}, {1,0,1}
--   class 1: tp 1 fp 1 fn 1 -> P 1/2 R 1/2 F1 1/2
--   class 2: tp 2 fp 1 fn 0 -> P 2/3 R 1   F1 4/5
--   class 3: tp 1 fp 0 fn 1 -> P 1   R 1/2 F1 2/3
local target = torch.tensor({1, 1, 2, 2, 3, 3})
local pred = torch.tensor({1, 2, 2, 2, 3, 1})

test("accuracy from labels, logits, thresholds and top-k", function()
  assert_close(metrics.accuracy(pred, target), 4 / 6)
  local logits = torch.tensor({{2, 1, 0}, {0, 3, 1}, {0, 1, 0}, {1, 2, 0}, {0, 0, 5}, {9, 0, 1}}, {dtype = "float32"})
  assert_close(metrics.accuracy(logits, target), 4 / 6)
  assert_close(metrics.accuracy({1, 2, 3}, {1, 2, 2}), 2 / 3)
  assert_close(metrics.accuracy(torch.tensor({0.2, 0.7, 0.5}), torch.tensor({0, 1, 0}), {threshold = 0.5}), 2 / 3)
  local scores = torch.tensor({{0.1, 0.5, 0.4}, {0.9, 0.06, 0.04}})
  assert_close(metrics.accuracy(scores, {3, 2}), 0)
  assert_close(metrics.accuracy(scores, {3, 2}, {k = 2}), 1)
  assert_close(metrics.accuracy(scores, {3, 3}, {k = 2}), 0.5)
  assert_error(function() metrics.accuracy(pred, torch.tensor({1, 2})) end, "[metrics.accuracy] predictions have 6 elements but targets have 2")
  assert_error(function() metrics.accuracy(scores, {1, 2}, {k = 4}) end, "option k must be in 1..3")
  assert_error(function() metrics.accuracy(pred, torch.tensor({1.5, 1, 1, 1, 1, 1})) end, "class labels must be integers")
  assert_error(function() metrics.accuracy(torch.tensor({0.7, 0.2}), {1, 0}) end, "for probabilities pass {threshold = 0.5}")
end)

test("confusion matrix: int64, rows are true classes", function()
  local cm = metrics.confusion_matrix(pred, target, 3)
  assert_eq(cm.dtype, "int64")
  assert_close(cm, {{1, 1, 0}, {0, 2, 0}, {1, 0, 1}})
  local wide = metrics.confusion_matrix(pred, target, 4)
  assert_eq(wide:size(1), 4)
  assert_close(wide:sum(), 6)
  assert_close(metrics.confusion_matrix(pred, target), cm)   -- num_classes from the labels
  assert_error(function() metrics.confusion_matrix(pred, target, 2) end, "class 3 found but num_classes is 2")
  assert_error(function() metrics.confusion_matrix(torch.tensor({0, 1}), torch.tensor({1, 1})) end,
    "pred element 1 is class 0; classes count from 1")
end)

test("precision, recall, f1: per class, macro, micro, weighted", function()
  assert_close(metrics.precision(pred, target, {average = "none"}), {1 / 2, 2 / 3, 1})
  assert_close(metrics.recall(pred, target, {average = "none"}), {1 / 2, 1, 1 / 2})
  assert_close(metrics.f1(pred, target, {average = "none"}), {1 / 2, 4 / 5, 2 / 3})
  assert_close(metrics.precision(pred, target), (1 / 2 + 2 / 3 + 1) / 3)
  assert_close(metrics.recall(pred, target), 2 / 3)
  assert_close(metrics.f1(pred, target), (1 / 2 + 4 / 5 + 2 / 3) / 3)
  for _, f in ipairs({metrics.precision, metrics.recall, metrics.f1}) do
    assert_close(f(pred, target, {average = "micro"}), 4 / 6)   -- single-label micro = accuracy
  end
  -- Unequal support: target {1,1,1,2}, pred {1,1,2,2}.
  --   class 1: tp 2 fp 0 fn 1 -> P 1, R 2/3, F1 4/5; class 2: tp 1 fp 1 fn 0 -> P 1/2, R 1, F1 2/3
  local t2, p2 = {1, 1, 1, 2}, {1, 1, 2, 2}
  assert_close(metrics.precision(p2, t2, {average = "weighted"}), (3 * 1 + 1 * 0.5) / 4)
  assert_close(metrics.recall(p2, t2, {average = "weighted"}), 0.75)
  assert_close(metrics.f1(p2, t2, {average = "weighted"}), (3 * 0.8 + 2 / 3) / 4)
  assert_close(metrics.f1(p2, t2, {average = "macro"}), (0.8 + 2 / 3) / 2)
end)

test("macro averages over present classes unless num_classes is given; zero_division", function()
  -- Class 2 never appears: precision of class 3 is 0/0.
  local t, p = {1, 1, 3}, {1, 1, 1}
  -- present classes {1, 3}: P1 = 2/3, P3 = 0 (zero_division)
  assert_close(metrics.precision(p, t), (2 / 3 + 0) / 2)
  assert_close(metrics.precision(p, t, {num_classes = 3}), (2 / 3 + 0 + 0) / 3)
  assert_close(metrics.precision(p, t, {zero_division = 1}), (2 / 3 + 1) / 2)
  assert_close(metrics.recall(p, t, {average = "none"}), {1, 0, 0})
end)

test("binary precision/recall/f1 for 0/1 labels", function()
  -- pred {1,1,1,0,0} target {1,0,0,1,0}: tp 1 fp 2 fn 1
  local p, t = {1, 1, 1, 0, 0}, {1, 0, 0, 1, 0}
  assert_close(metrics.precision(p, t, {average = "binary"}), 1 / 3)
  assert_close(metrics.recall(p, t, {average = "binary"}), 1 / 2)
  assert_close(metrics.f1(p, t, {average = "binary"}), 0.4)
  -- class 0 as the positive one: tp 1 (row 5), fp 1 (row 4), fn 2 (rows 2, 3)
  assert_close(metrics.precision(p, t, {average = "binary", pos_label = 0}), 1 / 2)
  assert_close(metrics.recall(p, t, {average = "binary", pos_label = 0}), 1 / 3)
  assert_error(function() metrics.f1(p, t, {average = "samples"}) end, "option average must be")
end)

test("roc_auc: sklearn's example and ties counted one half", function()
  assert_close(metrics.roc_auc(torch.tensor({0.1, 0.4, 0.35, 0.8}), torch.tensor({0, 0, 1, 1})), 0.75)
  -- ties: positives {0.5, 0.9}, negatives {0.5, 0.5}: (0.5 + 0.5 + 1 + 1) / 4
  assert_close(metrics.roc_auc({0.5, 0.5, 0.5, 0.9}, {0, 1, 0, 1}), 0.75)
  -- positives {1, 3, 5}, negatives {2, 4}: 0 + 0 + 1 + 0 + 1 + 1 = 3 of 6 pairs
  assert_close(metrics.roc_auc({1, 2, 3, 4, 5}, {1, 0, 1, 0, 1}), 0.5)
  assert_close(metrics.roc_auc({1, 2, 3}, {0, 1, 1}), 1)
  assert_close(metrics.roc_auc({3, 2, 1}, {0, 1, 1}), 0)
  assert_close(metrics.roc_auc({1, 1, 1}, {0, 1, 1}), 0.5)
  assert_close(metrics.roc_auc({0.2, 0.8}, torch.tensor({false, true})), 1)
  assert_close(metrics.roc_auc({0.2, 0.8, 0.5}, {1, 2, 2}, {pos_label = 2}), 1)
  assert_error(function() metrics.roc_auc({0.1, 0.2}, {1, 1}) end, "[metrics.roc_auc] needs both classes in labels; got 2 positives and 0 negatives")
  assert_error(function() metrics.roc_auc({0.1, 0.2}, {1, 2}) end, "labels must be 0 or 1")
  assert_error(function() metrics.roc_auc({0.1, 0 / 0}, {0, 1}) end, "score 2 is NaN")
  assert_error(function() metrics.roc_auc(torch.zeros(2, 2), {0, 1}) end, "scores must have shape (N)")
end)

test("average precision (= pr_auc): sklearn's step definition", function()
  -- sklearn's documented example: 0.8333
  assert_close(metrics.average_precision({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1}), 5 / 6)
  assert_close(metrics.pr_auc({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1}), 5 / 6)
  -- tied scores form one threshold: 0.9 -> (P 1, R 1/2); {0.5, 0.5} -> (P 2/3, R 1)
  assert_close(metrics.average_precision({0.5, 0.5, 0.9, 0.1}, {1, 0, 1, 0}), 0.5 + 0.5 * 2 / 3)
  assert_close(metrics.average_precision({0.9, 0.8, 0.1}, {1, 1, 0}), 1)
  assert_close(metrics.average_precision({0.1, 0.2}, {0, 1}), 1)
  assert_error(function() metrics.average_precision({0.1, 0.2}, {0, 0}) end, "needs at least one positive label")
end)

test("roc_curve and pr_curve match sklearn (no dropped points)", function()
  local fpr, tpr, th = metrics.roc_curve({0.1, 0.4, 0.35, 0.8}, {1, 1, 2, 2}, {pos_label = 2})
  assert_close(fpr, {0, 0, 0.5, 0.5, 1})
  assert_close(tpr, {0, 0.5, 0.5, 1, 1})
  local t = th:totable()
  assert_eq(t[1], math.huge)
  assert_close({t[2], t[3], t[4], t[5]}, {0.8, 0.4, 0.35, 0.1})
  local precision, recall, thresholds = metrics.pr_curve({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1})
  assert_close(precision, {0.5, 2 / 3, 0.5, 1, 1})
  assert_close(recall, {1, 1, 0.5, 0.5, 0})
  assert_close(thresholds, {0.1, 0.35, 0.4, 0.8})
end)

test("regression metrics: mae, mse, rmse, mape, r2", function()
  -- sklearn's documented example
  local y = torch.tensor({3, -0.5, 2, 7})
  local p = torch.tensor({2.5, 0.0, 2, 8})
  assert_close(metrics.mae(p, y), 0.5)
  assert_close(metrics.mse(p, y), 0.375)
  assert_close(metrics.rmse(p, y), math.sqrt(0.375))
  assert_close(metrics.mape(p, y), (0.5 / 3 + 0.5 / 0.5 + 0 + 1 / 7) / 4)
  assert_close(metrics.r2(p, y), 0.9486081370449679, 1e-6)
  assert_close(metrics.r2({1, 2, 3}, {1, 2, 3}), 1)
  -- constant target: 1 when exact, else 0 (sklearn's force_finite)
  assert_eq(metrics.r2({2, 2, 2}, {2, 2, 2}), 1.0)
  assert_eq(metrics.r2({1, 2, 3}, {2, 2, 2}), 0.0)
  -- predicting the mean gives 0
  assert_close(metrics.r2({2, 2, 2}, {1, 2, 3}), 0)
  -- (N, 1) predictions against (N) targets are reshaped, not broadcast to (N, N)
  assert_close(metrics.mae(p:reshape(4, 1), y), 0.5)
  -- Multi-output: uniform average of per-output values (sklearn's documented 0.822... RMSE).
  local yt = torch.tensor({{0.5, 1}, {-1, 1}, {7, -6}})
  local yp = torch.tensor({{0, 2}, {-1, 2}, {8, -5}})
  assert_close(metrics.rmse(yp, yt), (math.sqrt(1.25 / 3) + 1) / 2)
  -- col 1: SS_res 1.25, SS_tot 36.1667; col 2: SS_res 3, SS_tot 32.6667
  assert_close(metrics.r2(yp, yt), ((1 - 1.25 / (217 / 6)) + (1 - 3 / (98 / 3))) / 2, 1e-6)
  assert_close(metrics.mae(yp, yt), (0.5 + 0 + 1 + 1 + 1 + 1) / 6)
  -- zero targets in MAPE give a huge value, not inf or NaN
  assert_true(metrics.mape({1}, {0}) > 1e15)
  assert_error(function() metrics.mae(torch.zeros(3), torch.zeros(4)) end, "[metrics.mae] pred has shape (3) but target has shape (4)")
  assert_error(function() metrics.r2({}, {}) end, "no samples")
end)
