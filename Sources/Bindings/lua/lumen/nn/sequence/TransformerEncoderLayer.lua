-- nn.TransformerEncoderLayer(d_model, nhead, {dim_feedforward = 2048, dropout = 0.1,
-- activation = "relu" | "gelu" | function, layer_norm_eps = 1e-5, batch_first = false,
-- norm_first = false, bias = true, dtype}): self-attention then a feed-forward block, each with
-- a residual connection; post-norm (PyTorch's default) or pre-norm with norm_first. Children
-- as PyTorch: self_attn, linear1, dropout, linear2, norm1, norm2, dropout1, dropout2.
--
--   y = layer(src, {src_mask = m, src_key_padding_mask = kpm, is_causal = false})
--   y_new = layer:forward_cached(x_new, cache)   -- causal decoding, keys/values kept in cache
local nn = require "lumen.nn"
local F = nn.functional

local TransformerEncoderLayer = nn.Module:extend("TransformerEncoderLayer")

local KNOWN = {dim_feedforward = true, dropout = true, activation = true, layer_norm_eps = true, batch_first = true,
  norm_first = true, bias = true, dtype = true}

--- The activation as a function of a tensor ("relu", "gelu", a function or a module).
local function activation_fn(name, activation)
  if activation == nil or activation == "relu" then return F.relu, "relu" end
  if activation == "gelu" then return F.gelu, "gelu" end
  if type(activation) == "function" or nn.is_module(activation) then return activation, nil end
  error(string.format("[%s] activation must be \"relu\", \"gelu\", a function or a module; got %s", name, tostring(activation)), 4)
end
TransformerEncoderLayer.activation_fn = activation_fn

--- Validated options shared by the encoder and decoder layers.
function TransformerEncoderLayer.read_options(name, d_model, nhead, opts)
  local d, h = math.tointeger(d_model), math.tointeger(nhead)
  if d == nil or h == nil or d < 1 or h < 1 then
    error(string.format("[%s] expected positive integers (d_model, nhead); got %s, %s", name, tostring(d_model), tostring(nhead)), 4)
  end
  opts = opts or {}
  for k in pairs(opts) do
    if not KNOWN[k] then error(string.format("[%s] unknown option \"%s\"", name, tostring(k)), 4) end
  end
  local o = {d_model = d, nhead = h, dim_feedforward = opts.dim_feedforward or 2048, dropout = opts.dropout or 0.1,
    layer_norm_eps = opts.layer_norm_eps or 1e-5, batch_first = opts.batch_first == true,
    norm_first = opts.norm_first == true, bias = opts.bias ~= false, dtype = opts.dtype or "float32"}
  o.activation, o.activation_name = activation_fn(name, opts.activation)
  return o
end

function TransformerEncoderLayer:init(d_model, nhead, opts)
  local o = TransformerEncoderLayer.read_options("TransformerEncoderLayer", d_model, nhead, opts)
  self.self_attn = nn.MultiheadAttention(o.d_model, o.nhead, {dropout = o.dropout, bias = o.bias,
    batch_first = o.batch_first, dtype = o.dtype})
  self.linear1 = nn.Linear(o.d_model, o.dim_feedforward, {bias = o.bias, dtype = o.dtype})
  self.dropout = nn.Dropout(o.dropout)
  self.linear2 = nn.Linear(o.dim_feedforward, o.d_model, {bias = o.bias, dtype = o.dtype})
  self.norm_first = o.norm_first
  self.norm1 = nn.LayerNorm(o.d_model, {eps = o.layer_norm_eps, bias = o.bias, dtype = o.dtype})
  self.norm2 = nn.LayerNorm(o.d_model, {eps = o.layer_norm_eps, bias = o.bias, dtype = o.dtype})
  self.dropout1 = nn.Dropout(o.dropout)
  self.dropout2 = nn.Dropout(o.dropout)
  self.activation = o.activation
  self.activation_name = o.activation_name
  self.batch_first = o.batch_first
end

local OPTIONS = {src_mask = true, src_key_padding_mask = true, is_causal = true}

function TransformerEncoderLayer:_sa_block(x, opts)
  local y = self.self_attn(x, x, x, {attn_mask = opts.src_mask, key_padding_mask = opts.src_key_padding_mask,
    need_weights = false, is_causal = opts.is_causal})
  return self.dropout1(y)
end

function TransformerEncoderLayer:_ff_block(x)
  return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))
end

function TransformerEncoderLayer:forward(src, opts)
  opts = opts or {}
  for k in pairs(opts) do
    if not OPTIONS[k] then error(string.format("[TransformerEncoderLayer] unknown option \"%s\"", tostring(k)), 2) end
  end
  local x = src
  if self.norm_first then
    x = x + self:_sa_block(self.norm1(x), opts)
    x = x + self:_ff_block(self.norm2(x))
  else
    x = self.norm1(x + self:_sa_block(x, opts))
    x = self.norm2(x + self:_ff_block(x))
  end
  return x
end

--- The layer on new positions x_new, attending causally to every position given so far
--- (kept in `cache`, a table that starts empty). Same result as forward over the whole
--- sequence with a causal mask, one step at a time.
function TransformerEncoderLayer:forward_cached(x, cache, opts)
  opts = opts or {}
  cache.self_attn = cache.self_attn or {}
  local function sa(h)
    return self.dropout1(self.self_attn:forward_cached(h, cache.self_attn, {key_padding_mask = opts.src_key_padding_mask}))
  end
  if self.norm_first then
    x = x + sa(self.norm1(x))
    return x + self:_ff_block(self.norm2(x))
  end
  x = self.norm1(x + sa(x))
  return self.norm2(x + self:_ff_block(x))
end

function TransformerEncoderLayer:extra_repr()
  local parts = {}
  if self.norm_first then parts[#parts + 1] = "norm_first=true" end
  if self.activation_name and self.activation_name ~= "relu" then parts[#parts + 1] = "activation=" .. self.activation_name end
  return table.concat(parts, ", ")
end

return TransformerEncoderLayer
