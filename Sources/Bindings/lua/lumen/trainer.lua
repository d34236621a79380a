-- Trainer: the fit / validate / test loop with callbacks, early stopping, best-checkpoint saving
-- and exact resume (global `Trainer`, also `require "lumen.trainer"`).
--
--   local trainer = Trainer{
--     model = net, optimizer = optim.Adam(net:parameters(), {lr = 1e-3}),
--     loss = nn.functional.cross_entropy,            -- loss(output, target)
--     train = train_loader, val = val_loader,         -- data.DataLoader (bx, by batches)
--     epochs = 20,
--     metrics = {accuracy = metrics.accuracy},        -- metric(output, target) -> number
--     scheduler = sched,                              -- stepped once per epoch (optional)
--     early_stopping = {monitor = "val_loss", patience = 3, mode = "min"},
--     checkpoint = {path = "best.safetensors", monitor = "val_accuracy", mode = "max"},
--     log = data.Logger{path = "log.csv"},            -- optional; receives one row per epoch
--     progress = true,                                -- progress bar per epoch
--     callbacks = {on_epoch_end = function(trainer, row) ... end},
--   }
--   local history = trainer:fit()                    -- list of per-epoch rows
--   trainer:save("run.safetensors"); trainer:resume("run.safetensors")
local Trainer = {}
Trainer.__index = Trainer

local function call(callbacks, event, ...)
  local f = callbacks and callbacks[event]
  if f then f(...) end
end

setmetatable(Trainer, {__call = function(class, options)
  for _, required in ipairs({"model", "optimizer", "loss", "train"}) do
    if options[required] == nil then error("[Trainer] option '" .. required .. "' is required", 2) end
  end
  local self = setmetatable({}, class)
  for k, v in pairs(options) do self[k] = v end
  self.epochs = self.epochs or 1
  self.epoch = 0
  self.history = {}
  self.metrics = self.metrics or {}
  self.stopped = false
  return self
end})

