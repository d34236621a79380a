-- Text metrics merged into `metrics` (by lumen.text at load): corpus BLEU and chrF equal to
-- sacreBLEU's defaults on the same text, sentence BLEU, and perplexity.
--
--   metrics.bleu(hypotheses, references)          -- 0..100; references[i]: a string or a list of strings
--   metrics.bleu(hyps, refs, {tokenize = "none", lowercase = true, smooth_method = "floor"})
--   metrics.sentence_bleu(hyp, {ref1, ref2})      -- sacreBLEU's sentence_bleu (effective order)
--   metrics.chrf(hypotheses, references)          -- chrF (character 6-grams, beta = 2)
--   metrics.perplexity(logits, targets)           -- exp(cross-entropy); or metrics.perplexity(mean_nll)
local M = {}

local function fail(op, fmt, ...)
  error(string.format("[metrics.%s] " .. fmt, op, ...), 3)
end

local function check_lists(op, hypotheses, references)
  if type(hypotheses) ~= "table" then fail(op, "hypotheses must be a list of strings; got %s", type(hypotheses)) end
  if type(references) ~= "table" then fail(op, "references must be a list (a string or a list of strings per hypothesis); got %s", type(references)) end
  if #hypotheses ~= #references then
    fail(op, "got %d hypotheses but %d references (references[i] holds the reference(s) of hypothesis i)", #hypotheses, #references)
  end
end

local BLEU_OPTIONS = {tokenize = true, lowercase = true, smooth_method = true, smooth_value = true,
  use_effective_order = true, max_ngram_order = true}

--- Corpus BLEU (0..100) as sacreBLEU's corpus_bleu: 13a tokenization, exponential smoothing,
--- 4-grams, brevity penalty against the closest reference length. Returns the score and
--- {counts, totals, precisions, bp, sys_len, ref_len}.
function M.bleu(hypotheses, references, opts)
  check_lists("bleu", hypotheses, references)
  opts = opts or {}
  for k in pairs(opts) do
    if not BLEU_OPTIONS[k] then fail("bleu", "unknown option \"%s\"", tostring(k)) end
  end
  local score, counts, totals, sys_len, ref_len = lumen_internal.text_bleu(hypotheses, references, opts)
  local precisions = {}
  for i = 1, #counts do precisions[i] = totals[i] > 0 and 100 * counts[i] / totals[i] or 0 end
  local bp = sys_len < ref_len and (sys_len > 0 and math.exp(1 - ref_len / sys_len) or 0) or 1
  return score, {counts = counts, totals = totals, precisions = precisions, bp = bp, sys_len = sys_len, ref_len = ref_len}
end

--- BLEU of one hypothesis against its references (a string or a list), with sacreBLEU's
--- sentence_bleu default of effective n-gram order.
function M.sentence_bleu(hypothesis, references, opts)
  local o = {use_effective_order = true}
  for k, v in pairs(opts or {}) do o[k] = v end
  return M.bleu({hypothesis}, {references}, o)
end

--- Corpus chrF (0..100) as sacreBLEU's corpus_chrf: character n-grams up to char_order (6),
--- whitespace ignored, F-beta with beta (2); per hypothesis the best-scoring reference counts.
function M.chrf(hypotheses, references, opts)
  check_lists("chrf", hypotheses, references)
  opts = opts or {}
  for k in pairs(opts) do
    if k ~= "char_order" and k ~= "beta" and k ~= "lowercase" then fail("chrf", "unknown option \"%s\"", tostring(k)) end
  end
  return lumen_internal.text_chrf(hypotheses, references, opts)
end

--- Perplexity: exp of the mean negative log-likelihood. Either a number (the mean NLL, e.g. a
--- cross-entropy loss) or logits (N, C) / (B, T, C) with 1-based targets (N) / (B, T);
--- option ignore_index skips targets (padding).
function M.perplexity(x, targets, opts)
  if type(x) == "number" then return math.exp(x) end
  if not torch.is_tensor(x) then fail("perplexity", "expected a mean loss (number) or logits (tensor); got %s", type(x)) end
  if targets == nil then
    if x:numel() == 1 then return math.exp(x:item()) end
    fail("perplexity", "logits need targets")
  end
  opts = opts or {}
  local logits = x:detach()
  if logits:dim() == 3 then logits = logits:reshape(-1, logits:size(3)); targets = targets:reshape(-1) end
  local loss = nn.functional.cross_entropy(logits, targets, {ignore_index = opts.ignore_index})
  return math.exp(loss:item())
end

return M
