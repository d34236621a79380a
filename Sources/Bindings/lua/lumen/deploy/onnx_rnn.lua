-- nn.LSTM / nn.GRU / nn.RNN as ONNX LSTM / GRU / RNN nodes, one per layer.
-- PyTorch stacks gate blocks as LSTM (i, f, g, o) and GRU (r, z, n); ONNX expects LSTM (i, o, f, c)
-- and GRU (z, r, h), so the H-row blocks of weights and biases are reordered. GRU uses
-- linear_before_reset = 1 (PyTorch applies r after W_hn h + b_hn).
-- ONNX tensors per layer: W (D, G*H, I), R (D, G*H, H), B (D, 2*G*H) = [Wb, Rb]; outputs
-- Y (T, D, B, H), Y_h (D, B, H), Y_c (D, B, H).
local rnn = {}

local ORDER = {LSTM = {1, 4, 2, 3}, GRU = {2, 1, 3}, RNN_TANH = {1}, RNN_RELU = {1}}
local OP = {LSTM = "LSTM", GRU = "GRU", RNN_TANH = "RNN", RNN_RELU = "RNN"}

-- Rows of `w` (G*H, ...) with its H-row gate blocks in `order`.
local function reorder(w, order, h)
  local blocks = {}
  for i, k in ipairs(order) do blocks[i] = w:narrow(1, (k - 1) * h + 1, h) end
  return torch.cat(blocks, 1)
end

-- W, R, B constants for `layer` (0-based) of module m.
local function layer_weights(g, m, layer, dirs)
  local h, order = m.hidden_size, ORDER[m.mode]
  local ws, rs, bs = {}, {}, {}
  for d = 1, dirs do
    local suffix = "_l" .. layer .. (d == 2 and "_reverse" or "")
    local wih, whh = m["weight_ih" .. suffix], m["weight_hh" .. suffix]
    ws[d] = reorder(wih, order, h):unsqueeze(1)
    rs[d] = reorder(whh, order, h):unsqueeze(1)
    local bih = m["bias_ih" .. suffix] or torch.zeros(wih:size(1))
    local bhh = m["bias_hh" .. suffix] or torch.zeros(wih:size(1))
    bs[d] = torch.cat({reorder(bih, order, h), reorder(bhh, order, h)}, 1):unsqueeze(1)
  end
  return g:const(torch.cat(ws, 1)), g:const(torch.cat(rs, 1)), g:const(torch.cat(bs, 1))
end

-- The initial state of `layer` from a (L*D, B, H) tensor, or "" when none was given.
local function initial(g, state, layer, dirs)
  if state == nil then return "" end
  local name = g:operand(state)
  return g:node("Slice", {name, g:const_of({layer * dirs}, "int64"), g:const_of({(layer + 1) * dirs}, "int64"),
    g:const_of({0}, "int64")})
end

function rnn.convert(g, m, results, inputs)
  local x, hx = inputs[1], inputs[2]
  if not torch.is_tensor(x) then g:fail("%s: packed sequences cannot be exported", m.__name) end
  if x:dim() ~= 3 then g:fail("%s: only batched (3-d) input can be exported; got %d dims", m.__name, x:dim()) end
  if inputs[3] ~= nil then g:fail("%s: the lengths option cannot be exported", m.__name) end
  local dirs = m.bidirectional and 2 or 1
  local h0, c0 = hx, nil
  if m.mode == "LSTM" and hx ~= nil then h0, c0 = hx[1], hx[2] end
  local seq = g:operand(x)
  if m.batch_first then seq = g:node("Transpose", {seq}, {{"perm", "ints", {1, 0, 2}}}) end
  local hs, cs = {}, {}
  for layer = 0, m.num_layers - 1 do
    local W, R, B = layer_weights(g, m, layer, dirs)
    local node_inputs = {seq, W, R, B, "", initial(g, h0, layer, dirs)}
    if m.mode == "LSTM" then node_inputs[7] = initial(g, c0, layer, dirs) end
    while node_inputs[#node_inputs] == "" do node_inputs[#node_inputs] = nil end
    local attrs = {{"hidden_size", "int", m.hidden_size}, {"direction", "string", dirs == 2 and "bidirectional" or "forward"}}
    if m.mode == "GRU" then attrs[#attrs + 1] = {"linear_before_reset", "int", 1} end
    if m.mode == "RNN_RELU" then attrs[#attrs + 1] = {"activations", "strings", {"Relu"}} end
    local y, y_h, y_c = g:node(OP[m.mode], node_inputs, attrs, m.mode == "LSTM" and 3 or 2)
    hs[#hs + 1], cs[#cs + 1] = y_h, y_c
    -- (T, D, B, H) -> (T, B, D*H), the next layer's input
    local tbdh = g:node("Transpose", {y}, {{"perm", "ints", {0, 2, 1, 3}}})
    seq = g:node("Reshape", {tbdh, g:const_of({0, 0, -1}, "int64")})
  end
  if m.batch_first then seq = g:node("Transpose", {seq}, {{"perm", "ints", {1, 0, 2}}}) end
  local function stacked(list) return #list == 1 and list[1] or g:node("Concat", list, {{"axis", "int", 0}}) end
  g:bind(results[1], seq)
  if m.mode == "LSTM" then
    g:bind(results[2][1], stacked(hs))
    g:bind(results[2][2], stacked(cs))
  else
    g:bind(results[2], stacked(hs))
  end
end

return rnn
