-- Deterministic domain data generators for post-silicon validation (Swift, Engine/Data),
-- merged by the prelude into the global `data` table.
--
--   local wm = data.wafer_maps{n = 900, size = 32, seed = 1}     -- wm.maps, wm.labels, wm.classes, wm.boxes
--   local p  = data.parametric{n = 5000, seed = 1, sites = 4}     -- p.x, p.columns, p.pass, p.hard_bin, ...
--   local tt = data.test_times{lots = 2000, weeks = 52, seed = 1} -- tt.times, tt.daily, tt.week, ...
--   local st = data.sensor_traces{n = 500, length = 128, channels = 6, seed = 1, anomaly_rate = 0.1}
--   local fl = data.failure_logs{n = 1000, seed = 1, split = "train"}
--   local im = data.die_images{n = 200, size = 64, seed = 1}       -- im.images, im.boxes
--   data.write_stdf("lot.stdf", {tests = ..., results = ..., hard_bin = ...}); data.read_stdf("lot.stdf")
--
-- Every generator takes one options table and returns one result table. The same seed always
-- gives the same data; without `seed`, one is drawn from the generator torch.manual_seed sets.
-- Unknown options are errors. Ids, labels and coordinates count from 1.
local native = lumen_internal
local M = {}

local generators = {
  "wafer_maps", "parametric", "test_times", "sensor_traces", "failure_logs", "alarm_messages",
  "test_programs", "instructions", "parallel_corpus", "die_images",
}
-- The native functions check their options themselves; calling them directly keeps error
-- positions at the caller's line.
for _, name in ipairs(generators) do M[name] = native["datagen_" .. name] end

-- Re-raises a native error at the caller of the Lua wrapper (level 3; so wrappers must not
-- tail-call this), without the wrapper's own position.
local function call(f, ...)
  local results = table.pack(pcall(f, ...))
  if not results[1] then
    local message = tostring(results[2]):gsub("^[^%[]-:%d+: ", "", 1)
    error(message, 3)
  end
  return table.unpack(results, 2, results.n)
end

--- Reads an STDF V4 file: per-part results (parts x tests, NaN where a test did not run),
--- pass/fail, bins, coordinates, the tests with their limits, MIR fields and bin summaries.
function M.read_stdf(path)
  if type(path) ~= "string" then error("[read_stdf] expected a file path; got " .. type(path), 2) end
  local file = call(native.datagen_read_stdf, path)
  return file
end

--- Writes an STDF V4 file. `spec.tests` lists {number=, name=, units=, low=, high=}; instead,
--- `columns` (names) with optional `limits` (name -> {low, high}) and `units` make tests numbered
--- 1000, 1010, ... — so a data.parametric result can be written with its own fields:
---   data.write_stdf("lot.stdf", {columns = p.columns, limits = p.limits, units = p.units,
---                                results = p.x, hard_bin = p.hard_bin, soft_bin = p.soft_bin, pass = p.pass})
--- Returns the number of bytes written.
function M.write_stdf(path, spec)
  if type(path) ~= "string" then error("[write_stdf] expected a file path as argument 1; got " .. type(path), 2) end
  if type(spec) ~= "table" then error("[write_stdf] expected a table as argument 2; got " .. type(spec), 2) end
  if spec.tests == nil and spec.columns ~= nil then
    local copy = {}
    for k, v in pairs(spec) do
      if k ~= "columns" and k ~= "limits" and k ~= "units" then copy[k] = v end
    end
    local tests = {}
    for j, name in ipairs(spec.columns) do
      local limit = spec.limits and spec.limits[name] or {}
      tests[j] = {number = 1000 + 10 * (j - 1), name = name, units = spec.units and spec.units[j] or "",
                  low = limit[1], high = limit[2]}
    end
    copy.tests = tests
    spec = copy
  end
  local bytes = call(native.datagen_write_stdf, path, spec)
  return bytes
end

