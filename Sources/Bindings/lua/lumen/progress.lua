-- lumen.progress: progress bars and metric logs. `require "lumen.progress"` or, the same table,
-- `data.progress`; the logger is also `data.Logger`.
--
--   local bar = data.progress.bar(#loader, {label = "epoch 1"})
--   for x, y in loader:iter() do
--     local loss = step(x, y)
--     bar:update(1, {loss = loss})           -- advance by 1, show loss (numbers or 1-element tensors)
--   end
--   bar:close()
--
--   for x, y in bar:wrap(loader:iter()) do ... end   -- same, counting iterations for you
--
--   local log = data.Logger({path = "runs/metrics.csv"})           -- or "metrics.jsonl"
--   log:log({epoch = 1, loss = 0.31, acc = 0.9}); log:close()
--
-- On a terminal (stdout is a TTY) the bar redraws one line in place (\r), at most every 0.1 s:
--   epoch 1  45%|█████████           | 450/1000 [00:02<00:03, 180.21 it/s] loss=0.1234
-- Otherwise (CI logs, pipes) it prints plain lines, one each time another tenth of the total is
-- done (option `lines`, default 10), at least every `interval` seconds (default 30) and at close:
--   epoch 1: 450/1000 (45%) elapsed 2.5s, 180.2 it/s, eta 3.1s | loss=0.1234
local progress = {}

local clock = lumen_internal.clock

--- "1.5s", "2m05s", "1h02m".
function progress.format_seconds(s)
  if s ~= s or s == math.huge then return "?" end
  if s < 60 then return string.format("%.1fs", s) end
  if s < 3600 then return string.format("%dm%02ds", s // 60, math.floor(s % 60)) end
  return string.format("%dh%02dm", s // 3600, math.floor(s % 3600) // 60)
end

-- "01:05" or "1:02:03" as tqdm prints times.
local function clock_time(s)
  if s ~= s or s == math.huge then return "?" end
  s = math.floor(s + 0.5)
  if s >= 3600 then return string.format("%d:%02d:%02d", s // 3600, s % 3600 // 60, s % 60) end
  return string.format("%02d:%02d", s // 60, s % 60)
end

--- A value as shown in progress lines and logs: numbers with 4 significant digits.
function progress.format_value(v)
  if torch.is_tensor(v) then
    if v:numel() ~= 1 then return tostring(v:numel()) .. " values" end
    v = v:dim() == 0 and v:item() or v:reshape(1)[1]
  end
  if math.type(v) == "integer" then return string.format("%d", v) end
  if type(v) == "number" then
    if v ~= v then return "nan" end
    local a = math.abs(v)
    if a ~= 0 and (a >= 1e5 or a < 1e-3) then return string.format("%.3e", v) end
    local s = string.format("%.4f", v):gsub("0+$", ""):gsub("%.$", "")
    return s
  end
  return tostring(v)
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

-- MARK: bar -----------------------------------------------------------------------------------

local Bar = {}
Bar.__index = Bar
Bar.__name = "progress.Bar"

local bar_options = {label = true, tty = true, out = true, lines = true, interval = true, width = true,
  redraw = true, clock = true, unit = true}

--- A progress bar over `total` steps (nil when unknown). Options: label, unit ("it"),
--- tty (default: stdout is a terminal), out (a file handle or a function(text); default
--- io.stdout), lines (plain lines per run when not a TTY, default 10), interval (seconds between
--- plain lines at most, default 30), width (bar cells, default 20), redraw (seconds between TTY
--- redraws, default 0.1), clock (a function returning seconds; default a monotonic clock).
function progress.bar(total, options)
  if type(total) == "table" and options == nil then options, total = total, total.total end
  options = options or {}
  if total ~= nil and (type(total) ~= "number" or total < 0) then
    error("[progress.bar] total must be a non-negative number or nil; got " .. tostring(total), 2)
  end
  for k in pairs(options) do
    if not bar_options[k] and k ~= "total" then
      error(string.format("[progress.bar] unknown option %q (expected label, unit, tty, out, lines, interval, width, redraw, clock)", tostring(k)), 2)
    end
  end
  local self = setmetatable({}, Bar)
  self.total = total
  self.label = options.label
  self.unit = options.unit or "it"
  self.tty = options.tty
  if self.tty == nil then self.tty = lumen_internal.isatty(1) end
  local out = options.out or io.stdout
  if type(out) == "function" then self.write = out
  else self.write = function(s) out:write(s); out:flush() end end
  self.lines = options.lines or 10
  self.interval = options.interval or 30
  self.width = options.width or 20
  self.redraw = options.redraw or 0.1
  self.clock = options.clock or clock
  self.count = 0
  self.values = {}
  self.started = self.clock()
  self.last_draw = -math.huge
  self.last_line_time = self.started
  self.last_line_count = 0
  self.next_mark = 1
  self.closed = false
  return self
end

function Bar:elapsed() return self.clock() - self.started end

local function rate_text(self, elapsed)
  if elapsed <= 0 or self.count == 0 then return "? " .. self.unit .. "/s" end
  local rate = self.count / elapsed
  if rate < 1 then return string.format("%.2f s/%s", 1 / rate, self.unit) end
  return string.format("%.2f %s/s", rate, self.unit)
end

local function values_text(self)
  local parts = {}
  for _, k in ipairs(sorted_keys(self.values)) do
    parts[#parts + 1] = tostring(k) .. "=" .. progress.format_value(self.values[k])
  end
  return table.concat(parts, " ")
end

local function eta(self, elapsed)
  if not self.total or self.count == 0 then return math.huge end
  return elapsed / self.count * math.max(self.total - self.count, 0)
end

-- The one-line TTY rendering.
function Bar:render()
  local elapsed = self:elapsed()
  local head = self.label and (self.label .. " ") or ""
  local line
  if self.total and self.total > 0 then
    local frac = math.min(self.count / self.total, 1)
    local cells = frac * self.width
    local full = math.floor(cells)
    local partial = math.floor((cells - full) * 8)
    local blocks = {"▏", "▎", "▍", "▌", "▋", "▊", "▉"}
    local bar = string.rep("█", full)
    if full < self.width then
      bar = bar .. (partial > 0 and blocks[partial] or " ") .. string.rep(" ", self.width - full - 1)
    end
    line = string.format("%s%3d%%|%s| %d/%d [%s<%s, %s]", head, math.floor(frac * 100), bar, self.count, self.total,
      clock_time(elapsed), clock_time(eta(self, elapsed)), rate_text(self, elapsed))
  else
    line = string.format("%s%d %s [%s, %s]", head, self.count, self.unit, clock_time(elapsed), rate_text(self, elapsed))
  end
  local v = values_text(self)
  if v ~= "" then line = line .. " " .. v end
  return line
end

-- The plain (non-TTY) line.
function Bar:line()
  local elapsed = self:elapsed()
  local head = self.label and (self.label .. ": ") or ""
  local line
  if self.total then
    local pct = self.total > 0 and math.floor(math.min(self.count / self.total, 1) * 100) or 100
    line = string.format("%s%d/%d (%d%%) elapsed %s, %s", head, self.count, self.total, pct,
      progress.format_seconds(elapsed), rate_text(self, elapsed))
    if self.count < self.total then line = line .. ", eta " .. progress.format_seconds(eta(self, elapsed)) end
  else
    line = string.format("%s%d %s, elapsed %s, %s", head, self.count, self.unit, progress.format_seconds(elapsed),
      rate_text(self, elapsed))
  end
  local v = values_text(self)
  if v ~= "" then line = line .. " | " .. v end
  return line
end

local function emit_line(self, now)
  self.write(self:line() .. "\n")
  self.last_line_time = now
  self.last_line_count = self.count
end

--- Advances by `n` (default 1) and sets named values (e.g. {loss = l}); redraws as needed.
function Bar:update(n, values)
  if type(n) == "table" and values == nil then n, values = 1, n end
  n = n or 1
  if type(n) ~= "number" then error("[progress.update] step must be a number; got " .. type(n), 2) end
  if self.closed then return self end
  self.count = self.count + n
  if values then for k, v in pairs(values) do self.values[k] = v end end
  local now = self.clock()
  if self.tty then
    local finished = self.total and self.count >= self.total
    if finished or now - self.last_draw >= self.redraw then
      self.write("\r" .. self:render() .. "\27[K")
      self.last_draw = now
    end
  else
    local due = false
    if self.total and self.total > 0 and self.lines > 0 then
      local mark = self.next_mark
      while mark <= self.lines and self.count >= self.total * mark / self.lines do
        mark = mark + 1
        due = true
      end
      self.next_mark = mark
    end
    if not due and now - self.last_line_time >= self.interval then due = true end
    if due then emit_line(self, now) end
  end
  return self
end

--- Sets named values without advancing.
function Bar:set(values)
  return self:update(0, values)
end

--- Finishes the bar: the final state (TTY: redrawn, then a newline; plain: a last line unless
--- the current count was just printed).
function Bar:close()
  if self.closed then return end
  if self.tty then
    self.write("\r" .. self:render() .. "\27[K\n")
  elseif self.last_line_count ~= self.count or self.count == 0 then
    emit_line(self, self.clock())
  end
  self.closed = true
end

--- Wraps a generic-for iterator, counting one step per iteration and closing at the end:
---   for x, y in bar:wrap(loader:iter()) do ... end
function Bar:wrap(iterator, state, control)
  local started = false
  return function()
    if started then self:update(1) end
    started = true
    local results = table.pack(iterator(state, control))
    control = results[1]
    if control == nil then self:close() end
    return table.unpack(results, 1, results.n)
  end
end

Bar.__tostring = Bar.render

-- MARK: Logger --------------------------------------------------------------------------------

local json = require "lumen.json"

local Logger = {}
Logger.__index = Logger
Logger.__name = "Logger"
progress.Logger = Logger

-- Fields that lead the column order when present.
local leading = {"epoch", "step", "iter", "iteration", "batch", "split", "phase", "time"}

local function order_keys(keys)
  local rank = {}
  for k, name in ipairs(leading) do rank[name] = k end
  table.sort(keys, function(a, b)
    local ra, rb = rank[a] or math.huge, rank[b] or math.huge
    if ra ~= rb then return ra < rb end
    return tostring(a) < tostring(b)
  end)
  return keys
end

local function plain_value(v)
  if torch.is_tensor(v) then
    if v:numel() ~= 1 then error("[Logger] tensor values must have one element; got " .. v:numel(), 4) end
    return v:dim() == 0 and v:item() or v:reshape(1)[1]
  end
  local kind = type(v)
  if kind ~= "number" and kind ~= "string" and kind ~= "boolean" then
    error("[Logger] values must be numbers, strings, booleans or one-element tensors; got " .. kind, 4)
  end
  return v
end

local function csv_field(v)
  if v == nil then return "" end
  if type(v) == "number" then
    if v ~= v then return "" end
    if v == math.huge then return "inf" end
    if v == -math.huge then return "-inf" end
    return json.encode_number(v)
  end
  local s = tostring(v)
  if s:find('[,\r\n"]') then return '"' .. s:gsub('"', '""') .. '"' end
  return s
end

--- A metrics log file: `data.Logger({path = "m.csv"})` or `{path = "m.jsonl"}`.
--- Options: path (required), format ("csv" or "jsonl"; default from the extension, else csv),
--- fields (column order; default: epoch/step/... first, then the rest sorted), append (default
--- false: the file is replaced), echo (also print each record as `key=value` on stdout).
--- CSV: a header, then one row per log call; a record bringing new fields rewrites the file with
--- the wider header (earlier rows get empty cells). JSONL: one JSON object per line. Each log
--- call is flushed, so the file can be followed while training runs.
setmetatable(Logger, {__call = function(_, options)
  if type(options) == "string" then options = {path = options} end
  if type(options) ~= "table" or type(options.path) ~= "string" then
    error("[Logger] expected {path = \"file.csv\" | \"file.jsonl\", ...}", 2)
  end
  for k in pairs(options) do
    if k ~= "path" and k ~= "format" and k ~= "fields" and k ~= "append" and k ~= "echo" then
      error(string.format("[Logger] unknown option %q (expected path, format, fields, append, echo)", tostring(k)), 2)
    end
  end
  local format = options.format
  if format == nil then
    format = (options.path:match("%.jsonl$") or options.path:match("%.ndjson$") or options.path:match("%.json$")) and "jsonl" or "csv"
  end
  if format ~= "csv" and format ~= "jsonl" then
    error("[Logger] option format must be \"csv\" or \"jsonl\"; got " .. tostring(format), 2)
  end
  local self = setmetatable({path = options.path, format = format, echo = options.echo, rows = {}, count = 0}, Logger)
  self.fields = options.fields and {table.unpack(options.fields)} or nil
  self.fixed_fields = options.fields ~= nil
  local file, reason = io.open(self.path, options.append and "a" or "w")
  if not file then error("[Logger] cannot open " .. self.path .. ": " .. tostring(reason), 2) end
  self.file = file
  if options.append and format == "csv" then
    local size = file:seek("end")
    -- Appending to an existing CSV keeps its header; new fields cannot be added then.
    if size and size > 0 then
      local ok, _, names = pcall(lumen_internal.read_csv, self.path, true)
      if ok then self.fields = names; self.fixed_fields = true; self.header_written = true end
    end
  end
  return self
end})

local function write_csv_row(self, row)
  local parts = {}
  for k, name in ipairs(self.fields) do parts[k] = csv_field(row[name]) end
  self.file:write(table.concat(parts, ","), "\n")
end

local function write_header(self)
  local parts = {}
  for k, name in ipairs(self.fields) do parts[k] = csv_field(tostring(name)) end
  self.file:write(table.concat(parts, ","), "\n")
  self.header_written = true
end

--- Appends one record (a table of name → number/string/boolean/one-element tensor).
function Logger:log(record)
  if self.file == nil then error("[Logger] log after close (" .. self.path .. ")", 2) end
  if type(record) ~= "table" then error("[Logger] log expects a table of name = value; got " .. type(record), 2) end
  local row = {}
  for k, v in pairs(record) do
    if type(k) ~= "string" then error("[Logger] field names must be strings; got " .. type(k), 2) end
    row[k] = plain_value(v)
  end
  self.count = self.count + 1
  -- CSV keeps rows to rewrite the file when a new field appears.
  if self.format == "csv" and not self.fixed_fields then self.rows[#self.rows + 1] = row end
  local new = {}
  local known = {}
  for _, name in ipairs(self.fields or {}) do known[name] = true end
  for k in pairs(row) do if not known[k] then new[#new + 1] = k end end
  if self.fields == nil then
    self.fields = order_keys(new)
  elseif #new > 0 then
    if self.fixed_fields then
      table.sort(new)
      error(string.format("[Logger] field %q is not among the log's fields (%s)", new[1], table.concat(self.fields, ", ")), 2)
    end
    for _, k in ipairs(order_keys(new)) do self.fields[#self.fields + 1] = k end
    if self.format == "csv" then
      -- Rewrite with the wider header.
      self.file:close()
      local file, reason = io.open(self.path, "w")
      if not file then error("[Logger] cannot rewrite " .. self.path .. ": " .. tostring(reason), 2) end
      self.file = file
      write_header(self)
      for k = 1, #self.rows - 1 do write_csv_row(self, self.rows[k]) end
    end
  end
  if self.format == "csv" then
    if not self.header_written then write_header(self) end
    write_csv_row(self, row)
  else
    self.file:write(json.encode(row, self.fields), "\n")
  end
  self.file:flush()
  if self.echo then
    local parts = {}
    for _, name in ipairs(self.fields) do
      if row[name] ~= nil then parts[#parts + 1] = name .. "=" .. progress.format_value(row[name]) end
    end
    print(table.concat(parts, " "))
  end
  return self
end

--- Closes the file (further log calls are errors).
function Logger:close()
  if self.file then self.file:close(); self.file = nil end
end

function Logger:__tostring()
  return string.format("Logger(%s, %s, %d records)", self.path, self.format, self.count)
end

progress.Bar = Bar
return progress
