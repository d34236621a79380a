-- PyTorch state dicts load into the sequence layers and give PyTorch's outputs (fixtures from
-- fixtures/make_seq_torch.py, float64).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local fixture = torch.load(here .. "fixtures/seq_torch.safetensors")

-- The entries under `prefix.` (state dict keys and data), prefix removed.
local function group(prefix)
  local out = {}
  for name, t in pairs(fixture) do
    local key = name:match("^" .. prefix .. "%.(.*)$")
    if key then out[key] = t end
  end
  return out
end

local function state(g, names)
  local sd = {}
  for _, n in ipairs(names) do sd[n] = g[n] end
  return sd
end

test("LSTM (2 layers, bidirectional, batch first; packed) matches PyTorch", function()
  local g = group("lstm")
  local m = nn.LSTM(3, 4, {num_layers = 2, bidirectional = true, batch_first = true}):double()
  m:load_state_dict(state(g, m:state_dict_keys()))
  local out, s = m(g.x)
  assert_close(out, g.out, 1e-10)
  assert_close(s[1], g.h_n, 1e-10)
  assert_close(s[2], g.c_n, 1e-10)
  local pout, ps = m(nn.utils.rnn.pack_padded_sequence(g.x, {5, 3}, {batch_first = true}))
  local padded = nn.utils.rnn.pad_packed_sequence(pout, {batch_first = true})
  assert_close(padded, g.packed_out, 1e-10)
  assert_close(ps[1], g.packed_h_n, 1e-10)
  assert_close(ps[2], g.packed_c_n, 1e-10)
end)

test("GRU with an initial state matches PyTorch", function()
  local g = group("gru")
  local m = nn.GRU(3, 4):double()
  m:load_state_dict(state(g, m:state_dict_keys()))
  local out, h = m(g.x, g.h0)
  assert_close(out, g.out, 1e-10)
  assert_close(h, g.h_n, 1e-10)
end)

test("MultiheadAttention (cross, key padding, averaged weights) matches PyTorch", function()
  local g = group("mha")
  local m = nn.MultiheadAttention(8, 2, {batch_first = true}):double()
  m:load_state_dict(state(g, m:state_dict_keys()))
  local out, w = m(g.q, g.kv, g.kv, {key_padding_mask = g.kpm:gt(0)})
  assert_close(out, g.out, 1e-10)
  assert_close(w, g.weights, 1e-10)
end)

test("Transformer encoder (post-norm gelu, pre-norm causal) and decoder layers match PyTorch", function()
  local e = group("enc")
  local enc = nn.TransformerEncoderLayer(8, 2, {dim_feedforward = 16, dropout = 0, activation = "gelu", batch_first = true}):double()
  enc:load_state_dict(state(e, enc:state_dict_keys()))
  assert_close(enc(e.x, {src_mask = nn.Transformer.generate_square_subsequent_mask(5):double()}), e.out, 1e-10)
  local p = group("pre")
  local pre = nn.TransformerEncoderLayer(8, 2, {dim_feedforward = 16, dropout = 0, batch_first = true, norm_first = true}):double()
  pre:load_state_dict(state(p, pre:state_dict_keys()))
  assert_close(pre(p.x, {is_causal = true}), p.out, 1e-10)
  local d = group("dec")
  local dec = nn.TransformerDecoderLayer(8, 2, {dim_feedforward = 16, dropout = 0}):double()
  dec:load_state_dict(state(d, dec:state_dict_keys()))
  assert_close(dec(d.tgt, d.memory, {tgt_is_causal = true}), d.out, 1e-10)
end)
