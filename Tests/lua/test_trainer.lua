-- Trainer: fit with validation and metrics, early stopping, best checkpoint, exact resume.

local function problem(seed)
  torch.manual_seed(seed)
  local x = torch.randn(240, 4)
  local y = (x:select(2, 1) + x:select(2, 2) * 0.5):gt(0):long() + 1
  local xtr, ytr, xva, yva = x:narrow(1, 1, 180), y:narrow(1, 1, 180), x:narrow(1, 181, 60), y:narrow(1, 181, 60)
  return data.DataLoader(data.TensorDataset(xtr, ytr), {batch_size = 32, shuffle = true, seed = 7}),
         data.DataLoader(data.TensorDataset(xva, yva), {batch_size = 60})
end

local function make(epochs, extra)
  torch.manual_seed(3)
  local net = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, 2))
  local train, val = problem(1)
  local options = {model = net, optimizer = optim.Adam(net:parameters(), {lr = 0.01}),
    loss = nn.functional.cross_entropy, train = train, val = val, epochs = epochs,
    metrics = {accuracy = metrics.accuracy}}
  for k, v in pairs(extra or {}) do options[k] = v end
  return Trainer(options), net
end

test("fit trains, validates and records history", function()
  local trainer = make(8)
  local history = trainer:fit()
  assert_eq(#history, 8)
  assert_true(history[8].train_loss < history[1].train_loss, "loss falls")
  assert_true(history[8].val_accuracy > 0.9, "val accuracy " .. history[8].val_accuracy)
  assert_true(history[1].lr == 0.01)
end)

test("a resumed run reproduces the uninterrupted run exactly", function()
  local full, full_net = make(6)
  full:fit()
  local path = os.tmpname() .. ".safetensors"
  local first = make(3)
  first:fit()
  first:save(path)
  local second, second_net = make(6)
  second:resume(path)
  assert_eq(second.epoch, 3)
  second:fit()
  for k, v in pairs(second_net:state_dict()) do assert_close(v, full_net:state_dict()[k], 0, k) end
  assert_close(second.history[6].train_loss, full.history[6].train_loss, 0)
  os.remove(path)
end)

test("early stopping and best checkpoints", function()
  local path = os.tmpname() .. ".safetensors"
  local stops = make(100, {early_stopping = {monitor = "val_loss", patience = 2, min_delta = 10},
    checkpoint = {path = path, monitor = "val_accuracy", mode = "max"}})
  local history = stops:fit()
  assert_eq(#history, 3, "min_delta 10 can never be met: stops after patience")
  local saved, metadata = torch.load(path)
  assert_eq(metadata.monitor, "val_accuracy")
  assert_true(saved["1.weight"] ~= nil)
  os.remove(path)
end)

test("trainer errors", function()
  assert_error(function() Trainer{model = nn.Linear(2, 2)} end, "[Trainer] option 'optimizer' is required")
  local trainer = make(1)
  local path = os.tmpname()
  torch.save(path, {x = torch.ones(1)})
  assert_error(function() trainer:resume(path) end, "[Trainer.resume]")
  os.remove(path)
end)
