-- lumen.metrics: classification and regression metrics (global `metrics`), with scikit-learn's
-- definitions and 1-based class ids.
--
--   metrics.accuracy(logits, y)                       -- logits (N, C) → argmax; or labels (N)
--   metrics.f1(pred, y, {average = "macro"})         -- "macro" | "micro" | "weighted" | "none" | "binary"
--   metrics.confusion_matrix(pred, y, 3)              -- int64 (3, 3): rows = true class, cols = predicted
--   metrics.roc_auc(scores, labels01)                 -- binary, ties counted half (Mann–Whitney)
--   metrics.average_precision(scores, labels01)       -- sklearn's step-wise AP (= metrics.pr_auc)
--   metrics.mae(pred, y); metrics.rmse(pred, y); metrics.mape(pred, y); metrics.r2(pred, y)
--
-- Inputs are tensors or Lua arrays. Class predictions may be labels (N) or scores (N, C), which
-- are reduced with argmax over dim 2. Classes count from 1 (1..C). Binary ranking metrics take
-- scores (N) and labels 0/1 (or booleans; with `{pos_label = k}`, label k is positive and any
-- other value negative). Scalar results are Lua numbers; per-class results (average = "none")
-- are float32 tensors of length C.
local metrics = {}

local is_tensor = torch.is_tensor

local function fail(op, fmt, ...)
  error(string.format("[metrics.%s] " .. fmt, op, ...), 3)
end

local function shape_text(t)
  return "(" .. table.concat(t:size(), ",") .. ")"
end

local function as_tensor(op, v, what)
  if is_tensor(v) then return v:detach() end
  if type(v) == "table" then
    local ok, t = pcall(torch.tensor, v)
    if not ok then fail(op, "%s: %s", what, tostring(t)) end
    return t
  end
  fail(op, "%s: expected a tensor or a Lua array; got %s", what, type(v))
end

-- Class labels as a Lua array of integers: scores (N, C) → argmax; labels (N) or (N, 1).
local function labels(op, v, what, allow_scores)
  local t = as_tensor(op, v, what)
  if t:dim() == 2 and t:size(2) > 1 then
    if not allow_scores then fail(op, "%s: expected class labels of shape (N); got %s", what, shape_text(t)) end
    t = t:argmax(2)
  end
  if t:dim() > 1 then t = t:reshape(-1) end
  if t:dim() == 0 then t = t:reshape(1) end
  if t.dtype == "bool" then t = t:long() end
  local out = t:totable()
  for i, x in ipairs(out) do
    local k = math.tointeger(x)
    if k == nil then
      fail(op, "%s: element %d is %s; class labels must be integers%s", what, i, tostring(x),
        op == "accuracy" and what == "pred" and " (for probabilities pass {threshold = 0.5})" or "")
    end
    out[i] = k
  end
  return out
end

local function same_length(op, a, b)
  if #a ~= #b then fail(op, "predictions have %d elements but targets have %d", #a, #b) end
  if #a == 0 then fail(op, "no samples") end
end

-- MARK: classification ---------------------------------------------------------------------

--- Fraction of correct predictions. pred: labels (N) or scores (N, C) (argmax). Options:
--- threshold (pred ≥ threshold counts as class 1, else 0: for binary probabilities vs 0/1
--- targets), k (top-k accuracy: target among the k highest scores of pred (N, C)).
function metrics.accuracy(pred, target, options)
  options = options or {}
  if options.k ~= nil then
    local scores = as_tensor("accuracy", pred, "pred")
    if scores:dim() ~= 2 then fail("accuracy", "top-k accuracy needs scores of shape (N, C); got %s", shape_text(scores)) end
    local k = math.tointeger(options.k)
    if k == nil or k < 1 or k > scores:size(2) then fail("accuracy", "option k must be in 1..%d; got %s", scores:size(2), tostring(options.k)) end
    local t = labels("accuracy", target, "target", false)
    same_length("accuracy", t, scores:totable())
    local _, idx = scores:topk(k, 2)
    local hits = idx:eq(torch.tensor(t, {dtype = "int64"}):view(-1, 1)):sum():item()
    return hits / #t
  end
  local p
  if options.threshold ~= nil then
    local s = as_tensor("accuracy", pred, "pred"):reshape(-1)
    p = s:ge(options.threshold):long():totable()
  else
    p = labels("accuracy", pred, "pred", true)
  end
  local t = labels("accuracy", target, "target", false)
  same_length("accuracy", p, t)
  local correct = 0
  for i = 1, #p do if p[i] == t[i] then correct = correct + 1 end end
  return correct / #p
