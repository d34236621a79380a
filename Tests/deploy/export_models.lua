-- Exports the models of Tests/deploy/test_onnx.py to ONNX and saves, per model, its example
-- inputs and Lumen's outputs (for two batch sizes) as safetensors for onnxruntime to compare.
--   lumen Tests/deploy/export_models.lua OUT_DIR
local out_dir = assert(arg[1], "usage: lumen export_models.lua OUT_DIR")
local F = nn.functional
local qdq_model = dofile((arg[0]:gsub("export_models%.lua$", "qdq_model.lua")))

local function save_case(name, model, inputs_a, inputs_b, opts)
  local info = deploy.export_onnx(model, inputs_a, out_dir .. "/" .. name .. ".onnx", opts)
  local record = {}
  for tag, inputs in pairs({a = inputs_a, b = inputs_b}) do
    model:eval()
    local results = table.pack(torch.no_grad(function() return model(table.unpack(inputs)) end))
    local flat = {}
    local function collect(v)
      if torch.is_tensor(v) then flat[#flat + 1] = v elseif type(v) == "table" then for _, e in ipairs(v) do collect(e) end end
    end
    for i = 1, results.n do collect(results[i]) end
    for i, t in ipairs(inputs) do record[tag .. ".in." .. info.inputs[i]] = t:contiguous() end
    for i, t in ipairs(flat) do record[tag .. ".out." .. info.outputs[i]] = t:contiguous() end
  end
  torch.save(out_dir .. "/" .. name .. ".safetensors", record)
  print(string.format("%-10s nodes=%d initializers=%d bytes=%d", name, info.nodes, info.initializers, info.bytes))
end

-- MLP with GELU, Tanh, Dropout (identity in eval).
torch.manual_seed(1)
local mlp = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 16), nn.GELU(), nn.Dropout(0.3),
  nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 4))
save_case("mlp", mlp, {torch.randn(5, 10)}, {torch.randn(3, 10)})

-- CNN with BatchNorm (running statistics from a few training batches, then eval).
torch.manual_seed(2)
local cnn = nn.Sequential(nn.Conv2d(3, 8, 3, {padding = 1}), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
  nn.Conv2d(8, 16, 3, {padding = "same", stride = 1}), nn.BatchNorm2d(16), nn.ReLU(),
  nn.Conv2d(16, 16, 3, {stride = 2, padding = 1, groups = 2}), nn.Sigmoid(),
  nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 5))
cnn:train()
torch.no_grad(function() for _ = 1, 3 do cnn(torch.randn(8, 3, 12, 12) * 2 + 0.5) end end)
save_case("cnn", cnn, {torch.randn(4, 3, 12, 12)}, {torch.randn(2, 3, 12, 12)})

-- The same CNN after structured pruning (half the channels of each conv layer removed).
deploy.prune.structured(cnn, {amount = 0.5})
save_case("cnn_pruned", cnn, {torch.randn(4, 3, 12, 12)}, {torch.randn(2, 3, 12, 12)})

-- LSTM classifier (2 layers, batch first): logits of the last step and the final states.
torch.manual_seed(3)
local LSTMNet = nn.Module:extend("ExportLSTMNet")
function LSTMNet:init() self.lstm = nn.LSTM(6, 12, {batch_first = true, num_layers = 2}); self.fc = nn.Linear(12, 3) end
function LSTMNet:forward(x)
  local out, state = self.lstm(x)
  return self.fc(out:select(2, -1)), state[1], state[2]
end
save_case("lstm", LSTMNet(), {torch.randn(4, 7, 6)}, {torch.randn(2, 7, 6)})

-- Bidirectional GRU (sequence first), output and final state.
torch.manual_seed(4)
local gru = nn.GRU(5, 8, {bidirectional = true})
save_case("gru", gru, {torch.randn(6, 3, 5)}, {torch.randn(6, 3, 5)}, {dynamic_batch = false})

-- Conv1d, then a 2-layer ReLU RNN (batch first) from a given initial state: two named inputs.
torch.manual_seed(9)
local SeqNet = nn.Module:extend("ExportSeqNet")
function SeqNet:init()
  self.conv = nn.Conv1d(3, 4, 3, {padding = 1})
  self.rnn = nn.RNN(4, 5, {nonlinearity = "relu", num_layers = 2, batch_first = true})
end
function SeqNet:forward(x, h0)
  return self.rnn(self.conv(x):transpose(2, 3), h0)
end
save_case("rnn", SeqNet(), {torch.randn(3, 3, 8), torch.randn(2, 3, 5)}, {torch.randn(3, 3, 8), torch.randn(2, 3, 5)},
  {input_names = {"x", "h0"}, output_names = {"out", "h_n"}, dynamic_batch = false})

-- A transformer-style block from Linear, matmul, transpose, softmax, LayerNorm and residuals
-- (optionally causal: masked_fill with a constant mask).
torch.manual_seed(5)
local Attention = nn.Module:extend("ExportAttentionBlock")
function Attention:init(d, heads)
  self.heads, self.d = heads, d
  self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
  self.q, self.k, self.v, self.o = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
  self.ff = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))
