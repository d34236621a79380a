-- nn.MultiheadAttention(embed_dim, num_heads, {dropout = 0, bias = true, kdim, vdim,
-- batch_first = false, dtype}): PyTorch's multi-head attention. Parameters: in_proj_weight
-- (3E, E) (or q_proj_weight, k_proj_weight, v_proj_weight when kdim/vdim differ from E),
-- in_proj_bias (3E), out_proj (Linear E -> E); in_proj_weight starts xavier-uniform, the
-- biases zero.
--
--   local out, weights = mha(query, key, value, {key_padding_mask = m, need_weights = true,
--     attn_mask = nil, average_attn_weights = true, is_causal = false})
--
-- query (L, B, E) (or (B, L, E) with batch_first, or unbatched (L, E)); key/value (S, B, kdim/vdim)
-- (key and value default to query). key_padding_mask (B, S): true (or -inf) = ignore that key.
-- attn_mask (L, S) or (B*num_heads, L, S): true = not allowed, or an additive float mask.
-- is_causal: query i attends to keys 1..i (then attn_mask is not needed and is ignored).
-- Returns out like query and, with need_weights, the attention weights (B, L, S) averaged over
-- heads (or (B, num_heads, L, S) with average_attn_weights = false); else nil. The heads run
-- in one fused engine kernel (scores, mask, softmax, dropout, values) with its own backward;
-- self-attention projects q, k, v with one matmul and splits heads without copying.
--
-- Fast autoregressive decoding: out = mha:forward_cached(x_new, cache) attends from the new
-- positions to every position seen so far; `cache` (a table, empty at the start) keeps the
-- projected keys and values. mha:forward_cached(x, cache, {memory = m}) attends to a fixed
-- memory whose projections are computed once (cross-attention in a decoder).
local nn = require "lumen.nn"

local MultiheadAttention = nn.Module:extend("MultiheadAttention")

local KNOWN = {dropout = true, bias = true, kdim = true, vdim = true, batch_first = true, dtype = true,
  add_bias_kv = true, add_zero_attn = true}

function MultiheadAttention:init(embed_dim, num_heads, opts)
  local e, h = math.tointeger(embed_dim), math.tointeger(num_heads)
  if e == nil or h == nil or e < 1 or h < 1 then
    error(string.format("[MultiheadAttention] expected positive integers (embed_dim, num_heads); got %s, %s",
      tostring(embed_dim), tostring(num_heads)), 3)
  end
  if e % h ~= 0 then error(string.format("[MultiheadAttention] embed_dim %d must be divisible by num_heads %d", e, h), 3) end
  opts = opts or {}
  for k in pairs(opts) do
    if not KNOWN[k] then error(string.format("[MultiheadAttention] unknown option \"%s\"", tostring(k)), 3) end
  end
  if opts.add_bias_kv or opts.add_zero_attn then
    error("[MultiheadAttention] add_bias_kv and add_zero_attn are not supported", 3)
  end
  local dtype = opts.dtype or "float32"
  self.embed_dim, self.num_heads, self.head_dim = e, h, e // h
  self.kdim, self.vdim = opts.kdim or e, opts.vdim or e
  self.dropout = opts.dropout or 0
  self.batch_first = opts.batch_first == true
  self._qkv_same_embed_dim = self.kdim == e and self.vdim == e
  if self._qkv_same_embed_dim then
    self.in_proj_weight = nn.Parameter(torch.zeros(3 * e, e, {dtype = dtype}))
  else
    self.q_proj_weight = nn.Parameter(torch.zeros(e, e, {dtype = dtype}))
    self.k_proj_weight = nn.Parameter(torch.zeros(e, self.kdim, {dtype = dtype}))
    self.v_proj_weight = nn.Parameter(torch.zeros(e, self.vdim, {dtype = dtype}))
  end
  if opts.bias ~= false then self.in_proj_bias = nn.Parameter(torch.zeros(3 * e, {dtype = dtype})) end
  self.out_proj = nn.Linear(e, e, {bias = opts.bias ~= false, dtype = dtype})
  self:reset_parameters()
end

function MultiheadAttention:reset_parameters()
  if self._qkv_same_embed_dim then
    nn.init.xavier_uniform_(self.in_proj_weight)
  else
    nn.init.xavier_uniform_(self.q_proj_weight)
    nn.init.xavier_uniform_(self.k_proj_weight)
    nn.init.xavier_uniform_(self.v_proj_weight)
  end
  if self.in_proj_bias ~= nil then
    nn.init.zeros_(self.in_proj_bias)
    nn.init.zeros_(self.out_proj.bias)
  end
end

local F = nn.functional
-- Rows [from, from + n) of the packed projection (weight, bias), 1-based.
local function rows(t, from, n)
  if t == nil then return nil end
  return t:narrow(1, from, n)
end

--- The projections q (B, L, E), k (B, S, E), v (B, S, E) of batch-first inputs. Self-attention
--- is one matmul whose output is split by views; key == value (cross-attention) is two.
function MultiheadAttention:project(query, key, value)
  local e, b = self.embed_dim, self.in_proj_bias
  if not self._qkv_same_embed_dim then
    return F.linear(query, self.q_proj_weight, rows(b, 1, e)), F.linear(key, self.k_proj_weight, rows(b, e + 1, e)),
      F.linear(value, self.v_proj_weight, rows(b, 2 * e + 1, e))
  end
  local w = self.in_proj_weight
  if rawequal(query, key) and rawequal(key, value) then
    local qkv = F.linear(query, w, b)
    return qkv:narrow(3, 1, e), qkv:narrow(3, e + 1, e), qkv:narrow(3, 2 * e + 1, e)
  end
  local q = F.linear(query, rows(w, 1, e), rows(b, 1, e))
  if rawequal(key, value) then
    local kv = F.linear(key, rows(w, e + 1, 2 * e), rows(b, e + 1, 2 * e))
    return q, kv:narrow(3, 1, e), kv:narrow(3, e + 1, e)
  end
  return q, F.linear(key, rows(w, e + 1, e), rows(b, e + 1, e)), F.linear(value, rows(w, 2 * e + 1, e), rows(b, 2 * e + 1, e))
