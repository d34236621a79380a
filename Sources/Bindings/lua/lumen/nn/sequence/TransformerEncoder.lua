-- nn.TransformerEncoder(encoder_layer, num_layers, {norm = nil}): num_layers copies of
-- encoder_layer (identical initial weights, as PyTorch's deep copies) in `layers`
-- (a ModuleList: layers.1, layers.2, ...), then the optional final `norm` module.
--
--   y = encoder(src, {mask = m, src_key_padding_mask = kpm, is_causal = true})
--   y_new = encoder:forward_cached(x_new, cache)       -- causal decoding, one cache per stack
local nn = require "lumen.nn"
local clone = require "lumen.nn.sequence.clone"
local call_child = require "lumen.nn.containers.child_error"

local TransformerEncoder = nn.Module:extend("TransformerEncoder")

function TransformerEncoder:init(encoder_layer, num_layers, opts)
  if not nn.is_module(encoder_layer) then error("[TransformerEncoder] encoder_layer must be a module", 3) end
  local n = math.tointeger(num_layers)
  if n == nil or n < 1 then error("[TransformerEncoder] num_layers must be a positive integer; got " .. tostring(num_layers), 3) end
  opts = opts or {}
  if opts.norm ~= nil and not nn.is_module(opts.norm) then error("[TransformerEncoder] norm must be a module", 3) end
  local layers = {}
  for i = 1, n do layers[i] = clone(encoder_layer) end
  self.layers = nn.ModuleList(layers)
  self.num_layers = n
  if opts.norm ~= nil then self.norm = opts.norm end
end

local OPTIONS = {mask = true, src_key_padding_mask = true, is_causal = true}

function TransformerEncoder:forward(src, opts)
  opts = opts or {}
  for k in pairs(opts) do
    if not OPTIONS[k] then error(string.format("[TransformerEncoder] unknown option \"%s\"", tostring(k)), 2) end
  end
  local layer_opts = {src_mask = opts.mask, src_key_padding_mask = opts.src_key_padding_mask, is_causal = opts.is_causal}
  local x = src
  for i = 1, self.num_layers do
    x = call_child(self, "layers." .. i, self.layers[i], x, layer_opts)
  end
  if self.norm ~= nil then x = self.norm(x) end
  return x
end

--- Every layer's forward_cached in turn; `cache` (a table, empty at the start) holds one
--- cache per layer.
function TransformerEncoder:forward_cached(x, cache, opts)
  if type(cache) ~= "table" then error("[TransformerEncoder] forward_cached needs a cache table (empty at the start)", 2) end
  for i = 1, self.num_layers do
    cache[i] = cache[i] or {}
    x = self.layers[i]:forward_cached(x, cache[i], opts)
  end
  if self.norm ~= nil then x = self.norm(x) end
  return x
end

return TransformerEncoder
