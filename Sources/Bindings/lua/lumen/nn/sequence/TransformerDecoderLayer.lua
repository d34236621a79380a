-- nn.TransformerDecoderLayer(d_model, nhead, {dim_feedforward = 2048, dropout = 0.1,
-- activation = "relu" | "gelu" | function, layer_norm_eps = 1e-5, batch_first = false,
-- norm_first = false, bias = true, dtype}): self-attention, cross-attention to the encoder's
-- memory, then a feed-forward block, each with a residual connection (post- or pre-norm).
-- Children as PyTorch: self_attn, multihead_attn, linear1, dropout, linear2, norm1, norm2,
-- norm3, dropout1, dropout2, dropout3.
--
--   y = layer(tgt, memory, {tgt_mask, memory_mask, tgt_key_padding_mask,
--     memory_key_padding_mask, tgt_is_causal, memory_is_causal})
--   y_new = layer:forward_cached(x_new, memory, cache)   -- causal decoding step
local nn = require "lumen.nn"

local TransformerDecoderLayer = nn.Module:extend("TransformerDecoderLayer")

function TransformerDecoderLayer:init(d_model, nhead, opts)
  local o = nn.TransformerEncoderLayer.read_options("TransformerDecoderLayer", d_model, nhead, opts)
  local attn = {dropout = o.dropout, bias = o.bias, batch_first = o.batch_first, dtype = o.dtype}
  self.self_attn = nn.MultiheadAttention(o.d_model, o.nhead, attn)
  self.multihead_attn = nn.MultiheadAttention(o.d_model, o.nhead, attn)
  self.linear1 = nn.Linear(o.d_model, o.dim_feedforward, {bias = o.bias, dtype = o.dtype})
  self.dropout = nn.Dropout(o.dropout)
  self.linear2 = nn.Linear(o.dim_feedforward, o.d_model, {bias = o.bias, dtype = o.dtype})
  self.norm_first = o.norm_first
  for i = 1, 3 do
    self["norm" .. i] = nn.LayerNorm(o.d_model, {eps = o.layer_norm_eps, bias = o.bias, dtype = o.dtype})
  end
  for i = 1, 3 do self["dropout" .. i] = nn.Dropout(o.dropout) end
  self.activation = o.activation
  self.activation_name = o.activation_name
  self.batch_first = o.batch_first
end

local OPTIONS = {tgt_mask = true, memory_mask = true, tgt_key_padding_mask = true, memory_key_padding_mask = true,
  tgt_is_causal = true, memory_is_causal = true}

function TransformerDecoderLayer:_sa_block(x, o)
  return self.dropout1(self.self_attn(x, x, x, {attn_mask = o.tgt_mask, key_padding_mask = o.tgt_key_padding_mask,
    is_causal = o.tgt_is_causal, need_weights = false}))
end

function TransformerDecoderLayer:_mha_block(x, memory, o)
  return self.dropout2(self.multihead_attn(x, memory, memory, {attn_mask = o.memory_mask,
    key_padding_mask = o.memory_key_padding_mask, is_causal = o.memory_is_causal, need_weights = false}))
end

function TransformerDecoderLayer:_ff_block(x)
  return self.dropout3(self.linear2(self.dropout(self.activation(self.linear1(x)))))
end

function TransformerDecoderLayer:forward(tgt, memory, opts)
  opts = opts or {}
  for k in pairs(opts) do
    if not OPTIONS[k] then error(string.format("[TransformerDecoderLayer] unknown option \"%s\"", tostring(k)), 2) end
  end
  if not torch.is_tensor(memory) then error("[TransformerDecoderLayer] memory must be a tensor; got " .. type(memory), 2) end
  local x = tgt
  if self.norm_first then
    x = x + self:_sa_block(self.norm1(x), opts)
    x = x + self:_mha_block(self.norm2(x), memory, opts)
    x = x + self:_ff_block(self.norm3(x))
  else
    x = self.norm1(x + self:_sa_block(x, opts))
    x = self.norm2(x + self:_mha_block(x, memory, opts))
    x = self.norm3(x + self:_ff_block(x))
  end
  return x
end

--- The layer on new target positions x_new: causal self-attention over every target position so
--- far and cross-attention to `memory`, with both keys/values kept in `cache` (empty at the
--- start). Option: memory_key_padding_mask.
function TransformerDecoderLayer:forward_cached(x, memory, cache, opts)
  opts = opts or {}
  cache.self_attn = cache.self_attn or {}
  cache.cross_attn = cache.cross_attn or {}
  local function sa(h) return self.dropout1(self.self_attn:forward_cached(h, cache.self_attn)) end
  local function ca(h)
    return self.dropout2(self.multihead_attn:forward_cached(h, cache.cross_attn,
      {memory = memory, key_padding_mask = opts.memory_key_padding_mask}))
  end
  if self.norm_first then
    x = x + sa(self.norm1(x))
    x = x + ca(self.norm2(x))
    return x + self:_ff_block(self.norm3(x))
  end
  x = self.norm1(x + sa(x))
  x = self.norm2(x + ca(x))
  return self.norm3(x + self:_ff_block(x))
end

TransformerDecoderLayer.extra_repr = nn.TransformerEncoderLayer.extra_repr

return TransformerDecoderLayer
