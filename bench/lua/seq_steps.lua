-- Sequence-model training steps of the shared reference (same workloads and shapes as
-- PyTorch's bench/torch_ref.py: lstm_step_ms and gpt_step_ms), printed as `name value unit`.
--   lumen bench/lua/seq_steps.lua
local F = nn.functional
torch.manual_seed(0)

local util = dofile((arg[0]:match("^(.*)/") or ".") .. "/bench_util.lua")
local timeit, report = util.timeit, util.report

local function concat(...)
  local out = {}
  for _, list in ipairs({...}) do for _, p in ipairs(list) do out[#out + 1] = p end end
  return out
end

-- LSTM: sequence 50, batch 32, 8 inputs, hidden 64, regression head on the last step, Adam.
local lstm = nn.LSTM(8, 64, {batch_first = true})
local head = nn.Linear(64, 1)
local opt = optim.Adam(concat(lstm:parameters(), head:parameters()), {lr = 1e-3})
local xs, ys = torch.randn(32, 50, 8), torch.randn(32, 1)
report("lstm_step_ms", timeit(function()
  opt:zero_grad()
  local out = lstm(xs)
  F.mse_loss(head(out[{{}, -1}]), ys):backward()
  opt:step()
end, 100) * 1e3, "ms")

-- Tiny GPT: 4 pre-norm layers, d = 128, 4 heads, context 64, batch 16, vocabulary 65, AdamW.
local layer = nn.TransformerEncoderLayer(128, 4, {dim_feedforward = 512, dropout = 0.0, batch_first = true, norm_first = true})
local gpt = nn.TransformerEncoder(layer, 4)
local emb = nn.Embedding(65, 128)
local pos = nn.Parameter(torch.zeros(64, 128))
local lm = nn.Linear(128, 65)
local opt4 = optim.AdamW(concat(gpt:parameters(), emb:parameters(), {pos}, lm:parameters()), {lr = 3e-4})
local mask = nn.Transformer.generate_square_subsequent_mask(64)
local xt, yt = torch.randint(1, 66, {16, 64}), torch.randint(1, 66, {16, 64})
report("gpt_step_ms", timeit(function()
  opt4:zero_grad()
  local h = gpt(emb(xt) + pos, {mask = mask, is_causal = true})
  F.cross_entropy(lm(h):reshape(-1, 65), yt:reshape(-1)):backward()
  opt4:step()
end, 30) * 1e3, "ms")