end
local function shape(t) return "(" .. table.concat(t:size(), ",") .. ")" end

-- Brings (L, B, E) / (B, L, E) / (L, E) to (B, L, E); returns the inverse.
function MultiheadAttention:to_batch_first(x, what)
  if not torch.is_tensor(x) then error(string.format("[MultiheadAttention] %s must be a tensor; got %s", what, type(x)), 4) end
  if x:dim() == 2 then return x:unsqueeze(1), function(y) return y:squeeze(1) end end
  if x:dim() ~= 3 then
    error(string.format("[MultiheadAttention] expected %s of 2 (unbatched) or 3 dims; got %s", what, shape(x)), 4)
  end
  if self.batch_first then return x, function(y) return y end end
  return x:transpose(1, 2), function(y) return y:transpose(1, 2) end
end

local OPTIONS = {key_padding_mask = true, need_weights = true, attn_mask = true, average_attn_weights = true,
  is_causal = true}

function MultiheadAttention:forward(query, key, value, opts)
  opts = opts or {}
  for k in pairs(opts) do
    if not OPTIONS[k] then error(string.format("[MultiheadAttention] unknown option \"%s\"", tostring(k)), 2) end
  end
  if key == nil then key = query end
  if value == nil then value = key end
  local same_kv, self_attention = rawequal(key, value), rawequal(query, key) and rawequal(key, value)
  local q_in, back = self:to_batch_first(query, "query")
  local k_in = self_attention and q_in or self:to_batch_first(key, "key")
  local v_in = same_kv and k_in or self:to_batch_first(value, "value")
  local unbatched = query:dim() == 2
  local kpm = opts.key_padding_mask
  if kpm ~= nil and unbatched and kpm:dim() == 1 then kpm = kpm:unsqueeze(1) end
  local attention = {attn_mask = not opts.is_causal and opts.attn_mask or nil, key_padding_mask = kpm,
    causal_offset = opts.is_causal and 0 or nil, dropout_p = self.training and self.dropout or 0,
    need_weights = opts.need_weights ~= false}
  local out, weights
  if self_attention and self._qkv_same_embed_dim then
    -- One projection; the kernel reads q, k, v as column blocks and returns one gradient.
    local qkv = F.linear(q_in, self.in_proj_weight, self.in_proj_bias)
    out, weights = lumen_internal.seq_mha_packed(qkv, self.num_heads, attention)
  else
    local q, k, v = self:project(q_in, k_in, v_in)
    out, weights = lumen_internal.seq_mha(q, k, v, self.num_heads, attention)
  end
  out = back(self.out_proj(out))
  if weights ~= nil then
    if opts.average_attn_weights ~= false then weights = weights:mean(2) end
    if unbatched then weights = weights:squeeze(1) end
  end
  return out, weights
end

--- Attention from new positions x (like query) to all positions so far, keeping projected keys
--- and values in `cache`. Options: memory (attend to this fixed memory instead, projected once),
--- key_padding_mask (over all keys so far, or over the memory).
function MultiheadAttention:forward_cached(x, cache, opts)
  if type(cache) ~= "table" then error("[MultiheadAttention] forward_cached needs a cache table (empty at the start)", 2) end
  opts = opts or {}
  local q_in, back = self:to_batch_first(x, "x")
  local e, w, b = self.embed_dim, self.in_proj_weight, self.in_proj_bias
  local q, k, v, offset
  if opts.memory ~= nil then
    if cache.k == nil then
      local m = self:to_batch_first(opts.memory, "memory")
      local _
      _, cache.k, cache.v = self:project(q_in, m, m)
    end
    q = self._qkv_same_embed_dim and F.linear(q_in, rows(w, 1, e), rows(b, 1, e)) or F.linear(q_in, self.q_proj_weight, rows(b, 1, e))
    k, v = cache.k, cache.v
  else
    local k_new, v_new
    q, k_new, v_new = self:project(q_in, q_in, q_in)
    if cache.k ~= nil then
      k, v = torch.cat({cache.k, k_new}, 2), torch.cat({cache.v, v_new}, 2)
    else
      k, v = k_new:contiguous(), v_new:contiguous()
    end
    cache.k, cache.v = k, v
    offset = k:size(2) - q:size(2)
  end
  local out = lumen_internal.seq_mha(q, k, v, self.num_heads, {key_padding_mask = opts.key_padding_mask,
    causal_offset = offset, dropout_p = 0})
  return back(self.out_proj(out))
end

function MultiheadAttention:extra_repr()
  local s = string.format("embed_dim=%d, num_heads=%d", self.embed_dim, self.num_heads)
  if self.dropout ~= 0 then s = s .. string.format(", dropout=%g", self.dropout) end
  if not self._qkv_same_embed_dim then s = s .. string.format(", kdim=%d, vdim=%d", self.kdim, self.vdim) end
  if self.batch_first then s = s .. ", batch_first=true" end
  return s
end

return MultiheadAttention
