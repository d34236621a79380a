-- The REPL's Lua half: evaluate input (auto-printing expression values), complete names,
-- and show help. The Swift half (Host/Repl.swift) does readline, history and signals.
local repl = {}

local clock = lumen_internal.clock
local color = lumen_internal.isatty(1)
local function paint(code, s) return color and ("\27[" .. code .. "m" .. s .. "\27[0m") or s end

--- A short, readable rendering of any value (tensors and modules use their tostring).
function repl.show(v, depth)
  depth = depth or 0
  local kind = type(v)
  if kind == "string" then return string.format("%q", v) end
  if kind ~= "table" or depth > 0 then
    if kind == "table" then
      local mt = getmetatable(v)
      if mt and mt.__tostring then return tostring(v) end
      return "{...}"
    end
    return tostring(v)
  end
  local mt = getmetatable(v)
  if mt and mt.__tostring then return tostring(v) end
  local parts, n = {}, 0
  for i, x in ipairs(v) do
    n = n + 1
    if n > 20 then parts[#parts + 1] = "..."; break end
    parts[#parts + 1] = repl.show(x, depth + 1)
  end
  local keys = {}
  for k in pairs(v) do
    if not (math.type(k) == "integer" and k >= 1 and k <= #v) then keys[#keys + 1] = k end
  end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  for i, k in ipairs(keys) do
    if i > 20 then parts[#parts + 1] = "..."; break end
    local name = type(k) == "string" and k:match("^[%a_][%w_]*$") and k or ("[" .. repl.show(k, 1) .. "]")
    parts[#parts + 1] = name .. " = " .. repl.show(v[k], depth + 1)
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

local function format_time(seconds)
  if seconds < 1e-3 then return string.format("%.0f µs", seconds * 1e6) end
  if seconds < 1 then return string.format("%.1f ms", seconds * 1e3) end
  return string.format("%.2f s", seconds)
end

--- Error message with a traceback that stops at the REPL's own frames.
function repl.traceback(message)
  local trace = debug.traceback(tostring(message), 2)
  return (trace:gsub("\n%s*%[C%]: in function 'xpcall'.*$", ""))
end

--- Compiles `source` as an expression (to print its values) or as statements.
--- Returns the chunk, or nil and "incomplete" / an error message.
function repl.compile(source)
  local chunk, expression_error = load("return " .. source, "=stdin", "t")
  if chunk then return chunk end
  local err
  chunk, err = load(source, "=stdin", "t")
  if chunk then return chunk end
  -- "x = f(); x": statements followed by an expression whose value is shown.
  local head, tail = source:match("^(.*;)%s*([^;]-)%s*$")
  if head and tail ~= "" then
    local combined = load(head .. " return " .. tail, "=stdin", "t")
    if combined then return combined end
  end
  if err:match("<eof>$") or expression_error:match("<eof>$") then return nil, "incomplete" end
  return nil, err
end

--- Evaluates one complete input: prints results (unless it ends with ';') and the time taken.
--- Returns "incomplete" when more lines are needed, else "done".
function repl.eval(source)
  local chunk, err = repl.compile(source)
  if not chunk then
    if err == "incomplete" then return "incomplete" end
    io.stderr:write(paint("31", err) .. "\n")
    return "done"
  end
  local quiet = source:match(";%s*$") ~= nil
  local started = clock()
  local results = table.pack(xpcall(chunk, repl.traceback))
  local elapsed = clock() - started
  if not results[1] then
    io.stderr:write(paint("31", tostring(results[2])) .. "\n")
  elseif not quiet and results.n > 1 then
    local shown = {}
    for i = 2, results.n do shown[#shown + 1] = repl.show(results[i]) end
    print(table.concat(shown, "\t"))
  end
  if repl.timing ~= false then print(paint("2", "[" .. format_time(elapsed) .. "]")) end
  return "done"
end

-- Names a value offers for completion: table keys, methods through __index tables, and
-- tensor methods for tensors.
local function members(value)
  local names, seen = {}, {}
  local function add(k) if type(k) == "string" and not seen[k] then seen[k] = true; names[#names + 1] = k end end
  if torch.is_tensor(value) then
    for k in pairs(torch.Tensor) do add(k) end
    for _, k in ipairs({"grad", "requires_grad", "shape", "dtype", "is_leaf", "grad_fn", "T", "data", "ndim"}) do add(k) end
    return names
  end
  local t, guard = value, 0
  while type(t) == "table" and guard < 16 do
    for k in pairs(t) do add(k) end
    local mt = getmetatable(t)
    t = mt and type(mt.__index) == "table" and mt.__index or nil
    guard = guard + 1
  end
  return names
end

--- Candidates completing `text` (e.g. "torch.ra", "x:su", "pri"). Never runs user code:
--- only walks global tables by name.
function repl.complete(text)
  local prefix, sep, partial = text:match("^(.-)([%.:])([%w_]*)$")
  local base, names
  if prefix then
    local value = _G
    for part in prefix:gmatch("[^%.]+") do
      if type(value) ~= "table" and not torch.is_tensor(value) then return {} end
      local ok, v = pcall(function() return value[part] end)
      if not ok then return {} end
      value = v
    end
    if value == nil then return {} end
    base, names = prefix .. sep, members(value)
  else
    base, partial, names = "", text, members(_G)
    for _, kw in ipairs({"and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if",
                         "in", "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while"}) do
      names[#names + 1] = kw
    end
  end
  local out = {}
  for _, name in ipairs(names) do
    if name:sub(1, #partial) == partial and not name:match("^__") then out[#out + 1] = base .. name end
  end
  table.sort(out)
  return out
end

--- `?name`: prints the documentation of a documented API name.
function repl.help(name)
  local docs = require "lumen.help"
  name = name:gsub("^%s+", ""):gsub("%s+$", "")
  if name == "" then
    print("Type ?name for help on a function, e.g. ?torch.zeros or ?Tensor.sum. Documented names:")
    local keys = {}
    for k in pairs(docs) do keys[#keys + 1] = k end
    table.sort(keys)
    print("  " .. table.concat(keys, "  "))
    return
  end
  local key = name:gsub("^x:", "Tensor."):gsub(":", ".")
  local entry = docs[key] or docs["torch." .. key] or docs["Tensor." .. key]
  if entry then print(entry) return end
  local matches = {}
  for k in pairs(docs) do if k:find(name, 1, true) then matches[#matches + 1] = k end end
  table.sort(matches)
  if #matches > 0 then print("no help for " .. name .. "; related: " .. table.concat(matches, ", "))
  else print("no help for " .. name) end
end

return repl
