-- lumen.progress (data.progress, data.Logger) and lumen.json (data.json).

local progress = require "lumen.progress"

-- A bar writing into a table, with a clock we advance by hand.
local function fake_bar(total, options)
  local out, now = {}, 0
  options = options or {}
  options.out = function(s) out[#out + 1] = s end
  options.clock = function() return now end
  if options.tty == nil then options.tty = false end
  local bar = progress.bar(total, options)
  return bar, out, function(dt) now = now + dt end
end

test("require and data share the module", function()
  assert_true(data.progress == progress)
  assert_true(data.Logger == progress.Logger)
end)

test("non-TTY: one plain line per tenth with rate, eta and values", function()
  local bar, out, advance = fake_bar(10, {label = "train"})
  for i = 1, 10 do
    advance(0.5)
    bar:update(1, {loss = 1 / i, acc = torch.tensor(0.5)})
  end
  bar:close()
  assert_eq(#out, 10)   -- close adds nothing after the 100% line
  assert_eq(out[5], "train: 5/10 (50%) elapsed 2.5s, 2.00 it/s, eta 2.5s | acc=0.5 loss=0.2\n")
  assert_eq(out[10], "train: 10/10 (100%) elapsed 5.0s, 2.00 it/s | acc=0.5 loss=0.1\n")
  for _, line in ipairs(out) do assert_true(not line:find("\r", 1, true), "no carriage returns off a TTY") end
end)

test("non-TTY: lines option, interval and unknown totals", function()
  local bar, out, advance = fake_bar(100, {lines = 2})
  for _ = 1, 100 do advance(0.01); bar:update() end
  assert_eq(#out, 2)
  assert_true(out[1]:find("^50/100 %(50%%%)") ~= nil, out[1])
  -- Slow loops still report every `interval` seconds.
  local slow, slow_out, tick = fake_bar(1000, {lines = 1, interval = 5})
  for _ = 1, 12 do tick(1); slow:update(1) end
  assert_eq(#slow_out, 2)
  assert_true(slow_out[1]:find("^5/1000 %(0%%%) elapsed 5.0s") ~= nil, slow_out[1])
  -- Unknown total: counts and rate only; close prints the last state.
  local open, open_out, step = fake_bar(nil, {interval = 2, unit = "batch"})
  for _ = 1, 3 do step(1); open:update(4) end
  open:close()
  assert_eq(#open_out, 2)
  assert_eq(open_out[2], "12 batch, elapsed 3.0s, 4.00 batch/s\n")
  -- Slow rates read as seconds per step; large/small values use exponents.
  local s, s_out, t = fake_bar(2, {lines = 1})
  t(4); s:update(2, {lr = 1e-5, big = 123456})
  assert_eq(s_out[1], "2/2 (100%) elapsed 4.0s, 2.00 s/it | big=123456 lr=1.000e-05\n")
end)

test("TTY: redraws one line in place, throttled, newline at close", function()
  local bar, out, advance = fake_bar(4, {tty = true, label = "ep", width = 8})
  advance(1); bar:update(1, {loss = 0.25})
  advance(0.01); bar:update(1)            -- within 0.1 s: not redrawn
  advance(1); bar:update(1)
  advance(1); bar:update(1)               -- the final step is always drawn
  bar:close()
  assert_eq(#out, 4)
  assert_eq(out[1], "\rep  25%|██      | 1/4 [00:01<00:03, 1.00 it/s] loss=0.25\27[K")
  assert_true(out[3]:find("^\rep 100%%|████████| 4/4 %[00:03<00:00, 1.33 it/s%]") ~= nil, out[3])
  assert_eq(out[4]:sub(-1), "\n")
  assert_true(tostring(bar):find("4/4", 1, true) ~= nil)
end)

test("bar:wrap counts loop iterations and closes", function()
  local bar, out = fake_bar(3, {lines = 3})
  local seen = {}
  for a, b in bar:wrap(ipairs({"x", "y", "z"})) do seen[#seen + 1] = a .. b end
  assert_eq(table.concat(seen, ","), "1x,2y,3z")
  assert_eq(bar.count, 3)
  assert_true(bar.closed)
  assert_eq(#out, 3)
  local loader = data.DataLoader(torch.zeros(10, 2), {batch_size = 4})
  local lbar = fake_bar(#loader)
  local n = 0
  for bx in lbar:wrap(loader:iter()) do n = n + bx:size(1) end
  assert_eq(n, 10); assert_eq(lbar.count, 3)
  assert_error(function() progress.bar(-1) end, "[progress.bar] total must be a non-negative number")
  assert_error(function() progress.bar(3, {lable = "x"}) end, "unknown option \"lable\"")
end)

test("Logger CSV: header, escaping, new fields widen the file, parse back", function()
  local path = os.tmpname() .. ".csv"
  local log = data.Logger({path = path})
  log:log({loss = 0.5, epoch = 1, acc = torch.tensor(0.25), note = 'has "quotes", commas'})
  log:log({loss = 0 / 0, epoch = 2, acc = 0.75, note = "two\nlines"})
  log:log({loss = 0.125, epoch = 3, acc = 1, note = "ok", lr = 0.001})   -- new field
  log:close()
  local f = io.open(path); local header = f:read("l"); f:close()
  assert_eq(header, "epoch,acc,loss,note,lr")
  local cols, names = data.read_csv(path)
  assert_eq(table.concat(names, ","), "epoch,acc,loss,note,lr")
  assert_close(cols.epoch, {1, 2, 3})
  assert_close(cols.acc, {0.25, 0.75, 1})
  local loss = cols.loss:totable()
  assert_eq(loss[1], 0.5); assert_true(loss[2] ~= loss[2]); assert_eq(loss[3], 0.125)
  assert_eq(cols.note[1], 'has "quotes", commas')
  assert_eq(cols.note[2], "two\nlines")
  local lr = cols.lr:totable()
  assert_true(lr[1] ~= lr[1]); assert_close(lr[3], 0.001)
  assert_error(function() log:log({epoch = 4}) end, "[Logger] log after close")
  os.remove(path)
end)

test("Logger JSONL: one object per line, escaped, parses back", function()
  local path = os.tmpname() .. ".jsonl"
  local log = data.Logger({path = path})
  assert_eq(log.format, "jsonl")
  log:log({epoch = 1, loss = 0.1, tag = 'q"uote\\ \t\n é', ok = true})
  log:log({epoch = 2, loss = math.huge, big = 2^60})
  log:close()
  local lines = {}
  for line in io.lines(path) do lines[#lines + 1] = line end
  assert_eq(#lines, 2)
  assert_eq(lines[1], '{"epoch":1,"loss":0.1,"ok":true,"tag":"q\\"uote\\\\ \\t\\n é"}')
  local a, b = data.json.decode(lines[1]), data.json.decode(lines[2])
  assert_eq(a.tag, 'q"uote\\ \t\n é')
  assert_eq(a.ok, true)
  assert_eq(math.type(a.epoch), "integer")
  assert_eq(b.loss, nil)            -- inf is not JSON: written as null
  assert_eq(b.big, 2^60)
  os.remove(path)
end)

test("Logger options: fixed fields, format, append, errors", function()
  local path = os.tmpname()
  local log = data.Logger({path = path, format = "csv", fields = {"step", "loss"}})
  log:log({step = 1, loss = 2})
  assert_error(function() log:log({step = 2, accuracy = 1}) end, "field \"accuracy\" is not among the log's fields (step, loss)")
  log:close()
  local more = data.Logger({path = path, format = "csv", append = true})
  more:log({step = 2, loss = 1})
  more:close()
  local cols = data.read_csv(path)
  assert_close(cols.step, {1, 2}); assert_close(cols.loss, {2, 1})
  assert_error(function() data.Logger({path = path, format = "xml"}) end, "option format must be \"csv\" or \"jsonl\"")
  assert_error(function() data.Logger({path = "/nonexistent/dir/m.csv"}) end, "[Logger] cannot open")
  assert_error(function() data.Logger({path = path}):log({epoch = {1}}) end, "values must be numbers")
  assert_error(function() data.Logger({path = path}):log({[1] = 2}) end, "field names must be strings")
  os.remove(path)
end)

test("json encode/decode round trips", function()
  local json = data.json
  local value = {name = "x", list = {1, 2.5, "three", false}, nested = {a = {b = -1e-9}}, empty = {}}
  local text = json.encode(value)
  assert_eq(text, '{"empty":{},"list":[1,2.5,"three",false],"name":"x","nested":{"a":{"b":-1e-09}}}')
  local back = json.decode(text)
  assert_eq(back.list[3], "three"); assert_eq(back.list[4], false); assert_eq(back.nested.a.b, -1e-9)
  assert_eq(json.decode('"\\u00e9\\ud83d\\ude00"'), "é😀")
  assert_eq(json.encode(0.1), "0.1")
  assert_eq(json.encode(1 / 3), "0.3333333333333333")
  assert_eq(json.decode(json.encode(1 / 3)), 1 / 3)
  assert_eq(json.encode(torch.tensor({{1, 2}, {3, 4}})), "[[1,2],[3,4]]")
  assert_eq(json.encode("\1"), '"\\u0001"')
  local arr = json.decode("[1, null, 3]", {keep_null = true})
  assert_eq(#arr, 3); assert_true(arr[2] == json.null)
  assert_error(function() json.decode('{"a": 1,}') end, "[json.decode] line 1, position 9: expected a string key")
  assert_error(function() json.decode('[1, 2') end, "expected ',' or ']'")
  assert_error(function() json.decode('{"a": 1} x') end, "unexpected text after the value")
  assert_error(function() json.encode({f = print}) end, "cannot encode a function")
  local cyclic = {}; cyclic.self = cyclic
  assert_error(function() json.encode(cyclic) end, "contains itself")
end)
