-- Lumen's Lua test framework, used by `lumen test` (Tests/lua/*.lua).
--
--   test("adds tensors", function()
--     assert_close(torch.ones(2) + 1, {2, 2})
--     assert_error(function() torch.zeros(2):select(1, 9) end, "[select]")
--   end)
--
-- Assertions raise errors naming what differed; the runner prints one line per test and a
-- closing "N passed, N failed" line.
local testing = {}

local registered = {}

--- Registers a test case (global `test` inside test files).
function testing.test(name, fn)
  registered[#registered + 1] = {name = name, fn = fn}
end

local function describe(v)
  if torch.is_tensor(v) then return tostring(v) end
  if type(v) == "table" then
    local parts = {}
    for i, x in ipairs(v) do parts[i] = describe(x) end
    return "{" .. table.concat(parts, ", ") .. "}"
  end
  return tostring(v)
end

--- Values as a flat list of numbers (tensor, nested table or number).
local function flat(v)
  if torch.is_tensor(v) then v = v:totable() end
  if type(v) ~= "table" then return {v} end
  local out = {}
  local function walk(t)
    for _, x in ipairs(t) do
      if type(x) == "table" then walk(x) else out[#out + 1] = (x == true and 1) or (x == false and 0) or x end
    end
  end
  walk(v)
  return out
end

function testing.assert_true(v, message)
  if not v then error(message or "expected a true value", 2) end
end

function testing.assert_eq(actual, expected, message)
  if actual ~= expected then
    error(string.format("%sexpected %s, got %s", message and (message .. ": ") or "", describe(expected), describe(actual)), 2)
  end
end

--- Elementwise |a - e| <= atol + rtol*|e| over tensors/tables/numbers (shapes flattened).
function testing.assert_close(actual, expected, tolerance, message)
  local tol = tolerance or 1e-5
  local a, e = flat(actual), flat(expected)
  if #a ~= #e then
    error(string.format("%sexpected %d values, got %d: %s", message and (message .. ": ") or "", #e, #a, describe(actual)), 2)
  end
  for i = 1, #a do
    local x, y = a[i], e[i]
    local bad = (x ~= x) ~= (y ~= y) or (y == y and math.abs(x - y) > tol * (1 + math.abs(y)))
    if bad then
      error(string.format("%svalue %d: expected %s, got %s (in %s)", message and (message .. ": ") or "", i,
        tostring(y), tostring(x), describe(actual)), 2)
    end
  end
end

--- Expects fn to raise an error whose message contains `fragment` (plain text).
function testing.assert_error(fn, fragment, message)
  local ok, err = pcall(fn)
  if ok then error((message and (message .. ": ") or "") .. "expected an error, none raised", 2) end
  if fragment and not tostring(err):find(fragment, 1, true) then
    error(string.format("%serror %q does not contain %q", message and (message .. ": ") or "", tostring(err), fragment), 2)
  end
  return err
end

local function collect(path, files)
  if path:sub(-4) == ".lua" then files[#files + 1] = path; return end
  local ok, entries = pcall(lumen_internal.listdir, path)
  if not ok then error("cannot read test path " .. path, 0) end
  for _, name in ipairs(entries) do
    if name:sub(-1) == "/" then collect(path .. "/" .. name:sub(1, -2), files)
    elseif name:match("^test_.*%.lua$") or name:match("_test%.lua$") then files[#files + 1] = path .. "/" .. name end
  end
end

--- Runs the test files under `paths`; returns the number of failures (plus load errors).
function testing.run(paths)
  if #paths == 0 then paths = {"Tests/lua"} end
  local files = {}
  for _, p in ipairs(paths) do collect(p, files) end
  local passed, failed = 0, 0
  local color = lumen_internal.isatty(1)
  local function paint(code, s) return color and ("\27[" .. code .. "m" .. s .. "\27[0m") or s end
  local env_names = {"test", "assert_true", "assert_eq", "assert_close", "assert_error"}
  for _, file in ipairs(files) do
    registered = {}
    for _, n in ipairs(env_names) do _G[n] = testing[n] end
    local chunk, load_error = loadfile(file)
    local ok, err = chunk ~= nil, load_error
    if chunk then ok, err = xpcall(chunk, debug.traceback) end
    if not ok then
      failed = failed + 1
      print(paint("31", "FAIL") .. " " .. file .. " (loading): " .. tostring(err))
    end
    for _, case in ipairs(registered) do
      torch.manual_seed(0)
      local started = lumen_internal.clock()
      local case_ok, case_err = xpcall(case.fn, debug.traceback)
      local ms = (lumen_internal.clock() - started) * 1000
      if case_ok then
        passed = passed + 1
        print(string.format("%s %s: %s (%.0f ms)", paint("32", "ok  "), file, case.name, ms))
      else
        failed = failed + 1
        print(string.format("%s %s: %s\n    %s", paint("31", "FAIL"), file, case.name, tostring(case_err):gsub("\n", "\n    ")))
      end
    end
  end
  print(string.format("%d passed, %d failed", passed, failed))
  return failed
end

testing.test_api = {"test", "assert_true", "assert_eq", "assert_close", "assert_error"}
return testing
