-- optim: optimizers, learning-rate schedules and gradient clipping (global `optim`).
--
--   local opt = optim.SGD(net:parameters(), {lr = 0.01, momentum = 0.9})
--   opt:zero_grad(); loss:backward(); opt:step()
--   local sched = optim.lr_scheduler.StepLR(opt, {step_size = 10, gamma = 0.5}); sched:step()
--
-- SGD, Adam, AdamW, RMSprop and Adagrad are fused Swift kernels (PyTorch's update rules and
-- option names; `betas = {0.9, 0.999}`). Parameter groups: pass a list of
-- `{params = {...}, lr = ...}` tables. Write your own optimizer in Lua with
-- `optim.Optimizer:extend(name)` and an `update(param, grad, state, group)` method.
local optim = {}
local internal = optim_internal

-- Params as groups: a list of tensors becomes one group; a list of group tables is kept.
local function as_groups(params, who)
  if type(params) ~= "table" or (params.parameters and not torch.is_tensor(params[1])) then
    error(string.format("[%s] expected a list of tensors (e.g. net:parameters()) or parameter groups; got %s",
      who, type(params) == "table" and "a module or table" or type(params)), 3)
  end
  if #params == 0 then error("[" .. who .. "] optimizer got an empty parameter list", 3) end
  if torch.is_tensor(params[1]) then return {{params = params}} end
  return params
end

-- Strings survive torch.save as uint8 tensors.
local function string_tensor(s)
  return torch.tensor({s:byte(1, -1)}, {dtype = "uint8"})
end
local function tensor_string(t)
  local bytes = t:totable()
  return string.char(table.unpack(bytes))
end

-- Swift-backed optimizers -----------------------------------------------------------------

local Fused = {}
Fused.__index = function(self, key)
  if key == "param_groups" then return internal.groups(rawget(self, "handle")) end
  return Fused[key]
end

local function fused(kind)
  return function(params, options)
    options = options or {}
    if type(options) ~= "table" then error("[" .. kind .. "] options must be a table like {lr = 0.01}", 2) end
    local self = setmetatable({kind = kind}, Fused)
    self.handle = internal.new(kind, as_groups(params, kind), options)
    return self
  end
end

function Fused:step() internal.step(self.handle) end
function Fused:zero_grad() internal.zero_grad(self.handle) end
--- Sets an option (e.g. "lr") of every group, or of group `g` (1-based).
function Fused:set(option, value, g) internal.set(self.handle, option, value, g) end
function Fused:set_lr(lr, g) internal.set(self.handle, "lr", lr, g) end
function Fused:get_lr()
  local out = {}
  for i, group in ipairs(self.param_groups) do out[i] = group.lr end
  return out
end

--- State as a table of tensors (saveable with torch.save): buffers, scalars and the name.
function Fused:state_dict()
  local tensors, scalars, name = internal.state_dict(self.handle)
  local scalar_tensors = {}
  for k, v in pairs(scalars) do scalar_tensors[k] = torch.tensor(v, {dtype = "float64"}) end
  return {state = tensors, scalars = scalar_tensors, optimizer = string_tensor(name)}
end