-- `?data.name` help in the REPL (added to lumen.help's table, so help.lua stays untouched).
local docs = {
  ["data.wafer_maps"] = "data.wafer_maps{n=1000, size=32, classes=, seed=, imbalance=, shift=, mixed=, as_codes=} -> table\n"
    .. "  WM-811K-like wafer bin maps: maps (n,1,size,size) float32 0 off-wafer / 0.5 pass / 1 fail (int64 0/1/2 with as_codes),\n"
    .. "  labels (n) int64 1..9 into classes {Center, Donut, Edge-Loc, Edge-Ring, Loc, Near-full, Random, Scratch, none},\n"
    .. "  multi_hot (n,9), patterns, boxes[i] = {{x1,y1,x2,y2,label=k}, ...} (1-based die columns x, rows y: maps[i][1][y][x]).\n"
    .. "  classes = list of names or a count; imbalance = true | fraction of none | weights; shift = true | 0..1 (fab B);\n"
    .. "  mixed = true (half of mixable maps get a second pattern) | fraction. shift = true is 0.6 (about 10-20 points\n"
    .. "  lost by a model trained on unshifted maps); 1 is the strongest.  data.wafer_maps{n = 900, seed = 1}",
  ["data.parametric"] = "data.parametric{n=1000, seed=, sites=1, fab=1, outlier_rate=0.02} -> table\n"
    .. "  x (n,8) float32 with columns {Vth, Idsat, Ioff, Rc, Fmax, Iddq, power, temperature} and units, corner 1..5 (corner_names TT FF SS FS SF),\n"
    .. "  limits (name -> {low, high}), low/high lists, pass (bool), soft_bin/hard_bin (1-based, *_names), outlier (bool), outlier_kind,\n"
    .. "  site (fab id), test_time (s), yield. sites = k spreads devices over fabs 1..k, each with its own distribution (non-IID).",
  ["data.test_times"] = "data.test_times{lots=2000, weeks=52, products=4, testers=6, seed=} -> table\n"
    .. "  Per lot in arrival order: times (hours), per_unit (s), units, day, week, weekday (1 = Mon), product, tester; daily and weekly\n"
    .. "  mean lot time series; tester_changes {week=, tester=, factor=}. Trend, weekly seasonality, product mix drift, tester upgrades.",
  ["data.sensor_traces"] = "data.sensor_traces{n=500, length=128, channels=6, seed=, anomaly_rate=0.1, normalize=false} -> table\n"
    .. "  x (n,length,channels) float32 test-cell traces (channels names), anomaly (n) bool, step_anomaly (n,length) bool,\n"
    .. "  kind (n) 1..4 = {normal, spike, drift, level_shift}, channel (n) hit channel (0 for normal traces).",
  ["data.failure_logs"] = "data.failure_logs{n=1000, seed=, split=\"all\"|\"train\"|\"test\"} -> table\n"
    .. "  texts, category / equipment / root_cause (int64 1-based) with *_names, summaries, entities[i] = {{start=, stop=, type=EQUIP|TEST|LOT}},\n"
    .. "  heldout (bool). split = \"test\" uses held-out report styles, phrasings and equipment numbers only.",
  ["data.alarm_messages"] = "data.alarm_messages{n=1000, seed=, split=} -> table: texts, severity (1..3 info/warning/critical, from the values),\n"
    .. "  type (1..10), equipment, actions (normalized action text), heldout",
  ["data.test_programs"] = "data.test_programs{n=200, seed=} -> table: texts (programs in a small test DSL), names, test_counts",
  ["data.instructions"] = "data.instructions{n=1000, seed=, split=} -> table: instructions, responses (preferred), rejected (dispreferred),\n"
    .. "  unsafe (bool; refusals as responses), task (1-based, task_names), heldout",
  ["data.parallel_corpus"] = "data.parallel_corpus{n=1000, seed=, split=, target=\"tessic\"|\"legacy\"} -> table: source (English test specs),\n"
    .. "  target (made-up language Tessic, or legacy test code), pattern, heldout. Same seed, same English for both targets.",
  ["data.die_images"] = "data.die_images{n=200, size=64, seed=, max_objects=4} -> table: images (n,1,size,size) float32 in [0,1],\n"
    .. "  boxes[i] = {{x1,y1,x2,y2,label=k}, ...} (1-based pixels), labels[i], classes {scratch, particle, void, crack}",
  ["data.read_stdf"] = "data.read_stdf(path) -> table: results (parts,tests) float32 (NaN = not run), test_failed, pass, hard_bin, soft_bin,\n"
    .. "  x, y, site, head, test_time, part_id, wafer/wafer_ids, tests {{number=, name=, units=, low=, high=}}, test_numbers,\n"
    .. "  test_names, mir (lot_id, part_typ, ...), hard_bins/soft_bins summaries, record_counts, skipped. STDF V4, CPU_TYP 2 or 1.",
  ["data.write_stdf"] = "data.write_stdf(path, {tests= | columns=, limits=, units=, results=, hard_bin=, soft_bin=, pass=, x=, y=, site=,\n"
    .. "  part_id=, test_time=, wafer=, wafer_ids=, hard_bin_names=, soft_bin_names=, lot_id=, part_type=, ...}) -> bytes written\n"
    .. "  data.write_stdf(\"lot.stdf\", {columns = p.columns, limits = p.limits, units = p.units, results = p.x, hard_bin = p.hard_bin})",
}
local ok, help = pcall(require, "lumen.help")
if ok and type(help) == "table" then
  for k, v in pairs(docs) do if help[k] == nil then help[k] = v end end
end

return M
