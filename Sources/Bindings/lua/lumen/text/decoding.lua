-- Decoding for language models: sampling filters, sampling, greedy and sampled generation, and
-- beam search. A model is given as a step function:
--
--   step(ids, new_ids) -> logits      ids (B, L) int64: every token so far; new_ids: the tokens
--                                     added since the previous call (the whole prompt at first),
--                                     for models with a cache; logits (B, V), or (B, L', V) whose
--                                     last position is used.
--
--   local out = text.generate(step, prompt, {max_new_tokens = 50, temperature = 0.8, top_k = 40})
--   local greedy = text.greedy_decode(step, prompt, {max_new_tokens = 20, eos_id = eos})
--   local seqs, scores = text.beam_search(step, prompt, {beam_size = 4, eos_id = eos, length_penalty = 1})
-- Token ids count from 1. Steps run without recording gradients.
local decoding = {}

local function shape(t) return "(" .. table.concat(t:size(), ",") .. ")" end

-- logits as (B, V), remembering whether a 1-d input was given.
local function rows(op, logits)
  if not torch.is_tensor(logits) or (logits:dim() ~= 1 and logits:dim() ~= 2) then
    error(string.format("[%s] expected logits (V) or (B, V); got %s", op, torch.is_tensor(logits) and shape(logits) or type(logits)), 3)
  end
  if logits:dim() == 1 then return logits:unsqueeze(1), true end
  return logits, false
end

--- Logits with all but the k largest of each row set to -inf.
function decoding.top_k_filter(logits, k)
  local x, single = rows("top_k_filter", logits)
  k = math.tointeger(k)
  if k == nil or k < 1 then error("[top_k_filter] k must be a positive integer", 2) end
  if k >= x:size(2) then return logits end
  local values = x:topk(k, 2)
  local out = x:masked_fill(x:lt(values:narrow(2, k, 1)), -math.huge)
  return single and out:squeeze(1) or out
end

--- Nucleus filter: keeps the smallest set of most likely tokens whose probability reaches p
--- (at least one per row), the rest set to -inf.
function decoding.top_p_filter(logits, p)
  local x, single = rows("top_p_filter", logits)
  if type(p) ~= "number" or p <= 0 or p > 1 then error("[top_p_filter] p must be in (0, 1]", 2) end
  if p >= 1 then return logits end
  local sorted, order = x:sort(2, true)                          -- descending
  local probs = sorted:softmax(2)
  local before = probs:cumsum(2) - probs                          -- mass of the more likely tokens
  local drop_sorted = before:gt(p):to(x.dtype)
  local drop = torch.zeros_like(x):scatter(2, order, drop_sorted):gt(0)
  local out = x:masked_fill(drop, -math.huge)
  return single and out:squeeze(1) or out
end

--- Next-token ids (B) (a number for 1-d logits) drawn from logits (B, V). Options: greedy
--- (argmax; also when temperature is 0), temperature (1), top_k, top_p.
function decoding.sample_logits(logits, opts)
  opts = opts or {}
  local x, single = rows("sample_logits", logits)
  local ids
  local t = opts.temperature or 1
  if opts.greedy or t == 0 then
    ids = x:argmax(2)
  else
    if t < 0 then error("[sample_logits] temperature must be non-negative", 2) end
    x = x:to("float64") / t
    if opts.top_k then x = decoding.top_k_filter(x, opts.top_k) end
    if opts.top_p then x = decoding.top_p_filter(x, opts.top_p) end
    ids = torch.multinomial(x:softmax(2), 1):view(-1)
  end
  if single then return ids[1] end
  return ids:long()
end

-- A prompt as an int64 (B, L) tensor; also whether it was one sequence.
local function prompt_tensor(op, prompt)
  if type(prompt) == "table" then
    if #prompt == 0 then error(string.format("[%s] the prompt is empty", op), 3) end
    return torch.tensor({prompt}, {dtype = "int64"}), true
  end
  if not torch.is_tensor(prompt) or prompt.dtype:match("^float") or prompt:dim() < 1 or prompt:dim() > 2 then
    error(string.format("[%s] prompt must be a list of ids or an integer tensor (L) or (B, L)", op), 3)
  end
  if prompt:dim() == 1 then return prompt:long():view(1, -1), true end
  return prompt:long(), false
end

local function last_logits(op, logits, batch)
  if not torch.is_tensor(logits) then error(string.format("[%s] the step function must return logits; got %s", op, type(logits)), 3) end
  if logits:dim() == 3 then logits = logits:select(2, logits:size(2)) end
  if logits:dim() ~= 2 or logits:size(1) ~= batch then
    error(string.format("[%s] the step function returned %s; expected logits (%d, V) or (%d, L, V)", op, shape(logits), batch, batch), 3)
  end
  return logits
end

--- Extends the prompt by up to max_new_tokens (default 20) sampled tokens. Options: those of
--- sample_logits, eos_id (a sequence stops there; later positions get pad_id, or eos_id),
--- pad_id. Returns ids (B, L + n), or (L + n) for a one-sequence prompt.
function decoding.generate(step, prompt, opts)
  opts = opts or {}
  if type(step) ~= "function" and not (type(step) == "table" and getmetatable(step) and getmetatable(step).__call) then
    error("[generate] expected a step function (ids, new_ids) -> logits", 2)
  end
  local ids, single = prompt_tensor("generate", prompt)
  local batch = ids:size(1)
  local new = ids
  local finished = torch.zeros(batch, {dtype = "bool"})
  local eos, fill = opts.eos_id, opts.pad_id or opts.eos_id
  torch.no_grad(function()
    for _ = 1, opts.max_new_tokens or 20 do
      local logits = last_logits("generate", step(ids, new), batch)
      local next_ids = decoding.sample_logits(logits, opts)
      if eos ~= nil then
        next_ids = torch.where(finished, fill, next_ids):long()
        finished = finished:logical_or(next_ids:eq(eos))
      end
      new = next_ids:view(batch, 1)
      ids = torch.cat({ids, new}, 2)
      if eos ~= nil and finished:long():sum():item() == batch then break end
    end
  end)
  return single and ids:view(-1) or ids
end

--- generate with argmax choices.
function decoding.greedy_decode(step, prompt, opts)
  local o = {}
  for k, v in pairs(opts or {}) do o[k] = v end
  o.greedy = true
  return decoding.generate(step, prompt, o)
end

--- Beam search from one prompt (a list or 1-d tensor). Options: beam_size (4),
--- max_new_tokens (20), eos_id, length_penalty (1.0: scores are summed log-probabilities
--- divided by generated_length ^ length_penalty), num_return_sequences (1), reorder (called as
--- reorder(beam_indices) after each step, to reorder a model cache: row i of the next step
--- continues beam beam_indices[i] of this one). Returns the sequences (1-d int64 tensors:
--- prompt and generated tokens, best first) and their scores.
function decoding.beam_search(step, prompt, opts)
  opts = opts or {}
  local ids = prompt_tensor("beam_search", prompt)
  if ids:size(1) ~= 1 then error("[beam_search] expected one prompt (run a loop for a batch)", 2) end
  local k = opts.beam_size or 4
  local lp = opts.length_penalty or 1.0
  local eos = opts.eos_id
  local alive, scores = ids, {0.0}
  local new = ids
  local finished = {}
  local function normalized(score, length) return score / (length ^ lp) end
  torch.no_grad(function()
    for t = 1, opts.max_new_tokens or 20 do
      local n = alive:size(1)
      local logp = last_logits("beam_search", step(alive, new), n):to("float64"):log_softmax(2)
      local vocab = logp:size(2)
      local total = logp + torch.tensor(scores, {dtype = "float64"}):view(n, 1)
      local values, flat = total:view(-1):topk(math.min(2 * k, n * vocab))
      values, flat = values:totable(), flat:totable()
      local keep_rows, keep_tokens, keep_scores = {}, {}, {}
      for j = 1, #values do
        local row, token = (flat[j] - 1) // vocab + 1, (flat[j] - 1) % vocab + 1
        if eos ~= nil and token == eos then
          finished[#finished + 1] = {ids = torch.cat({alive[row], torch.tensor({eos}, {dtype = "int64"})}, 1),
            score = normalized(values[j], t)}
        else
          keep_rows[#keep_rows + 1], keep_tokens[#keep_tokens + 1], keep_scores[#keep_scores + 1] = row, token, values[j]
        end
        if #keep_rows == k then break end
      end
      if #keep_rows == 0 then alive = nil; break end
      local index = torch.tensor(keep_rows, {dtype = "int64"})
      new = torch.tensor(keep_tokens, {dtype = "int64"}):view(-1, 1)
      alive = torch.cat({alive:index_select(1, index), new}, 2)
      scores = keep_scores
      if opts.reorder then opts.reorder(index) end
      -- Done once k hypotheses finished and no live beam can still beat the worst of them.
      if #finished >= k then
        table.sort(finished, function(a, b) return a.score > b.score end)
        if normalized(scores[1], t) < finished[k].score then alive = nil; break end
      end
    end
  end)
  if alive ~= nil then
    local length = alive:size(2) - ids:size(2)
    for i = 1, alive:size(1) do finished[#finished + 1] = {ids = alive[i], score = normalized(scores[i], math.max(length, 1))} end
  end
  table.sort(finished, function(a, b) return a.score > b.score end)
  local sequences, out_scores = {}, {}
  for i = 1, math.min(opts.num_return_sequences or 1, #finished) do
    sequences[i], out_scores[i] = finished[i].ids, finished[i].score
  end
  return sequences, out_scores
end

return decoding