--- Restores a state from `state_dict()` (also after torch.save/torch.load's dotted names).
function Fused:load_state_dict(sd)
  local state, scalars, name = {}, {}, nil
  for k, v in pairs(sd) do
    if k == "state" or k == "scalars" then
      for kk, vv in pairs(v) do (k == "state" and state or scalars)[kk] = vv end
    elseif k == "optimizer" then name = v
    elseif k:sub(1, 6) == "state." then state[k:sub(7)] = v
    elseif k:sub(1, 8) == "scalars." then scalars[k:sub(9)] = v
    end
  end
  if name == nil then error("[load_state_dict] not an optimizer state (no 'optimizer' entry)", 2) end
  local numbers = {}
  for k, v in pairs(scalars) do numbers[k] = torch.is_tensor(v) and v:item() or v end
  internal.load_state_dict(self.handle, state, numbers, torch.is_tensor(name) and tensor_string(name) or name)
end

function Fused:__tostring()
  local lines = {self.kind .. " ("}
  for i, group in ipairs(self.param_groups) do
    lines[#lines + 1] = string.format("  group %d: %d tensors", i, #group.params)
    local keys = {}
    for k in pairs(group) do if k ~= "params" then keys[#keys + 1] = k end end
    table.sort(keys)
    for _, k in ipairs(keys) do lines[#lines + 1] = string.format("    %s: %s", k, tostring(group[k])) end
  end
  return table.concat(lines, "\n") .. "\n)"
end

optim.SGD = fused("SGD")
optim.Adam = fused("Adam")
optim.AdamW = fused("AdamW")
optim.RMSprop = fused("RMSprop")
optim.Adagrad = fused("Adagrad")

-- Optimizers written in Lua -----------------------------------------------------------------

--- Base class: subclasses define `update(param, grad, state, group)` (called under no_grad;
--- `state` is a per-parameter table with `step` already incremented) and `defaults`.
local Optimizer = {}
Optimizer.__index = Optimizer
optim.Optimizer = Optimizer

function Optimizer:extend(name)
  local class = setmetatable({name = name, defaults = {}}, {__index = self, __call = function(c, ...) return c.new(c, ...) end})
  class.__index = class
  class.__tostring = Optimizer.__tostring
  return class
end

function Optimizer.new(class, params, options)
  local self = setmetatable({param_groups = {}, state = {}}, class)
  for _, group in ipairs(as_groups(params, class.name or "Optimizer")) do
    local g = {params = group.params}
    for k, v in pairs(class.defaults) do g[k] = v end
    for k, v in pairs(options or {}) do g[k] = v end
    for k, v in pairs(group) do g[k] = v end
    g.initial_lr = g.lr
    self.param_groups[#self.param_groups + 1] = g
  end
  return self
end

function Optimizer:zero_grad()
  for _, group in ipairs(self.param_groups) do
    for _, p in ipairs(group.params) do p.grad = nil end
  end
end

function Optimizer:step()
  torch.no_grad(function()
    for _, group in ipairs(self.param_groups) do
      for _, p in ipairs(group.params) do
        local grad = p.grad
        if grad ~= nil then
          local state = self.state[p]
          if state == nil then state = {step = 0}; self.state[p] = state end
          state.step = state.step + 1
          self:update(p, grad, state, group)
        end
      end
    end
  end)
end

function Optimizer:set_lr(lr, g)
  for i, group in ipairs(self.param_groups) do if g == nil or g == i then group.lr = lr end end
end

function Optimizer:get_lr()
  local out = {}
  for i, group in ipairs(self.param_groups) do out[i] = group.lr end
  return out
end

function Optimizer:__tostring() return (self.name or "Optimizer") .. string.format(" (%d groups)", #self.param_groups) end

-- Schedules ---------------------------------------------------------------------------------

local Scheduler = {}
Scheduler.__index = Scheduler

local function scheduler(kind)
  return function(optimizer, options)
    local self = setmetatable({optimizer = optimizer, kind = kind, options = options or {}, last_epoch = 0}, Scheduler)
    self.base_lrs = {}
    for i, group in ipairs(optimizer.param_groups) do self.base_lrs[i] = group.initial_lr or group.lr end
    self:apply()
    return self
  end
end

function Scheduler:apply()
  for i, base in ipairs(self.base_lrs) do
    self.optimizer:set_lr(internal.lr_at(self.kind, self.options, self.last_epoch, base), i)
  end
end

--- Advances one epoch (or step, for OneCycleLR/warmup) and sets the new learning rates.
function Scheduler:step()
  self.last_epoch = self.last_epoch + 1
  self:apply()
end

function Scheduler:get_last_lr() return self.optimizer:get_lr() end

local Plateau = {}
Plateau.__index = Plateau

optim.lr_scheduler = {
  StepLR = scheduler("StepLR"),
  ExponentialLR = scheduler("ExponentialLR"),
  CosineAnnealingLR = scheduler("CosineAnnealingLR"),
  LinearWarmup = scheduler("LinearWarmup"),
  OneCycleLR = scheduler("OneCycleLR"),
  --- MultiStepLR(opt, {milestones = {30, 80}, gamma = 0.1})
  MultiStepLR = function(optimizer, options)
    options = options or {}
    local self = setmetatable({optimizer = optimizer, last_epoch = 0, base_lrs = {}}, Scheduler)
    for i, group in ipairs(optimizer.param_groups) do self.base_lrs[i] = group.initial_lr or group.lr end
    local milestones, gamma = options.milestones or {}, options.gamma or 0.1
    function self.apply(s)
      local passed = 0
      for _, m in ipairs(milestones) do if s.last_epoch >= m then passed = passed + 1 end end
      for i, base in ipairs(s.base_lrs) do s.optimizer:set_lr(base * gamma ^ passed, i) end
    end
    self:apply()
    return self
  end,
  --- ReduceLROnPlateau(opt, {mode = "min", factor = 0.1, patience = 10, ...}); sched:step(metric)
  ReduceLROnPlateau = function(optimizer, options)
    if not optimizer.handle then error("[ReduceLROnPlateau] needs a built-in optimizer", 2) end
    return setmetatable({optimizer = optimizer, handle = internal.plateau_new(options or {})}, Plateau)
  end,
}

function Plateau:step(metric)
  if torch.is_tensor(metric) then metric = metric:item() end
  return internal.plateau_step(self.handle, metric, self.optimizer.handle)
end
function Plateau:get_last_lr() return self.optimizer:get_lr() end

-- Gradient clipping ---------------------------------------------------------------------------

local function param_list(params)
  if torch.is_tensor(params) then return {params} end
  return params
end

--- Scales all gradients so their joint norm is at most max_norm; returns the norm before.
function optim.clip_grad_norm_(params, max_norm, norm_type, error_if_nonfinite)
  return internal.clip_grad_norm(param_list(params), max_norm, norm_type, error_if_nonfinite)
end

--- Clamps every gradient element to [-clip, clip].
function optim.clip_grad_value_(params, clip)
  internal.clip_grad_value(param_list(params), clip)
end

nn.utils = nn.utils or {}
nn.utils.clip_grad_norm_ = optim.clip_grad_norm_
nn.utils.clip_grad_value_ = optim.clip_grad_value_

return optim
