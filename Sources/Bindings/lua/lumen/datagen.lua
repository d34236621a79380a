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

return M