end

-- Per-class counts over classes 1..C.
local function class_counts(op, pred, target, options)
  local p = labels(op, pred, "pred", true)
  local t = labels(op, target, "target", false)
  same_length(op, p, t)
  local C = options.num_classes
  if C ~= nil and (math.tointeger(C) == nil or C < 1) then fail(op, "option num_classes must be a positive integer; got %s", tostring(C)) end
  local maxlabel = 0
  for i = 1, #p do
    if p[i] < 1 then fail(op, "pred element %d is class %d; classes count from 1", i, p[i]) end
    if t[i] < 1 then fail(op, "target element %d is class %d; classes count from 1", i, t[i]) end
    maxlabel = math.max(maxlabel, p[i], t[i])
  end
  if C and maxlabel > C then fail(op, "class %d found but num_classes is %d", maxlabel, C) end
  C = C or maxlabel
  local tp, fp, fn, support, present = {}, {}, {}, {}, {}
  for c = 1, C do tp[c], fp[c], fn[c], support[c] = 0, 0, 0, 0 end
  for i = 1, #p do
    local a, b = t[i], p[i]
    support[a] = support[a] + 1
    present[a], present[b] = true, true
    if a == b then tp[a] = tp[a] + 1 else fp[b] = fp[b] + 1; fn[a] = fn[a] + 1 end
  end
  return {C = C, tp = tp, fp = fp, fn = fn, support = support, present = present, n = #p}
end

local averages = {macro = true, micro = true, weighted = true, none = true, binary = true}

-- precision, recall or f1 for counts (tp, fp, fn); zero_division when undefined.
local function score(kind, tp, fp, fn, zero)
  local function ratio(a, b) if b == 0 then return zero end return a / b end
  if kind == "precision" then return ratio(tp, tp + fp) end
  if kind == "recall" then return ratio(tp, tp + fn) end
  -- F1 = 2TP / (2TP + FP + FN), which equals 2PR/(P+R) and is defined whenever either is.
  return ratio(2 * tp, 2 * tp + fp + fn)
end

local function class_metric(kind, pred, target, options)
  options = options or {}
  if type(options) ~= "table" then fail(kind, "options must be a table; got %s", type(options)) end
  local average = options.average or "macro"
  if not averages[average] then
    fail(kind, "option average must be \"macro\", \"micro\", \"weighted\", \"none\" or \"binary\"; got %q", tostring(average))
  end
  local zero = options.zero_division or 0
  if average == "binary" then
    local pos = options.pos_label or 1
    local p = labels(kind, pred, "pred", true)
    local t = labels(kind, target, "target", false)
    same_length(kind, p, t)
    local tp, fp, fn = 0, 0, 0
    for i = 1, #p do
      local pp, tt = p[i] == pos, t[i] == pos
      if pp and tt then tp = tp + 1 elseif pp then fp = fp + 1 elseif tt then fn = fn + 1 end
    end
    return score(kind, tp, fp, fn, zero)
  end
  local c = class_counts(kind, pred, target, options)
  local classes = {}
  for k = 1, c.C do
    if options.num_classes or c.present[k] then classes[#classes + 1] = k end
  end
  if average == "none" then
    local out = {}
    for k = 1, c.C do out[k] = score(kind, c.tp[k], c.fp[k], c.fn[k], zero) end
    return torch.tensor(out, {dtype = "float32"})
  elseif average == "micro" then
    local tp, fp, fn = 0, 0, 0
    for _, k in ipairs(classes) do tp, fp, fn = tp + c.tp[k], fp + c.fp[k], fn + c.fn[k] end
    return score(kind, tp, fp, fn, zero)
  elseif average == "macro" then
    local sum = 0
    for _, k in ipairs(classes) do sum = sum + score(kind, c.tp[k], c.fp[k], c.fn[k], zero) end
    return sum / #classes
  else -- weighted by support
    local sum, total = 0, 0
    for _, k in ipairs(classes) do
      sum = sum + score(kind, c.tp[k], c.fp[k], c.fn[k], zero) * c.support[k]
      total = total + c.support[k]
    end
    if total == 0 then return zero end
    return sum / total
  end
end

--- Precision TP / (TP + FP). Options: average = "macro" (default: unweighted mean over the classes
--- present in target or pred, or over 1..num_classes when num_classes is given), "micro" (pooled
--- counts; equals accuracy for single-label data), "weighted" (mean weighted by each class's
--- number of true samples), "none" (per-class tensor of length C), "binary" (class pos_label,
--- default 1, against the rest: for 0/1 labels); num_classes; zero_division (value when a
--- denominator is 0, default 0).
function metrics.precision(pred, target, options) return class_metric("precision", pred, target, options) end

--- Recall TP / (TP + FN); options as metrics.precision.
function metrics.recall(pred, target, options) return class_metric("recall", pred, target, options) end

--- F1 = 2 P R / (P + R) per class, then averaged as metrics.precision's options say.
function metrics.f1(pred, target, options) return class_metric("f1", pred, target, options) end

--- An int64 (C, C) tensor: entry [i][j] counts samples of true class i predicted as class j.
--- pred: labels (N) or scores (N, C); num_classes defaults to the largest label seen.
function metrics.confusion_matrix(pred, target, num_classes)
  local options = type(num_classes) == "table" and num_classes or {num_classes = num_classes}
  local c = class_counts("confusion_matrix", pred, target, options)
  local p = labels("confusion_matrix", pred, "pred", true)
  local t = labels("confusion_matrix", target, "target", false)
  local C = c.C
  local flat = {}
  for k = 1, C * C do flat[k] = 0 end
  for i = 1, #p do
    local k = (t[i] - 1) * C + p[i]
    flat[k] = flat[k] + 1
  end
  return torch.tensor(flat, {dtype = "int64"}):reshape(C, C)
end

-- MARK: ranking (binary) -------------------------------------------------------------------

-- Scores as a Lua array of numbers and labels as booleans (true = positive).
local function binary_inputs(op, scores, target, options)
  options = options or {}
  local s = as_tensor(op, scores, "scores")
  if s:dim() == 2 and s:size(2) == 1 then s = s:reshape(-1) end
  if s:dim() ~= 1 then fail(op, "scores must have shape (N); got %s", shape_text(s)) end
  local y = as_tensor(op, target, "labels")
  if y:dim() == 2 and y:size(2) == 1 then y = y:reshape(-1) end
  if y:dim() ~= 1 then fail(op, "labels must have shape (N); got %s", shape_text(y)) end
  if y.dtype == "bool" then y = y:long() end
  local sv, yv = s:double():totable(), y:totable()
  if #sv ~= #yv then fail(op, "scores have %d elements but labels have %d", #sv, #yv) end
  local pos_label = options.pos_label
  local positive, npos = {}, 0
  for i, v in ipairs(yv) do
    if sv[i] ~= sv[i] then fail(op, "score %d is NaN", i) end
    if pos_label == nil then
      if v ~= 0 and v ~= 1 then
        fail(op, "labels must be 0 or 1 (or pass {pos_label = k}); label %d is %s", i, tostring(v))
      end
      positive[i] = v == 1
    else
      positive[i] = v == pos_label
    end
    if positive[i] then npos = npos + 1 end
  end
  return sv, positive, npos, #sv - npos
end

--- Area under the ROC curve for binary labels: the probability that a random positive scores
--- above a random negative, ties counting one half (Mann–Whitney U with average ranks).
--- Errors when only one class is present. Options: pos_label.
function metrics.roc_auc(scores, target, options)
  local s, positive, npos, nneg = binary_inputs("roc_auc", scores, target, options)
  if npos == 0 or nneg == 0 then
    fail("roc_auc", "needs both classes in labels; got %d positives and %d negatives", npos, nneg)
  end
  local order = {}
  for i = 1, #s do order[i] = i end
  table.sort(order, function(a, b) return s[a] < s[b] end)
  local rank_sum = 0
  local i = 1
  while i <= #order do
    local j = i
    while j < #order and s[order[j + 1]] == s[order[i]] do j = j + 1 end
    local avg = (i + j) / 2
    for k = i, j do if positive[order[k]] then rank_sum = rank_sum + avg end end
    i = j + 1
  end
  return (rank_sum - npos * (npos + 1) / 2) / (npos * nneg)
end

-- Cumulative (tp, fp) at each distinct threshold, scores descending.
local function threshold_counts(s, positive)
  local order = {}
  for i = 1, #s do order[i] = i end
  table.sort(order, function(a, b) return s[a] > s[b] end)
  local tps, fps, thresholds = {}, {}, {}
  local tp, fp = 0, 0
  for k, i in ipairs(order) do
    if positive[i] then tp = tp + 1 else fp = fp + 1 end
    local nxt = order[k + 1]
    if nxt == nil or s[nxt] ~= s[i] then
      tps[#tps + 1], fps[#fps + 1], thresholds[#thresholds + 1] = tp, fp, s[i]
    end
  end
  return tps, fps, thresholds
end

--- Average precision, scikit-learn's step definition: AP = Σ_n (R_n − R_{n−1}) P_n over the
--- distinct score thresholds in decreasing order (no interpolation). Errors without positives.
function metrics.average_precision(scores, target, options)
  local s, positive, npos = binary_inputs("average_precision", scores, target, options)
  if npos == 0 then fail("average_precision", "needs at least one positive label") end
  local tps, fps = threshold_counts(s, positive)
  local ap, previous_recall = 0, 0
  for k = 1, #tps do
    local recall = tps[k] / npos
    local precision = tps[k] / (tps[k] + fps[k])
    ap = ap + (recall - previous_recall) * precision
    previous_recall = recall
  end
  return ap
end

--- Area under the precision–recall curve, as average_precision (the step definition).
metrics.pr_auc = metrics.average_precision

--- ROC curve points: fpr, tpr, thresholds (float64 tensors, thresholds decreasing; the first
--- point is (0, 0) at threshold +inf), one point per distinct score as sklearn's roc_curve
--- with drop_intermediate = false.
function metrics.roc_curve(scores, target, options)
  local s, positive, npos, nneg = binary_inputs("roc_curve", scores, target, options)
  if npos == 0 or nneg == 0 then fail("roc_curve", "needs both classes in labels; got %d positives and %d negatives", npos, nneg) end
  local tps, fps, th = threshold_counts(s, positive)
  local fpr, tpr, thresholds = {0}, {0}, {math.huge}
  for k = 1, #tps do
    fpr[k + 1], tpr[k + 1], thresholds[k + 1] = fps[k] / nneg, tps[k] / npos, th[k]
  end
  local opts = {dtype = "float64"}
  return torch.tensor(fpr, opts), torch.tensor(tpr, opts), torch.tensor(thresholds, opts)
end

--- Precision–recall curve: precision, recall, thresholds (float64 tensors) as sklearn's
--- precision_recall_curve (≥ 1.1, drop_intermediate = false): thresholds increasing, with a
--- last point (precision 1, recall 0) that has no threshold.
function metrics.pr_curve(scores, target, options)
  local s, positive, npos = binary_inputs("pr_curve", scores, target, options)
  if npos == 0 then fail("pr_curve", "needs at least one positive label") end
  local tps, fps, th = threshold_counts(s, positive)
  local precision, recall, thresholds = {}, {}, {}
  for k = #tps, 1, -1 do
    precision[#precision + 1] = tps[k] / (tps[k] + fps[k])
    recall[#recall + 1] = tps[k] / npos
    thresholds[#thresholds + 1] = th[k]
  end
  precision[#precision + 1], recall[#recall + 1] = 1, 0
  local opts = {dtype = "float64"}
  return torch.tensor(precision, opts), torch.tensor(recall, opts), torch.tensor(thresholds, opts)
end

-- MARK: regression -------------------------------------------------------------------------

-- pred and target as float64 tensors of the same shape (N) or (N, k). A (N, 1) vs (N) pair is
-- reshaped rather than broadcast to (N, N).
local function regression_inputs(op, pred, target)
  local p = as_tensor(op, pred, "pred"):double()
  local t = as_tensor(op, target, "target"):double()
  local same = p:dim() == t:dim()
  if same then for d = 1, p:dim() do if p:size(d) ~= t:size(d) then same = false end end end
  if not same then
    if p:numel() == t:numel() and (p:dim() <= 1 or t:dim() <= 1) then p = p:reshape(t:size())
    else fail(op, "pred has shape %s but target has shape %s", shape_text(p), shape_text(t)) end
  end
  if t:dim() == 0 then p, t = p:reshape(1), t:reshape(1) end
  if t:numel() == 0 then fail(op, "no samples") end
  if t:dim() > 2 then fail(op, "expected (N) or (N, outputs); got %s", shape_text(t)) end
  return p, t
end

--- Mean absolute error.
function metrics.mae(pred, target)
  local p, t = regression_inputs("mae", pred, target)
  return (p - t):abs():mean():item()
end

--- Mean squared error.
function metrics.mse(pred, target)
  local p, t = regression_inputs("mse", pred, target)
  return ((p - t) ^ 2):mean():item()
end

--- Root mean squared error; for (N, k) outputs the mean of the k per-output RMSEs (sklearn's
--- uniform average).
function metrics.rmse(pred, target)
  local p, t = regression_inputs("rmse", pred, target)
  if t:dim() == 2 then return ((p - t) ^ 2):mean(1):sqrt():mean():item() end
  return math.sqrt(((p - t) ^ 2):mean():item())
end

--- Mean absolute percentage error as a fraction (sklearn): mean(|y − ŷ| / max(|y|, eps)),
--- eps = 2.22e-16, so a zero target gives a huge value rather than inf.
function metrics.mape(pred, target)
  local p, t = regression_inputs("mape", pred, target)
  local eps = 2.220446049250313e-16
  return ((p - t):abs() / t:abs():clamp(eps, math.huge)):mean():item()
end

-- R² of one output column (Lua arrays).
local function r2_column(p, t)
  local n, mean = #t, 0
  for i = 1, n do mean = mean + t[i] end
  mean = mean / n
  local ss_res, ss_tot = 0, 0
  for i = 1, n do
    ss_res = ss_res + (t[i] - p[i]) ^ 2
    ss_tot = ss_tot + (t[i] - mean) ^ 2
  end
  if ss_tot == 0 then return ss_res == 0 and 1.0 or 0.0 end
  return 1 - ss_res / ss_tot
end

--- Coefficient of determination 1 − SS_res / SS_tot. A constant target gives 1 for a perfect
--- prediction and 0 otherwise (sklearn's force_finite). (N, k): mean of per-output R².
function metrics.r2(pred, target)
  local p, t = regression_inputs("r2", pred, target)
  if t:dim() == 1 then return r2_column(p:totable(), t:totable()) end
  local sum = 0
  for j = 1, t:size(2) do sum = sum + r2_column(p:select(2, j):totable(), t:select(2, j):totable()) end
  return sum / t:size(2)
end

-- `?name` help in the REPL.
local docs = require "lumen.help"
docs["metrics.accuracy"] = "metrics.accuracy(pred_or_logits, target [, {threshold=, k=}]) -> fraction correct (classes count from 1)"
docs["metrics.precision"] = "metrics.precision(pred, target, {average=\"macro\"|\"micro\"|\"weighted\"|\"none\"|\"binary\", num_classes=, pos_label=, zero_division=0})"
docs["metrics.recall"] = "metrics.recall(pred, target, options) -> TP / (TP + FN); options as metrics.precision"
docs["metrics.f1"] = "metrics.f1(pred, target, options) -> harmonic mean of precision and recall per class, then averaged"
docs["metrics.confusion_matrix"] = "metrics.confusion_matrix(pred, target [, num_classes]) -> int64 (C, C), rows = true class, cols = predicted"
docs["metrics.roc_auc"] = "metrics.roc_auc(scores, labels01 [, {pos_label=}]) -> area under the ROC curve (ties count 1/2)"
docs["metrics.average_precision"] = "metrics.average_precision(scores, labels01) -> sklearn's step-wise AP (also metrics.pr_auc)"
docs["metrics.roc_curve"] = "metrics.roc_curve(scores, labels01) -> fpr, tpr, thresholds"
docs["metrics.pr_curve"] = "metrics.pr_curve(scores, labels01) -> precision, recall, thresholds"
docs["metrics.mae"] = "metrics.mae(pred, target) -> mean absolute error (also mse, rmse, mape, r2)"
docs["metrics.r2"] = "metrics.r2(pred, target) -> 1 - SS_res / SS_tot (mean over outputs for (N, k))"

return metrics
