-- nn.TransformerDecoder(decoder_layer, num_layers, {norm = nil}): num_layers copies of
-- decoder_layer in `layers` (identical initial weights), then the optional final `norm`.
--
--   y = decoder(tgt, memory, {tgt_mask, memory_mask, tgt_key_padding_mask,
--     memory_key_padding_mask, tgt_is_causal, memory_is_causal})
--   y_new = decoder:forward_cached(x_new, memory, cache)    -- causal decoding step
local nn = require "lumen.nn"
local clone = require "lumen.nn.sequence.clone"
local call_child = require "lumen.nn.containers.child_error"

local TransformerDecoder = nn.Module:extend("TransformerDecoder")

function TransformerDecoder:init(decoder_layer, num_layers, opts)
  if not nn.is_module(decoder_layer) then error("[TransformerDecoder] decoder_layer must be a module", 3) end
  local n = math.tointeger(num_layers)
  if n == nil or n < 1 then error("[TransformerDecoder] num_layers must be a positive integer; got " .. tostring(num_layers), 3) end
  opts = opts or {}
  if opts.norm ~= nil and not nn.is_module(opts.norm) then error("[TransformerDecoder] norm must be a module", 3) end
  local layers = {}
  for i = 1, n do layers[i] = clone(decoder_layer) end
  self.layers = nn.ModuleList(layers)
  self.num_layers = n
  if opts.norm ~= nil then self.norm = opts.norm end
end

function TransformerDecoder:forward(tgt, memory, opts)
  local x = tgt
  for i = 1, self.num_layers do
    x = call_child(self, "layers." .. i, self.layers[i], x, memory, opts)
  end
  if self.norm ~= nil then x = self.norm(x) end
  return x
end

function TransformerDecoder:forward_cached(x, memory, cache, opts)
  if type(cache) ~= "table" then error("[TransformerDecoder] forward_cached needs a cache table (empty at the start)", 2) end
  for i = 1, self.num_layers do
    cache[i] = cache[i] or {}
    x = self.layers[i]:forward_cached(x, memory, cache[i], opts)
  end
  if self.norm ~= nil then x = self.norm(x) end
  return x
end

return TransformerDecoder
