-- Timing and printing shared by the Lua benchmarks (loaded with dofile from the script's folder):
--   local util = dofile((arg[0]:match("^(.*)/") or ".") .. "/bench_util.lua")
local clock = lumen_internal.clock
local bench = {}

--- Mean seconds per call of fn over `reps` calls, after `warm` (default 3) untimed calls.
function bench.timeit(fn, reps, warm)
  for _ = 1, warm or 3 do fn() end
  local started = clock()
  for _ = 1, reps do fn() end
  return (clock() - started) / reps
end

--- One `name value unit` line (the format bench/*.py and the notes compare).
function bench.report(name, value, unit)
  print(string.format("%-34s %10.3f %s", name, value, unit))
end

return bench