end
function Attention:forward(x)
  local b, t, h, hd = x:size(1), x:size(2), self.heads, self.d // self.heads
  local y = self.norm1(x)
  local function split(z) return z:reshape(b, t, h, hd):transpose(2, 3) end
  local q, k, v = split(self.q(y)), split(self.k(y)), split(self.v(y))
  local scores = q:matmul(k:transpose(3, 4)) / math.sqrt(hd)
  if self.causal then scores = scores:masked_fill(F.square_subsequent_mask(t):ne(0), -math.huge) end
  local attn = F.softmax(scores, -1)
  local ctx = attn:matmul(v):transpose(2, 3):reshape(b, t, self.d)
  x = x + self.o(ctx)
  return x + self.ff(self.norm2(x))
end
save_case("attention", Attention(16, 4), {torch.randn(3, 5, 16)}, {torch.randn(2, 5, 16)})
local causal = Attention(16, 2)
causal.causal = true
save_case("causal", causal, {torch.randn(3, 5, 16)}, {torch.randn(2, 5, 16)})

-- Embedding (1-based ids) + mean pooling + Linear.
torch.manual_seed(6)
local EmbedNet = nn.Module:extend("ExportEmbedNet")
function EmbedNet:init() self.emb = nn.Embedding(20, 8); self.fc = nn.Linear(8, 2) end
function EmbedNet:forward(ids) return self.fc(self.emb(ids):mean(2)) end
save_case("embed", EmbedNet(), {torch.randint(1, 21, {4, 6}):long()}, {torch.randint(1, 21, {2, 6}):long()})

-- Tensor operations between modules: cat/stack, narrow, reductions, powers, scalars on the left,
-- nn.functional activations, nn.Residual, AvgPool2d and LeakyReLU.
torch.manual_seed(8)
local OpsNet = nn.Module:extend("ExportOpsNet")
function OpsNet:init()
  self.conv = nn.Sequential(nn.Conv2d(2, 4, 3, {padding = 1}), nn.LeakyReLU(0.1), nn.AvgPool2d(2))
  self.res = nn.Residual(nn.Sequential(nn.Linear(16, 16), nn.Softplus()))
  self.fc = nn.Linear(34, 3)
end
function OpsNet:forward(x)
  local h = self.conv(x)                                   -- (B, 4, 2, 2)
  local flat = h:flatten(2)                                -- (B, 16)
  local r = self.res(flat)
  local stats = torch.cat({r:mean(2, true), (r ^ 2):sum(2, true):sqrt()}, 2)   -- (B, 2)
  local z = torch.cat({F.relu(r), 1 - torch.sigmoid(r:narrow(2, 3, 8)) * 2, r:narrow(2, 1, 8):tanh(), stats}, 2)
  local stacked = torch.stack({z, z:neg():exp()}, 2):sum(2)   -- (B, 34)
  return F.log_softmax(self.fc(stacked), 2), x:reshape(x:size(1), -1).T:unsqueeze(1):squeeze(1)
end
save_case("ops", OpsNet(), {torch.randn(3, 2, 4, 4)}, {torch.randn(2, 2, 4, 4)})

-- Int8 model in the shared quantized format, exported in QDQ form.
torch.manual_seed(7)
save_case("qdq", qdq_model.build(), {torch.randn(3, 1, 8, 8)}, {torch.randn(2, 1, 8, 8)})

-- A real deploy.quantize model (BatchNorm folded, ReLU fused, per-channel weights), exported in QDQ
-- form. Recorded: the float64 emulation (what QDQ means; onnxruntime must match it within 1e-4)
-- and the int8 kernels' output (within one output step of it: TFLite rounding vs half-to-even).
torch.manual_seed(8)
local float_cnn = nn.Sequential(nn.Conv2d(1, 6, 3, {padding = 1}), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2),
  nn.Conv2d(6, 8, 3, {padding = 1}), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 4 * 4, 5))
float_cnn:train()
torch.no_grad(function() for _ = 1, 3 do float_cnn(torch.randn(16, 1, 8, 8)) end end)
float_cnn:eval()
local calibration = {}
for k = 1, 4 do calibration[k] = torch.randn(16, 1, 8, 8) end
local q = deploy.quantize(float_cnn, {calibrate = calibration, per_channel = true})
local xa, xb = torch.randn(3, 1, 8, 8), torch.randn(2, 1, 8, 8)
local qinfo = deploy.export_onnx(q, {xa}, out_dir .. "/qdq_real.onnx")
local record = {}
for tag, x in pairs({a = xa, b = xb}) do
  record[tag .. ".in." .. qinfo.inputs[1]] = x:contiguous()
  record[tag .. ".out." .. qinfo.outputs[1]] = deploy.simulate(q, x):float():contiguous()
  record[tag .. ".int8." .. qinfo.outputs[1]] = torch.no_grad(function() return q(x) end):contiguous()
end
record["output_scale"] = torch.tensor({q[#q].scale}, {dtype = "float64"})
torch.save(out_dir .. "/qdq_real.safetensors", record)
print(string.format("%-10s nodes=%d initializers=%d bytes=%d", "qdq_real", qinfo.nodes, qinfo.initializers, qinfo.bytes))
