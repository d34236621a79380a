-- Hot reload of model definitions.
--
--   local models = hot.require "mymodels"     -- a plain Lua module defining nn.Module classes
--   local net = models.Net(4)
--   -- edit mymodels.lua (e.g. Net:forward), then at the next REPL prompt (or hot.poll()):
--   -- the file is re-run and Net is updated in place: `net` keeps its weights and gets the
--   -- new forward. If the parameter structure changed (Net:init), each live instance is rebuilt
--   -- with its constructor arguments and every parameter whose name and shape still match is
--   -- carried over; the kept/added/dropped names are reported.
--   -- A file with a syntax or runtime error leaves the old definition in force.
local hot = {modules = {}, verbose = true}

local mtime = lumen_internal.mtime

local function say(fmt, ...)
  if hot.verbose then print(string.format("[hot] " .. fmt, ...)) end
end

--- Runs the module file and returns its value (errors are returned, not raised).
local function run_file(path, name)
  local chunk, err = loadfile(path)
  if not chunk then return false, err end
  local ok, value = xpcall(chunk, debug.traceback, name, path)
  if not ok then return false, value end
  if value == nil then value = true end
  return true, value
end

--- Loads module `name` (found on package.path) and tracks its file for reloading.
function hot.require(name)
  if type(name) ~= "string" then error("[hot.require] expected a module name; got " .. type(name), 2) end
  local entry = hot.modules[name]
  if entry then return entry.value end
  local path, search_error = package.searchpath(name, package.path)
  if not path then error("[hot.require] module '" .. name .. "' not found:" .. search_error, 2) end
  local ok, value = run_file(path, name)
  if not ok then error("[hot.require] " .. tostring(value), 2) end
  hot.modules[name] = {path = path, mtime = mtime(path), value = value}
  package.loaded[name] = value
  return value
end

local function is_class(t)
  return type(t) == "table" and rawget(t, "__index") == t
end

--- Copies methods (functions and plain values) of `new` into class `old` in place, removes
--- methods that disappeared, and adopts `new`'s parent class. Bookkeeping tables of `old`
--- (such as its live-instance registry) are kept.
local function patch_class(old, new)
  for k, v in pairs(new) do
    if k ~= "__index" and (type(v) ~= "table" or k == "super") then rawset(old, k, v) end
  end
  for k, v in pairs(old) do
    if type(v) == "function" and rawget(new, k) == nil then rawset(old, k, nil) end
  end
  setmetatable(old, getmetatable(new))
end

--- name -> {shape string} for a module's state (parameters and buffers).
local function shapes_of(model)
  local out = {}
  for name, t in pairs(model:state_dict()) do out[name] = table.concat(t:size(), "x") end
  return out
end

local function same_structure(a, b)
  for k, v in pairs(a) do if b[k] ~= v then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

--- Copies every tensor of old_model's state whose name and shape match into new_model.
--- Returns {kept = {...}, added = {...}, dropped = {...}} (sorted names).
function hot.migrate(old_model, new_model)
  local old_state, new_state = old_model:state_dict(), new_model:state_dict()
  local report = {kept = {}, added = {}, dropped = {}}
  torch.no_grad(function()
    for name, t in pairs(new_state) do
      local source = old_state[name]
      if source ~= nil and table.concat(source:size(), "x") == table.concat(t:size(), "x") then
        t:copy_(source)
        report.kept[#report.kept + 1] = name
      else
        report.added[#report.added + 1] = name
      end
    end
  end)
  for name, source in pairs(old_state) do
    local t = new_state[name]
    if t == nil or table.concat(t:size(), "x") ~= table.concat(source:size(), "x") then
      report.dropped[#report.dropped + 1] = name
    end
  end
  for _, list in pairs(report) do table.sort(list) end
  return report
end

--- Rebuilds live instances of `class` whose parameter structure no longer matches the class's
--- (re-run with the constructor arguments they were made with), keeping matching parameters.
local function rebuild_instances(class, label)
  if not (nn and nn.Module and nn.Module.instances_of) then return end
  for _, instance in ipairs(nn.Module.instances_of(class)) do
    local args = rawget(instance, "__ctor_args")
    if args then
      local ok, fresh = pcall(function() return class(table.unpack(args, 1, args.n)) end)
      if not ok then
        say("%s: could not rebuild an instance: %s", label, tostring(fresh))
      elseif not same_structure(shapes_of(instance), shapes_of(fresh)) then
        local report = hot.migrate(instance, fresh)
        for k in pairs(instance) do rawset(instance, k, nil) end
        for k, v in pairs(fresh) do rawset(instance, k, v) end
        setmetatable(instance, getmetatable(fresh))
        say("%s: structure changed; kept %d (%s), added %d (%s), dropped %d (%s); recreate optimizers over it",
          label, #report.kept, table.concat(report.kept, ", "), #report.added, table.concat(report.added, ", "),
          #report.dropped, table.concat(report.dropped, ", "))
      end
    end
  end
end

--- Applies a reloaded module value onto the tracked one, in place where possible.
local function apply(entry, new)
  local old = entry.value
  if is_class(old) and is_class(new) then
    patch_class(old, new)
    rebuild_instances(old, entry.name)
    return
  end
  if type(old) == "table" and type(new) == "table" then
    for k, v in pairs(new) do
      if is_class(old[k]) and is_class(v) then
        patch_class(old[k], v)
        rebuild_instances(old[k], entry.name .. "." .. tostring(k))
      else
        old[k] = v
      end
    end
    return
  end
  entry.value = new
  package.loaded[entry.name] = new
end

--- Reloads tracked modules whose files changed (all of them when `force`). Returns the names
--- reloaded. Failures are reported and leave the previous definitions in force.
function hot.poll(force)
  local reloaded = {}
  local names = {}
  for name in pairs(hot.modules) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do
    local entry = hot.modules[name]
    entry.name = name
    local now = mtime(entry.path)
    if now and (force or now ~= entry.mtime) then
      entry.mtime = now
      local ok, value = run_file(entry.path, name)
      if ok then
        local applied, err = pcall(apply, entry, value)
        if applied then
          reloaded[#reloaded + 1] = name
          say("reloaded %s", entry.path)
        else
          io.stderr:write("[hot] reload of " .. entry.path .. " failed while updating: " .. tostring(err) .. "\n")
        end
      else
        io.stderr:write("[hot] reload of " .. entry.path .. " failed; keeping the previous definition:\n" ..
          tostring(value) .. "\n")
      end
    end
  end
  return reloaded
end

return hot
