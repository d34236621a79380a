-- Attention and positional encodings of nn.functional (fused engine kernels; autograd gives
-- the backward through their recorded rules).
local options = require "lumen.nn.functional.options"
local F = {}

--- softmax(q k^T * scale + mask) v over q (..., L, E), k (..., S, E), v (..., S, Ev) → (..., L, Ev),
--- as torch.nn.functional.scaled_dot_product_attention. Options: attn_mask (broadcastable to
--- (..., L, S); boolean true = take part, or an additive float mask), dropout_p (0),
--- is_causal (key j only for query i >= j), scale (1/sqrt(E)). Fused: one kernel per (batch,
--- head), with its own backward. A query whose keys are all masked gets zeros (not NaN).
function F.scaled_dot_product_attention(q, k, v, opts)
  local o = options.read("scaled_dot_product_attention", opts,
    {attn_mask = options.NONE, dropout_p = 0.0, is_causal = false, scale = options.NONE})
  options.tensor("scaled_dot_product_attention", q, "query")
  options.tensor("scaled_dot_product_attention", k, "key")
  options.tensor("scaled_dot_product_attention", v, "value")
  return lumen_internal.seq_sdpa(q, k, v, o.attn_mask, {is_causal = o.is_causal, dropout_p = o.dropout_p, scale = o.scale})
end

--- The (sz, sz) float mask of causal attention: 0 on and below the diagonal, -inf above
--- (as nn.Transformer.generate_square_subsequent_mask).
function F.square_subsequent_mask(sz, opts)
  local n = math.tointeger(sz)
  if n == nil or n < 0 then error("[square_subsequent_mask] expected a non-negative size; got " .. tostring(sz), 2) end
  local dtype = type(opts) == "table" and opts.dtype or "float32"
  local i = torch.arange(n):view(n, 1)
  local j = torch.arange(n):view(1, n)
  return torch.zeros(n, n, {dtype = dtype}):masked_fill(j:gt(i), -math.huge)
end

--- Sinusoidal position encodings (length, d_model) of "Attention Is All You Need":
--- pe[p, 2i] = sin(p / 10000^(2i/d)), pe[p, 2i+1] = cos(...), positions p = offset, offset+1, ...
--- (offset default 0, the first position).
function F.sinusoidal_positional_encoding(length, d_model, opts)
  local o = options.read("sinusoidal_positional_encoding", opts, {offset = 0, dtype = "float32"})
  local n, d = math.tointeger(length), math.tointeger(d_model)
  if n == nil or d == nil or n < 0 or d < 1 then
    error(string.format("[sinusoidal_positional_encoding] expected sizes length >= 0 and d_model >= 1; got %s, %s",
      tostring(length), tostring(d_model)), 2)
  end
  local position = (torch.arange(n, {dtype = "float64"}) + o.offset):view(n, 1)
  local half = (d + 1) // 2
  local div = (torch.arange(half, {dtype = "float64"}) * (-2 * math.log(10000.0) / d)):exp():view(1, half)
  local angles = position * div                                        -- (n, half)
  local pe = torch.stack({angles:sin(), angles:cos()}, 3):reshape(n, 2 * half)
  if 2 * half ~= d then pe = pe:narrow(2, 1, d) end
  return pe:to(o.dtype)
end

return F
