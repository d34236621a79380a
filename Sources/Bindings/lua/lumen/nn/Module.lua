-- nn.Module: the base class of every layer, loss and container, built-in or written in Lua.
--
--   local Net = nn.Module:extend("Net")
--   function Net:init(d) self.fc1 = nn.Linear(d, 16); self.fc2 = nn.Linear(16, 1) end
--   function Net:forward(x) return self.fc2(torch.relu(self.fc1(x))) end
--   local net = Net(4)          -- runs Net.init(net, 4)
--   local y = net(x)            -- runs Net.forward(net, x)
--
-- Classes: `Class:extend(name)` makes a subclass (`Sub.super == Class`); every class table is
-- the metatable of its instances (`Class.__index == Class`), so patching a class's methods
-- changes live instances at once (hot reload relies on this). `nn.Module.classes[name]` is the
-- class registered under `name`, and `nn.Module.instances_of(Class)` lists live instances of
-- the class and its subclasses, oldest first. Each instance keeps its constructor arguments in
-- `self.__ctor_args` (a table.pack).
--
-- Registration: assigning `nn.Parameter(t)` to a field registers a parameter; assigning a
-- module registers a child; `self:register_buffer(name, t)` registers a buffer (saved in the
-- state dict, not trained). Registration order is assignment order, never `pairs` order; the
-- current value of each registered field is read when asked, so reassigning a field works.
local parameter = require "lumen.nn.parameter"
local is_parameter = parameter.is_parameter

local Module = {}
Module.__index = Module
Module.__name = "Module"
Module.__module_class = true
Module.__instances = setmetatable({}, {__mode = "k"})

--- Every class by name (the latest class defined under a name wins).
Module.classes = {Module = Module}

--- Optional hook for hot reload: when set, `extend` calls extend_hook(name, new_class,
--- previous_class_or_nil) and uses its result (if not nil) as the class it registers and returns.
Module.extend_hook = nil

-- Metamethods are looked up raw on the metatable, so each class carries its own copies.
local METAMETHODS = {"__newindex", "__call", "__tostring", "__len", "__eq", "__lt", "__le", "__concat",
  "__unm", "__add", "__sub", "__mul", "__div", "__mod", "__pow", "__close"}

--- True when `v` is a module instance (not a class).
local function is_module(v)
  if type(v) ~= "table" then return false end
  local mt = getmetatable(v)
  return type(mt) == "table" and rawget(mt, "__module_class") == true and rawget(v, "_modules") ~= nil
end
Module.is_module = is_module

local serial = 0

local function construct(class, ...)
  local self = setmetatable({}, class)
  rawset(self, "_parameters", {})  -- field names, in registration order
  rawset(self, "_buffers", {})
  rawset(self, "_modules", {})
  rawset(self, "_non_persistent", {})
  rawset(self, "training", true)
  rawset(self, "__ctor_args", table.pack(...))
  serial = serial + 1
  local c = class
  while c do
    rawget(c, "__instances")[self] = serial
    c = rawget(c, "super")
  end
  self:init(...)
  return self
end

--- A subclass named `name`: `local Net = nn.Module:extend("Net")`.
function Module:extend(name)
  if rawget(self, "__module_class") ~= true then
    error("[extend] call extend on a class (nn.Module:extend(\"Name\")), not on an instance", 2)
  end
  if type(name) ~= "string" or name == "" then
    error("[extend] expected a class name (string); got " .. type(name), 2)
  end
  local class = {}
  for _, k in ipairs(METAMETHODS) do rawset(class, k, rawget(self, k)) end
  class.__index = class
  class.__name = name
  class.__module_class = true
  class.__instances = setmetatable({}, {__mode = "k"})
  class.super = self
  setmetatable(class, {__index = self, __call = construct, __tostring = function() return "class " .. name end})
  local hook = rawget(Module, "extend_hook")
  if hook then class = hook(name, class, Module.classes[name]) or class end
  Module.classes[name] = class
  return class
end

setmetatable(Module, {__call = construct, __tostring = function() return "class Module" end})

