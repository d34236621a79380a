-- lumen.notebook: the uniform frame of a curriculum script (`scripts/NNN_slug.lua`).
--
-- A script declares who it is, its config and its key metrics; then reports metrics, figures,
-- tables and outcome checks through the returned object. Everything is also written to
-- `<out>/result.json` as it happens, so `lumen notebooks` reads a script's results without
-- parsing its printed text (and keeps what a script reported before it crashed).
--
--   local nb = notebook.start{
--     id = "051", title = "Neural network foundations",
--     key_metrics = {"binning_accuracy"},        -- shown in the runner's summary table
--     config = {epochs = 30, hidden = 64},       -- the full-size settings
--     quick = {epochs = 3},                      -- overrides applied by --quick
--   }
--   local config = nb.config                     -- merged; nb.quick tells which mode
--   nb:section("Backprop by hand")               -- prints a cell banner
--   nb:metric("binning_accuracy", 0.963)         -- prints binning_accuracy=0.9630
--   plot.line(nb:figure("loss.png", "Training loss"), {...})
--   nb:check("hand MLP accuracy >= 0.95", acc >= 0.95, string.format("%.3f", acc))
--   nb:finish()                                  -- exit 1 (error) if any check failed
--
-- Command line (the script's `arg`): --quick, --out DIR (default out/<id>), --seed N.
local json = require "lumen.json"

local notebook = {}

local Notebook = {}
Notebook.__index = Notebook

local function parse_arguments(args)
  local options = {quick = false}
  local i = 1
  while args and args[i] ~= nil do
    local a = args[i]
    if a == "--quick" then
      options.quick = true
    elseif a == "--out" or a == "--seed" then
      local value = args[i + 1]
      if value == nil then error(string.format("[notebook] %s needs a value", a), 0) end
      if a == "--out" then
        options.out = value
      else
        options.seed = math.tointeger(tonumber(value))
        if options.seed == nil then error(string.format("[notebook] --seed expects an integer; got %q", value), 0) end
      end
      i = i + 1
    else
      error(string.format("[notebook] unknown argument %q (expected --quick, --out DIR, --seed N)", tostring(a)), 0)
    end
    i = i + 1
  end
  return options
end

-- Shallow-copies `base` and applies `overrides` (quick mode); unknown override keys are errors,
-- so a typo in a quick table cannot silently leave a full-size setting in CI.
local function merge_config(base, overrides)
  local merged = {}
  for k, v in pairs(base or {}) do merged[k] = v end
  for k, v in pairs(overrides or {}) do
    if base and base[k] == nil then
      error(string.format("[notebook] quick override %q has no matching config field", tostring(k)), 0)
    end
    merged[k] = v
  end
  return merged
end

--- Starts a notebook run; see the header for the fields of `spec`.
function notebook.start(spec)
  if type(spec) ~= "table" then error("[notebook.start] expected a table {id=, title=, ...}", 2) end
  if type(spec.id) ~= "string" or type(spec.title) ~= "string" then
    error("[notebook.start] id and title must be strings", 2)
  end
  local options = parse_arguments(spec.args or arg)
  local self = setmetatable({}, Notebook)
  self.id, self.title = spec.id, spec.title
  self.quick = options.quick
  self.seed = options.seed or spec.seed or 0
  self.out = options.out or ("out/" .. spec.id)
  self.config = self.quick and merge_config(spec.config, spec.quick) or merge_config(spec.config)
  self.started = lumen_internal.clock()
  self.result = {
    id = spec.id, title = spec.title, quick = self.quick, seed = self.seed, status = "running",
    key_metrics = spec.key_metrics or {}, metrics = {}, figures = {}, tables = {}, checks = {},
  }
  lumen_internal.mkdir(self.out)
  torch.manual_seed(self.seed)
  print(string.format("# %s %s (%s mode, seed %d, output in %s)", self.id, self.title,
    self.quick and "quick" or "full", self.seed, self.out))
  self:save()
  return self
end

--- Writes result.json (called after every report, so partial results survive a crash).
function Notebook:save()
  self.result.seconds = lumen_internal.clock() - self.started
  local file, message = io.open(self.out .. "/result.json", "w")
  if not file then error("[notebook] cannot write result.json: " .. tostring(message), 0) end
  file:write(json.encode(self.result))
  file:close()
end

--- Prints a cell banner.
function Notebook:section(title)
  print("\n-- %% " .. title)
end

--- Records and prints a named metric (`name=value`); numbers, booleans and strings are allowed.
function Notebook:metric(name, value, format)
  if torch.is_tensor(value) then value = value:item() end
  local kind = type(value)
  if kind ~= "number" and kind ~= "string" and kind ~= "boolean" then
    error(string.format("[notebook.metric] %s: expected a number, string or boolean; got %s", tostring(name), kind), 2)
  end
  local shown = kind == "number" and string.format(format or (math.type(value) == "integer" and "%d" or "%.4f"), value)
    or tostring(value)
  local metrics = self.result.metrics
  for _, m in ipairs(metrics) do
    if m.name == name then m.value, m.shown = value, shown; print(name .. "=" .. shown); self:save(); return value end
  end
  metrics[#metrics + 1] = {name = name, value = value, shown = shown}
  print(name .. "=" .. shown)
  self:save()
  return value
end

--- Returns the path for a figure file in the output folder and records it with its caption.
function Notebook:figure(file, caption)
  if type(file) ~= "string" or not file:match("%.png$") then
    error(string.format("[notebook.figure] expected a file name ending in .png; got %s", tostring(file)), 2)
  end
  local figures = self.result.figures
  figures[#figures + 1] = {file = file, caption = caption or file}
  self:save()
  return self.out .. "/" .. file
end

--- Records and prints a small table: `header` is a list of column names, `rows` a list of lists.
function Notebook:table(name, header, rows)
  local widths = {}
  for c, h in ipairs(header) do widths[c] = #tostring(h) end
  local cells = {}
  for r, row in ipairs(rows) do
    cells[r] = {}
    for c = 1, #header do
      local v = row[c]
      local s = type(v) == "number" and math.type(v) == "float" and string.format("%.4g", v) or tostring(v)
      cells[r][c] = s
      widths[c] = math.max(widths[c], #s)
    end
  end
  local function line(values)
    local parts = {}
    for c, v in ipairs(values) do parts[c] = v .. string.rep(" ", widths[c] - #v) end
    print("  " .. table.concat(parts, "  "))
  end
  print(name .. ":")
  line(header)
  for _, row in ipairs(cells) do line(row) end
  local tables = self.result.tables
  tables[#tables + 1] = {name = name, header = header, rows = cells}
  self:save()
end

--- Records an outcome check; `detail` says what was measured (e.g. the value against the floor).
function Notebook:check(name, passed, detail)
  passed = passed and true or false
  local checks = self.result.checks
  checks[#checks + 1] = {name = name, passed = passed, detail = detail and tostring(detail) or ""}
  print(string.format("check %s: %s%s", passed and "PASS" or "FAIL", name, detail and (" (" .. tostring(detail) .. ")") or ""))
  self:save()
  return passed
end

--- Ends the run: prints the check summary and raises an error (exit 1) if any check failed.
function Notebook:finish()
  local failed = {}
  for _, c in ipairs(self.result.checks) do
    if not c.passed then failed[#failed + 1] = c.name end
  end
  self.result.status = #failed == 0 and "passed" or "failed"
  self:save()
  print(string.format("\n%s: %d/%d outcome checks passed in %.1f s", self.id, #self.result.checks - #failed,
    #self.result.checks, self.result.seconds))
  if #failed > 0 then
    error(string.format("[notebook] %s failed %d outcome check(s): %s", self.id, #failed, table.concat(failed, "; ")), 0)
  end
end

-- `?notebook.start` help in the REPL.
local docs = require "lumen.help"
docs["notebook.start"] = "notebook.start{id=, title=, key_metrics=, config=, quick=} -> nb (the frame of a curriculum script)\n  parses --quick / --out DIR / --seed N; nb.config, nb.quick, nb.out; results go to <out>/result.json"
docs["notebook.metric"] = "nb:metric(name, value [, format]) -> prints name=value and records it for `lumen notebooks`"
docs["notebook.figure"] = "nb:figure(\"file.png\", caption) -> path in the output folder, recorded for the report"
docs["notebook.check"] = "nb:check(name, passed, detail) -> records an outcome check; nb:finish() fails the run (exit 1) if any failed"

return notebook
