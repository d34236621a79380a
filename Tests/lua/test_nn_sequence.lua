-- Recurrent layers, attention and transformers: values against step-by-step compositions of
-- primitive ops, gradients by finite differences, PyTorch parameter names, cached decoding.
local F = nn.functional

local function f64(...) return torch.randn({...}, {dtype = "float64"}) end
local function size(t) return table.concat(t:size(), ",") end

-- One LSTM/GRU/RNN layer-direction step by step (x (T, B, I)); lengths freeze finished sequences.
local function reference_layer(mode, x, h, c, w, lengths, reverse)
  local steps, outs = x:size(1), {}
  for s = 1, steps do
    local t = reverse and (steps + 1 - s) or s
    local gi = x[t]:matmul(w.weight_ih:t())
    local gh = h:matmul(w.weight_hh:t())
    if w.bias_ih then gi = gi + w.bias_ih; gh = gh + w.bias_hh end
    local hn, cn
    if mode == "LSTM" then
      local a = (gi + gh):chunk(4, 2)
      local i, f, g, o = a[1]:sigmoid(), a[2]:sigmoid(), a[3]:tanh(), a[4]:sigmoid()
      cn = f * c + i * g
      hn = o * cn:tanh()
    elseif mode == "GRU" then
      local a, u = gi:chunk(3, 2), gh:chunk(3, 2)
      local r, z = (a[1] + u[1]):sigmoid(), (a[2] + u[2]):sigmoid()
      local n = (a[3] + r * u[3]):tanh()
      hn = (1 - z) * n + z * h
    else
      hn = (gi + gh):tanh()
    end
    if lengths then
      local active = torch.tensor(lengths):gt(t - 1):view(-1, 1)
      outs[t] = torch.where(active, hn, 0)
      h = torch.where(active, hn, h)
      if cn then c = torch.where(active, cn, c) end
    else
      outs[t] = hn
      h, c = hn, cn
    end
  end
  return torch.stack(outs, 1), h, c
end