--- Live instances of `class` (and of its subclasses), oldest first.
function Module.instances_of(class)
  local registry = type(class) == "table" and rawget(class, "__instances")
  if not registry then error("[instances_of] expected a module class", 2) end
  local list = {}
  for instance in pairs(registry) do list[#list + 1] = instance end
  table.sort(list, function(a, b) return registry[a] < registry[b] end)
  return list
end

local function remember(list, key)
  for _, k in ipairs(list) do if k == key then return end end
  list[#list + 1] = key
end

function Module:__newindex(key, value)
  if is_parameter(value) then remember(rawget(self, "_parameters"), key)
  elseif is_module(value) then remember(rawget(self, "_modules"), key) end
  rawset(self, key, value)
end

function Module:__call(...)
  return self:forward(...)
end

function Module:init() end

function Module:forward()
  error(string.format("[%s] forward is not implemented", self.__name), 2)
end

--- Registers `tensor` (or nil) as buffer `name`; persistent buffers are part of the state dict.
function Module:register_buffer(name, tensor, persistent)
  if type(name) ~= "string" then error("[register_buffer] name must be a string", 2) end
  if tensor ~= nil and not torch.is_tensor(tensor) then
    error(string.format("[register_buffer] buffer \"%s\" must be a tensor or nil; got %s", name, type(tensor)), 2)
  end
  remember(self._buffers, name)
  self._non_persistent[name] = persistent == false or nil
  rawset(self, name, tensor)
end

--- Registers a parameter under `name` (nil clears it), like assigning nn.Parameter(t).
function Module:register_parameter(name, tensor)
  if tensor ~= nil and not is_parameter(tensor) then tensor = parameter.Parameter(tensor) end
  remember(self._parameters, name)
  rawset(self, name, tensor)
end

--- Registers `module` as child `name`, like assigning it to a field.
function Module:add_module(name, module)
  if not is_module(module) then error(string.format("[add_module] \"%s\" is not a module", tostring(name)), 2) end
  remember(self._modules, name)
  rawset(self, name, module)
end

--- {name, child} pairs of the direct children, in registration order.
function Module:named_children()
  local out, seen = {}, {}
  for _, key in ipairs(self._modules) do
    local m = rawget(self, key)
    if is_module(m) and not seen[m] then
      seen[m] = true
      out[#out + 1] = {tostring(key), m}
    end
  end
  return out
end

function Module:children()
  local out = {}
  for i, pair in ipairs(self:named_children()) do out[i] = pair[2] end
  return out
end

--- {name, module} pairs of this module ("") and every descendant, depth-first (pre-order).
function Module:named_modules(prefix, seen, out)
  prefix, seen, out = prefix or "", seen or {}, out or {}
  if seen[self] then return out end
  seen[self] = true
  out[#out + 1] = {prefix, self}
  for _, pair in ipairs(self:named_children()) do
    pair[2]:named_modules(prefix == "" and pair[1] or (prefix .. "." .. pair[1]), seen, out)
  end
  return out
end

function Module:modules()
  local out = {}
  for i, pair in ipairs(self:named_modules()) do out[i] = pair[2] end
  return out
end

-- {name, tensor} pairs of the fields listed in `list_name` that pass `accept`, over all modules.
local function named_members(self, list_name, accept, recurse)
  local out, seen = {}, {}
  local modules = recurse == false and {{"", self}} or self:named_modules()
  for _, pair in ipairs(modules) do
    local prefix, m = pair[1], pair[2]
    for _, key in ipairs(m[list_name]) do
      local v = rawget(m, key)
      if v ~= nil and accept(v, m, key) and not seen[v] then
        seen[v] = true
        out[#out + 1] = {prefix == "" and tostring(key) or (prefix .. "." .. tostring(key)), v}
      end
    end
  end
  return out
end

--- {name, parameter} pairs with dotted names ("fc1.weight", "layers.1.bias"), depth-first in
--- registration order, each parameter once. `recurse = false` lists only this module's own.
function Module:named_parameters(recurse)
  return named_members(self, "_parameters", is_parameter, recurse)
end

function Module:parameters(recurse)
  local out = {}
  for i, pair in ipairs(self:named_parameters(recurse)) do out[i] = pair[2] end
  return out
end

--- {name, buffer} pairs (running statistics and the like).
function Module:named_buffers(recurse)
  return named_members(self, "_buffers", torch.is_tensor, recurse)
end

function Module:buffers(recurse)
  local out = {}
  for i, pair in ipairs(self:named_buffers(recurse)) do out[i] = pair[2] end
  return out
end

--- Sets training mode (default true) on this module and all descendants; returns self.
function Module:train(mode)
  if mode == nil then mode = true end
  for _, m in ipairs(self:modules()) do rawset(m, "training", mode and true or false) end
  return self
end

function Module:eval()
  return self:train(false)
end

--- Drops every parameter's gradient (sets .grad to nil).
function Module:zero_grad()
  for _, p in ipairs(self:parameters()) do p.grad = nil end
end

--- Calls fn(module) on every descendant, then on self (as PyTorch); returns self.
function Module:apply(fn)
  for _, child in ipairs(self:children()) do child:apply(fn) end
  fn(self)
  return self
end

--- Sets requires_grad on every parameter (false freezes the module); returns self.
function Module:requires_grad_(flag)
  if flag == nil then flag = true end
  for _, p in ipairs(self:parameters()) do p.requires_grad = flag end
  return self
end

--- Number of scalars in the parameters; `{trainable = true}` counts only those requiring grad.
function Module:num_parameters(options)
  local trainable = type(options) == "table" and options.trainable
  local n = 0
  for _, p in ipairs(self:parameters()) do
    if not trainable or p.requires_grad then n = n + p:numel() end
  end
  return n
end

--- One-line description shown inside the repr, e.g. "in_features=3, out_features=4, bias=true".
function Module:extra_repr()
  return ""
end

--- PyTorch-style tree: the class name, extra_repr, then "(name): child" lines indented.
function Module:__tostring()
  local extra = self:extra_repr()
  local lines = {}
  for line in extra:gmatch("[^\n]+") do lines[#lines + 1] = line end
  local children = self:named_children()
  if #children == 0 and #lines <= 1 then return self.__name .. "(" .. extra .. ")" end
  for _, pair in ipairs(children) do
    lines[#lines + 1] = "(" .. pair[1] .. "): " .. tostring(pair[2]):gsub("\n", "\n  ")
  end
  return self.__name .. "(\n  " .. table.concat(lines, "\n  ") .. "\n)"
end

return Module