--- Runs one pass over `loader`; trains when `training`. Returns {loss=, <metric>=...} averaged
--- over samples (metrics weighted by batch size).
function Trainer:run_epoch(loader, training, label)
  local model = self.model
  if training then model:train() else model:eval() end
  local totals, count = {loss = 0}, 0
  local bar = self.progress and require("lumen.progress").bar(#loader, {label = label}) or nil
  local function batch_step(bx, by)
    local output = model(bx)
    local loss = self.loss(output, by)
    if training then
      self.optimizer:zero_grad()
      loss:backward()
      if self.clip_grad_norm then optim.clip_grad_norm_(model:parameters(), self.clip_grad_norm) end
      self.optimizer:step()
    end
    local n = bx:size(1)
    count = count + n
    totals.loss = totals.loss + loss:item() * n
    for name, fn in pairs(self.metrics) do
      totals[name] = (totals[name] or 0) + torch.no_grad(fn, output:detach(), by) * n
    end
    if bar then bar:update(1, {loss = loss:item()}) end
    call(self.callbacks, "on_batch_end", self, loss:item())
  end
  for bx, by in loader:iter() do
    if training then batch_step(bx, by) else torch.no_grad(batch_step, bx, by) end
  end
  if bar then bar:close() end
  local result = {}
  for k, v in pairs(totals) do result[k] = count > 0 and v / count or 0 / 0 end
  return result
end

function Trainer:validate(loader)
  return self:run_epoch(loader or self.val, false, "val")
end

function Trainer:test(loader)
  return self:run_epoch(loader or self.test_loader, false, "test")
end

local function improved(mode, value, best)
  if best == nil then return true end
  if mode == "max" then return value > best end
  return value < best
end

--- Trains for the remaining epochs; returns the history (one row per epoch).
function Trainer:fit()
  local es = self.early_stopping
  while self.epoch < self.epochs and not self.stopped do
    self.epoch = self.epoch + 1
    call(self.callbacks, "on_epoch_start", self, self.epoch)
    if self.train.set_epoch then self.train:set_epoch(self.epoch - 1) end
    local row = {epoch = self.epoch}
    for k, v in pairs(self:run_epoch(self.train, true, string.format("epoch %d", self.epoch))) do row["train_" .. k] = v end
    if self.val then
      for k, v in pairs(self:validate(self.val)) do row["val_" .. k] = v end
    end
    row.lr = self.optimizer:get_lr()[1]
    if self.scheduler then
      if self.scheduler.handle and es and row[es.monitor] then self.scheduler:step(row[es.monitor])
      elseif not self.scheduler.handle then self.scheduler:step() end
    end
    self.history[#self.history + 1] = row
    if self.log then self.log:log(row) end
    local ck = self.checkpoint
    if ck and ck.path then
      local value = row[ck.monitor or "val_loss"]
      if value ~= nil and improved(ck.mode or "min", value, self.best_checkpoint) then
        self.best_checkpoint = value
        torch.save(ck.path, self.model:state_dict(), {epoch = tostring(self.epoch), monitor = ck.monitor or "val_loss",
          value = tostring(value)})
      end
    end
    if es then
      local value = row[es.monitor or "val_loss"]
      local delta, best = es.min_delta or 0, self.best_monitored
      local better = best == nil or ((es.mode or "min") == "max" and value > best + delta)
        or ((es.mode or "min") == "min" and value < best - delta)
      if value ~= nil and better then
        self.best_monitored, self.bad_epochs = value, 0
      else
        self.bad_epochs = (self.bad_epochs or 0) + 1
        if self.bad_epochs >= (es.patience or 3) then self.stopped = true end
      end
    end
    call(self.callbacks, "on_epoch_end", self, row)
  end
  return self.history
end

-- History rows as tensors: {epoch = tensor(1-d), train_loss = ...} (saveable).
local function history_tensors(history)
  local columns = {}
  for i, row in ipairs(history) do
    for k, v in pairs(row) do
      columns[k] = columns[k] or {}
      columns[k][i] = v
    end
  end
  local out = {}
  for k, values in pairs(columns) do out[k] = torch.tensor(values, {dtype = "float64"}) end
  return out
end

--- Saves everything needed to continue exactly: model, optimizer, epoch, history, the
--- early-stopping/checkpoint bests and the random generator's state.
function Trainer:save(path)
  local state = {
    model = self.model:state_dict(),
    optimizer = self.optimizer:state_dict(),
    trainer = {epoch = torch.tensor({self.epoch}), rng = torch.get_rng_state(),
               bad_epochs = torch.tensor({self.bad_epochs or 0}), stopped = torch.tensor({self.stopped and 1 or 0})},
    history = history_tensors(self.history),
  }
  if self.best_monitored then state.trainer.best_monitored = torch.tensor({self.best_monitored}, {dtype = "float64"}) end
  if self.best_checkpoint then state.trainer.best_checkpoint = torch.tensor({self.best_checkpoint}, {dtype = "float64"}) end
  torch.save(path, state)
end

--- Restores a `save`d run into this trainer (same model/optimizer construction).
function Trainer:resume(path)
  local flat = torch.load(path)
  local groups = {model = {}, optimizer = {}, trainer = {}, history = {}}
  for k, v in pairs(flat) do
    local head, rest = k:match("^([^.]+)%.(.+)$")
    if head == nil or groups[head] == nil then error("[Trainer.resume] unexpected entry '" .. k .. "' in " .. path, 2) end
    groups[head][rest] = v
  end
  if groups.trainer.epoch == nil then error("[Trainer.resume] " .. path .. " is not a Trainer checkpoint", 2) end
  self.model:load_state_dict(groups.model)
  self.optimizer:load_state_dict(groups.optimizer)
  self.epoch = groups.trainer.epoch:item()
  self.bad_epochs = groups.trainer.bad_epochs:item()
  self.stopped = groups.trainer.stopped:item() == 1
  self.best_monitored = groups.trainer.best_monitored and groups.trainer.best_monitored:item() or nil
  self.best_checkpoint = groups.trainer.best_checkpoint and groups.trainer.best_checkpoint:item() or nil
  torch.set_rng_state(groups.trainer.rng)
  self.history = {}
  for name, column in pairs(groups.history) do
    for i, v in ipairs(column:totable()) do
      self.history[i] = self.history[i] or {}
      self.history[i][name] = v
    end
  end
  return self
end

return Trainer
