-- Sequence models learn small tasks end to end (fused kernels, autograd, Adam).
local F = nn.functional

test("an LSTM learns to add the two marked numbers of a sequence", function()
  torch.manual_seed(1)
  local steps, batch = 12, 64
  -- x (B, T, 2): a value in [0, 1) and a marker that is 1 at exactly two positions.
  local function sample()
    local values = torch.rand(batch, steps, 1)
    local markers = torch.zeros(batch, steps, 1)
    local first = torch.randint(1, steps // 2 + 1, {batch})
    local second = torch.randint(steps // 2 + 1, steps + 1, {batch})
    markers = markers:scatter(2, first:view(batch, 1, 1), 1):scatter(2, second:view(batch, 1, 1), 1)
    local target = (values * markers):sum(2)                              -- (B, 1)
    return torch.cat({values, markers}, 3), target
  end
  local lstm = nn.LSTM(2, 32, {batch_first = true})
  local head = nn.Linear(32, 1)
  local params = lstm:parameters()
  for _, p in ipairs(head:parameters()) do params[#params + 1] = p end
  local opt = optim.Adam(params, {lr = 1e-2})
  local function loss_of(x, y)
    local out = lstm(x)
    return F.mse_loss(head(out[{{}, steps}]), y)
  end
  for _ = 1, 400 do
    local x, y = sample()
    opt:zero_grad()
    loss_of(x, y):backward()
    opt:step()
  end
  local x, y = sample()
  local mse = torch.no_grad(function() return loss_of(x, y):item() end)
  -- predicting the mean (1.0) scores the variance of the sum, 1/6
  assert_true(mse < 0.01, "test MSE " .. mse)
end)

test("a tiny transformer learns to reverse sequences", function()
  torch.manual_seed(2)
  local vocab, len, d, batch = 8, 6, 32, 64
  local emb = nn.Embedding(vocab, d)
  local pos = nn.PositionalEncoding(d, {batch_first = true, dropout = 0, max_len = len})
  local layer = nn.TransformerEncoderLayer(d, 4, {dim_feedforward = 64, dropout = 0, batch_first = true})
  local encoder = nn.TransformerEncoder(layer, 2)
  local head = nn.Linear(d, vocab)
  local model = nn.Sequential(emb, pos, encoder, head)
  local opt = optim.Adam(model:parameters(), {lr = 1e-3})
  local reverse = torch.arange(len, 0, -1):long()                        -- len, ..., 1
  local function sample()
    local x = torch.randint(1, vocab + 1, {batch, len})
    return x, x:index_select(2, reverse)
  end
  for _ = 1, 300 do
    local x, y = sample()
    opt:zero_grad()
    F.cross_entropy(model(x):reshape(-1, vocab), y:reshape(-1)):backward()
    opt:step()
  end
  model:eval()
  local x, y = sample()
  local predicted = torch.no_grad(function() return model(x):argmax(3) end)
  local exact = predicted:eq(y):long():sum(2):eq(len):double():mean():item()
  assert_true(exact > 0.95, "sequences reversed exactly: " .. exact)
end)