-- The whole stack by reference_layer, from a module's parameters (time-major x).
local function reference_stack(m, x, lengths)
  local dirs = m.bidirectional and 2 or 1
  local hs, cs = {}, {}
  for layer = 0, m.num_layers - 1 do
    local outs = {}
    for d = 1, dirs do
      local sfx = "_l" .. layer .. (d == 2 and "_reverse" or "")
      local w = {weight_ih = m["weight_ih" .. sfx], weight_hh = m["weight_hh" .. sfx], bias_ih = m["bias_ih" .. sfx],
        bias_hh = m["bias_hh" .. sfx]}
      local zeros = torch.zeros(x:size(2), m.hidden_size, {dtype = x.dtype})
      local o, h, c = reference_layer(m.mode, x, zeros, zeros, w, lengths, d == 2)
      outs[d], hs[#hs + 1], cs[#cs + 1] = o, h, c
    end
    x = dirs == 2 and torch.cat(outs, 3) or outs[1]
  end
  return x, torch.stack(hs, 1), m.mode == "LSTM" and torch.stack(cs, 1) or nil
end

test("LSTM, GRU and RNN (2 layers, bidirectional) equal step-by-step compositions", function()
  for _, make in ipairs({nn.LSTM, nn.GRU, nn.RNN}) do
    local m = make(3, 4, {num_layers = 2, bidirectional = true}):double()
    local x = f64(5, 2, 3)
    local out, state = m(x)
    local h = m.mode == "LSTM" and state[1] or state
    local ro, rh, rc = reference_stack(m, x)
    assert_eq(size(out), "5,2,8")
    assert_close(out, ro, 1e-10)
    assert_close(h, rh, 1e-10)
    if rc then assert_close(state[2], rc, 1e-10) end
  end
end)

test("lengths: each sequence stops at its own length (both directions), as packed sequences", function()
  local m = nn.LSTM(3, 4, {bidirectional = true, batch_first = true}):double()
  local x = f64(3, 6, 3)
  local lengths = {6, 2, 4}
  local out, state = m(x, nil, {lengths = lengths})
  local ro, rh, rc = reference_stack(m, x:transpose(1, 2), lengths)
  assert_close(out, ro:transpose(1, 2), 1e-10)
  assert_close(state[1], rh, 1e-10)
  assert_close(state[2], rc, 1e-10)
  -- sequence 2 alone, truncated, gives the same final states
  local _, alone = m(x[{{2}, {1, 2}}])
  assert_close(state[1][{{}, 2}], alone[1][{{}, 1}], 1e-10)
  assert_close(out[2][{{3, 6}}], torch.zeros(4, 8), 0)
  -- the same through nn.utils.rnn
  local packed = nn.utils.rnn.pack_padded_sequence(x, lengths, {batch_first = true, enforce_sorted = false})
  local pout, pstate = m(packed)
  assert_true(nn.utils.rnn.is_packed(pout))
  local padded, lens = nn.utils.rnn.pad_packed_sequence(pout, {batch_first = true, padding_value = -1, total_length = 7})
  assert_eq(size(padded), "3,7,8")
  assert_close(padded[{{}, {1, 6}}][1], out[1], 1e-12)
  assert_close(padded[2][3], torch.full({8}, -1), 0)
  assert_close(lens, lengths)
  assert_close(pstate[1], state[1], 1e-12)
  local seqs = nn.utils.rnn.pad_sequence({torch.ones(3, 2), torch.ones(1, 2)}, {batch_first = true})
  assert_eq(size(seqs), "2,3,2")
  assert_close(seqs:sum(), 8)
  assert_error(function() m(x, nil, {lengths = {7, 1, 1}}) end, "lengths must lie in 0...6")
end)

test("recurrent gradients match finite differences (float64, lengths, bidirectional)", function()
  for _, make in ipairs({nn.LSTM, nn.GRU, nn.RNN}) do
    local m = make(2, 3, {bidirectional = true, num_layers = 2, batch_first = true}):double()
    local x = f64(2, 4, 2)
    x.requires_grad = true
    local tensors = m:parameters()
    tensors[#tensors + 1] = x
    nn.utils.gradcheck(function()
      local out, state = m(x, nil, {lengths = {4, 2}})
      local h = m.mode == "LSTM" and state[2] or state
      return torch.cat({out:reshape(-1), h:reshape(-1)}, 1)
    end, tensors, {max_elements = 12})
  end
end)

test("initial states, unbatched input and dropout between layers", function()
  local m = nn.GRU(3, 4, {num_layers = 2}):double()
  local x, h0 = f64(5, 3), f64(2, 4)
  local out, h = m(x, h0)
  assert_eq(size(out), "5,4")
  assert_eq(size(h), "2,4")
  local bo, bh = m(x:unsqueeze(2), h0:unsqueeze(2))
  assert_close(out, bo:squeeze(2), 1e-12)
  assert_close(h, bh:squeeze(2), 1e-12)
  local d = nn.LSTM(3, 4, {num_layers = 2, dropout = 0.5})
  local y = torch.randn(6, 2, 3)
  local a = d(y)
  local b = d(y)
  assert_true((a - b):abs():max():item() > 0, "dropout differs between calls in training")
  d:eval()
  assert_close(d(y), d(y), 0)
  assert_error(function() nn.LSTM(3, 4)(y, torch.zeros(1, 2, 4)) end, "hx must be a table {h0, c0}")
  assert_error(function() nn.GRU(3, 4)(torch.randn(6, 2, 5)) end, "[gru]")
  assert_error(function() nn.LSTM(3, 0) end, "[LSTM] expected positive integer sizes")
end)

test("parameter names and shapes match PyTorch", function()
  local m = nn.LSTM(3, 5, {num_layers = 2, bidirectional = true})
  local keys = m:state_dict_keys()
  assert_eq(#keys, 16)
  assert_eq(keys[1], "weight_ih_l0")
  assert_eq(keys[5], "weight_ih_l0_reverse")
  assert_eq(keys[16], "bias_hh_l1_reverse")
  assert_eq(size(m.weight_ih_l1), "20,10")
  assert_eq(size(nn.GRU(3, 5).weight_hh_l0), "15,5")
  assert_eq(tostring(m), "LSTM(3, 5, num_layers=2, bidirectional=true)")
  local bound = 1 / math.sqrt(5)
  assert_true(m.weight_hh_l0:abs():max():item() <= bound)
  local mha = nn.MultiheadAttention(8, 2)
  assert_eq(table.concat(mha:state_dict_keys(), " "), "in_proj_weight in_proj_bias out_proj.weight out_proj.bias")
  local layer = nn.TransformerEncoderLayer(8, 2, {dim_feedforward = 16})
  assert_eq(table.concat(layer:state_dict_keys(), " "), "self_attn.in_proj_weight self_attn.in_proj_bias "
    .. "self_attn.out_proj.weight self_attn.out_proj.bias linear1.weight linear1.bias linear2.weight linear2.bias "
    .. "norm1.weight norm1.bias norm2.weight norm2.bias")
  local enc = nn.TransformerEncoder(layer, 2)
  assert_eq(enc:state_dict_keys()[1], "layers.1.self_attn.in_proj_weight")
  assert_close(enc.layers[1].linear1.weight, enc.layers[2].linear1.weight, 0)   -- deep copies
  assert_true(enc.layers[1].linear1.weight ~= enc.layers[2].linear1.weight)
end)

test("cells equal one step of the sequence layers", function()
  for _, pair in ipairs({{nn.LSTMCell, nn.LSTM}, {nn.GRUCell, nn.GRU}, {nn.RNNCell, nn.RNN}}) do
    local cell, seq = pair[1](3, 4):double(), pair[2](3, 4):double()
    seq:load_state_dict({weight_ih_l0 = cell.weight_ih, weight_hh_l0 = cell.weight_hh, bias_ih_l0 = cell.bias_ih,
      bias_hh_l0 = cell.bias_hh})
    local x, h = f64(2, 3), f64(2, 4)
    if cell.mode == "LSTM" then
      local c = f64(2, 4)
      local h1, c1 = cell(x, {h, c})
      local _, state = seq(x:unsqueeze(1), {h:unsqueeze(1), c:unsqueeze(1)})
      assert_close(h1, state[1][1], 1e-12)
      assert_close(c1, state[2][1], 1e-12)
      local hu, cu = cell(x[1])
      assert_eq(size(hu), "4")
      assert_eq(size(cu), "4")
    else
      local h1 = cell(x, h)
      local _, hn = seq(x:unsqueeze(1), h:unsqueeze(1))
      assert_close(h1, hn[1], 1e-12)
    end
  end
  local cell = nn.GRUCell(2, 3):double()
  local x = f64(4, 2)
  nn.utils.gradcheck(function() return cell(x) end, cell:parameters())
end)

-- Scaled dot-product attention composed from primitive ops.
local function reference_attention(q, k, v, additive)
  local s = q:matmul(k:transpose(-2, -1)) / math.sqrt(q:size(-1))
  if additive then s = s + additive end
  return s:softmax(-1):matmul(v)
end

test("scaled_dot_product_attention equals the composition, with masks", function()
  local q, k, v = f64(2, 3, 4, 5), f64(2, 3, 6, 5), f64(2, 3, 6, 2)
  assert_close(F.scaled_dot_product_attention(q, k, v), reference_attention(q, k, v), 1e-10)
  local causal = F.square_subsequent_mask(6):double():narrow(1, 1, 4)
  assert_close(F.scaled_dot_product_attention(q, k, v, {is_causal = true}), reference_attention(q, k, v, causal), 1e-10)
  local keep = torch.rand(4, 6):gt(0.3)
  keep[{{}, 1}] = 1
  local additive = torch.where(keep, 0.0, -math.huge):double()
  assert_close(F.scaled_dot_product_attention(q, k, v, {attn_mask = keep}), reference_attention(q, k, v, additive), 1e-10)
  q.requires_grad, k.requires_grad, v.requires_grad = true, true, true
  nn.utils.gradcheck(function() return F.scaled_dot_product_attention(q, k, v, {attn_mask = keep}) end, {q, k, v},
    {max_elements = 20})
  assert_error(function() F.scaled_dot_product_attention(q, k, v, {mask = keep}) end, "unknown option \"mask\"")
end)

-- MultiheadAttention by hand: projections, per-head attention, output projection.
local function reference_mha(m, q_in, k_in, v_in, additive)
  local e, h = m.embed_dim, m.num_heads
  local w, b = m.in_proj_weight, m.in_proj_bias
  local q = q_in:matmul(w[{{1, e}}]:t()) + b[{{1, e}}]
  local k = k_in:matmul(w[{{e + 1, 2 * e}}]:t()) + b[{{e + 1, 2 * e}}]
  local v = v_in:matmul(w[{{2 * e + 1, 3 * e}}]:t()) + b[{{2 * e + 1, 3 * e}}]
  local function heads(t) return t:reshape(t:size(1), t:size(2), h, e // h):permute(1, 3, 2, 4) end
  local s = heads(q):matmul(heads(k):transpose(3, 4)) / math.sqrt(e // h)
  if additive then s = s + additive end
  local p = s:softmax(-1)
  local o = p:matmul(heads(v)):permute(1, 3, 2, 4):reshape(q:size(1), q:size(2), e)
  return m.out_proj(o), p
end

test("MultiheadAttention equals the composition (self, cross, masks, weights, layouts)", function()
  local m = nn.MultiheadAttention(6, 2, {batch_first = true}):double()
  local x, mem = f64(2, 4, 6), f64(2, 5, 6)
  local y, w = m(x, x, x)
  local ry, rp = reference_mha(m, x, x, x)
  assert_close(y, ry, 1e-10)
  assert_eq(size(w), "2,4,4")
  assert_close(w, rp:mean(2), 1e-10)
  local _, per_head = m(x, x, x, {average_attn_weights = false})
  assert_close(per_head, rp, 1e-10)
  -- cross-attention with key padding (true = ignore) and a boolean attn_mask (true = blocked)
  local kpm = torch.tensor({{false, false, false, true, true}, {false, false, false, false, false}})
  local blocked = torch.zeros(4, 5, {dtype = "bool"})
  blocked[{2, 1}] = 1
  local additive = torch.where(blocked, -math.huge, 0.0):double():view(1, 1, 4, 5)
    + torch.where(kpm, -math.huge, 0.0):double():view(2, 1, 1, 5)
  local yc, wc = m(x, mem, mem, {key_padding_mask = kpm, attn_mask = blocked})
  local rc, rpc = reference_mha(m, x, mem, mem, additive)
  assert_close(yc, rc, 1e-10)
  assert_close(wc, rpc:mean(2), 1e-10)
  assert_close(wc[1][{{}, {4, 5}}], torch.zeros(4, 2), 0)
  -- sequence-first layout and unbatched input give the same numbers
  local mt = nn.MultiheadAttention(6, 2):double()
  mt:load_state_dict(m:state_dict())
  assert_close(mt(x:transpose(1, 2)):transpose(1, 2), y, 1e-12)
  local yu = m(x[1], x[1], x[1], {need_weights = false})
  assert_close(yu, y[1], 1e-12)
  local causal = m(x, x, x, {is_causal = true})
  assert_close(causal, reference_mha(m, x, x, x, F.square_subsequent_mask(4):double()), 1e-10)
  local params = m:parameters()
  nn.utils.gradcheck(function() return m(x, mem, mem, {key_padding_mask = kpm}) end, params, {max_elements = 10})
  assert_error(function() nn.MultiheadAttention(6, 4) end, "divisible by num_heads")
  assert_error(function() m(x, x, x, {key_padding_mask = torch.zeros(2, 3, {dtype = "bool"})}) end, "key_padding_mask")
end)

-- The encoder layer written out (float64, no dropout).
local function reference_encoder_layer(l, x, additive)
  local function sa(h)
    return (reference_mha(l.self_attn, h, h, h, additive))
  end
  local function ff(h) return l.linear2(l.activation(l.linear1(h))) end
  if l.norm_first then
    x = x + sa(l.norm1(x))
    return x + ff(l.norm2(x))
  end
  x = l.norm1(x + sa(x))
  return l.norm2(x + ff(x))
end

test("TransformerEncoderLayer (post- and pre-norm, relu and gelu) equals the composition", function()
  for _, norm_first in ipairs({false, true}) do
    for _, act in ipairs({"relu", "gelu"}) do
      local l = nn.TransformerEncoderLayer(6, 3, {dim_feedforward = 10, dropout = 0, batch_first = true,
        norm_first = norm_first, activation = act}):double()
      local x = f64(2, 5, 6)
      local mask = F.square_subsequent_mask(5):double()
      assert_close(l(x, {src_mask = mask}), reference_encoder_layer(l, x, mask), 1e-9)
      assert_close(l(x, {is_causal = true}), reference_encoder_layer(l, x, mask), 1e-9)
    end
  end
  local l = nn.TransformerEncoderLayer(4, 2, {dim_feedforward = 6, dropout = 0, batch_first = true}):double()
  local x = f64(2, 3, 4)
  nn.utils.gradcheck(function() return l(x, {is_causal = true}) end, l:parameters(), {max_elements = 6})
end)

test("cached decoding equals the full causal forward (encoder stack, decoder stack)", function()
  torch.no_grad(function()
    local layer = nn.TransformerEncoderLayer(8, 2, {dim_feedforward = 16, dropout = 0, batch_first = true, norm_first = true})
    local enc = nn.TransformerEncoder(layer, 2):double()
    local x = f64(2, 6, 8)
    local full = enc(x, {is_causal = true})
    local cache, steps = {}, {}
    for t = 1, 6 do steps[t] = enc:forward_cached(x[{{}, {t}}], cache) end
    assert_close(torch.cat(steps, 2), full, 1e-10)
    -- two positions at once, then the rest
    local cache2 = {}
    local a = enc:forward_cached(x[{{}, {1, 2}}], cache2)
    local b = enc:forward_cached(x[{{}, {3, 6}}], cache2)
    assert_close(torch.cat({a, b}, 2), full, 1e-10)

    local dlayer = nn.TransformerDecoderLayer(8, 2, {dim_feedforward = 16, dropout = 0})
    local dec = nn.TransformerDecoder(dlayer, 2):double()
    local tgt, memory = f64(5, 2, 8), f64(7, 2, 8)               -- sequence first
    local kpm = torch.tensor({{false, false, false, false, false, true, true}, {false, false, false, false, false, false, false}})
    local ref = dec(tgt, memory, {tgt_is_causal = true, memory_key_padding_mask = kpm})
    local dcache, outs = {}, {}
    for t = 1, 5 do outs[t] = dec:forward_cached(tgt[{{t}}], memory, dcache, {memory_key_padding_mask = kpm}) end
    assert_close(torch.cat(outs, 1), ref, 1e-10)
  end)
end)

test("Transformer, masks and positional encodings", function()
  local model = nn.Transformer({d_model = 8, nhead = 2, num_encoder_layers = 1, num_decoder_layers = 2,
    dim_feedforward = 12, dropout = 0, batch_first = true})
  local y = model(torch.randn(2, 5, 8), torch.randn(2, 3, 8), {tgt_mask = nn.Transformer.generate_square_subsequent_mask(3)})
  assert_eq(size(y), "2,3,8")
  assert_eq(model:state_dict_keys()[1], "encoder.layers.1.self_attn.in_proj_weight")
  assert_true(model.decoder.norm ~= nil and model.encoder.norm ~= nil)
  local m = nn.Transformer.generate_square_subsequent_mask(3)
  assert_close(m, {{0, -math.huge, -math.huge}, {0, 0, -math.huge}, {0, 0, 0}})
  local pe = F.sinusoidal_positional_encoding(4, 6)
  assert_close(pe[1], {0, 1, 0, 1, 0, 1}, 1e-6)
  assert_close(pe[3][1], math.sin(2), 1e-6)
  assert_close(pe[3][2], math.cos(2), 1e-6)
  assert_close(pe[3][3], math.sin(2 / 10000 ^ (2 / 6)), 1e-6)
  assert_close(pe[4][6], math.cos(3 / 10000 ^ (4 / 6)), 1e-6)
  local odd = F.sinusoidal_positional_encoding(2, 5)
  assert_eq(size(odd), "2,5")
  local enc = nn.PositionalEncoding(6, {dropout = 0, batch_first = true, max_len = 10})
  local x = torch.zeros(2, 4, 6)
  assert_close(enc(x)[2], pe, 1e-6)
  assert_close(enc(x[{{}, {1}}], {offset = 2})[1][1], pe[3], 1e-6)
  assert_eq(#enc:state_dict_keys(), 0)
  assert_error(function() enc(torch.zeros(1, 11, 6)) end, "exceed max_len 10")
  local learned = nn.LearnedPositionalEncoding(10, 6)
  assert_eq(size(learned(torch.zeros(4, 3, 6))), "4,3,6")
  assert_close(learned.weight:std():item(), 0.02, 0.5)
end)
