-- nn.Transformer({d_model = 512, nhead = 8, num_encoder_layers = 6, num_decoder_layers = 6,
-- dim_feedforward = 2048, dropout = 0.1, activation = "relu", layer_norm_eps = 1e-5,
-- batch_first = false, norm_first = false, bias = true, dtype}): the encoder-decoder of
-- "Attention Is All You Need" as PyTorch builds it (encoder and decoder stacks, each with a
-- final LayerNorm; every matrix re-initialized xavier-uniform).
--
--   local model = nn.Transformer({d_model = 64, nhead = 4, num_encoder_layers = 2, batch_first = true})
--   local tgt_mask = nn.Transformer.generate_square_subsequent_mask(tgt:size(2))
--   local y = model(src, tgt, {tgt_mask = tgt_mask, src_key_padding_mask = pad})
local nn = require "lumen.nn"

local Transformer = nn.Module:extend("Transformer")

local LAYER = {dim_feedforward = true, dropout = true, activation = true, layer_norm_eps = true, batch_first = true,
  norm_first = true, bias = true, dtype = true}

function Transformer:init(opts)
  opts = opts or {}
  if type(opts) ~= "table" then error("[Transformer] expected an options table; got " .. type(opts), 3) end
  local layer_opts = {}
  for k, v in pairs(opts) do
    if LAYER[k] then layer_opts[k] = v
    elseif k ~= "d_model" and k ~= "nhead" and k ~= "num_encoder_layers" and k ~= "num_decoder_layers" then
      error(string.format("[Transformer] unknown option \"%s\"", tostring(k)), 3)
    end
  end
  local d, h = opts.d_model or 512, opts.nhead or 8
  local norm_opts = {eps = opts.layer_norm_eps or 1e-5, bias = opts.bias ~= false, dtype = opts.dtype}
  self.encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(d, h, layer_opts), opts.num_encoder_layers or 6,
    {norm = nn.LayerNorm(d, norm_opts)})
  self.decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(d, h, layer_opts), opts.num_decoder_layers or 6,
    {norm = nn.LayerNorm(d, norm_opts)})
  self.d_model, self.nhead, self.batch_first = d, h, opts.batch_first == true
  for _, p in ipairs(self:parameters()) do
    if p:dim() > 1 then nn.init.xavier_uniform_(p) end
  end
end

local OPTIONS = {src_mask = true, tgt_mask = true, memory_mask = true, src_key_padding_mask = true,
  tgt_key_padding_mask = true, memory_key_padding_mask = true, src_is_causal = true, tgt_is_causal = true,
  memory_is_causal = true}

function Transformer:forward(src, tgt, opts)
  opts = opts or {}
  for k in pairs(opts) do
    if not OPTIONS[k] then error(string.format("[Transformer] unknown option \"%s\"", tostring(k)), 2) end
  end
  local memory = self.encoder(src, {mask = opts.src_mask, src_key_padding_mask = opts.src_key_padding_mask,
    is_causal = opts.src_is_causal})
  return self.decoder(tgt, memory, {tgt_mask = opts.tgt_mask, memory_mask = opts.memory_mask,
    tgt_key_padding_mask = opts.tgt_key_padding_mask, memory_key_padding_mask = opts.memory_key_padding_mask,
    tgt_is_causal = opts.tgt_is_causal, memory_is_causal = opts.memory_is_causal})
end

--- The (sz, sz) causal mask: 0 on and below the diagonal, -inf above. A class function:
--- nn.Transformer.generate_square_subsequent_mask(64).
function Transformer.generate_square_subsequent_mask(sz, opts)
  return nn.functional.square_subsequent_mask(sz, opts)
end

return Transformer
