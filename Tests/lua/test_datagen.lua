-- The data.* generators from Lua: determinism, shapes, 1-based labels and boxes, options,
-- STDF round trip and malformed files.

local function same(a, b)
  if a:dim() ~= b:dim() then return false end
  for d = 1, a:dim() do if a:size(d) ~= b:size(d) then return false end end
  return a:eq(b):sum():item() == a:numel()
end

local function count_values(t)
  local counts = {}
  for _, v in ipairs(t:totable()) do counts[v] = (counts[v] or 0) + 1 end
  return counts
end

local tmp = os.tmpname()

test("data holds the generators next to the prelude's own fields", function()
  for _, name in ipairs({"wafer_maps", "parametric", "test_times", "sensor_traces", "failure_logs", "alarm_messages",
                         "test_programs", "instructions", "parallel_corpus", "die_images", "read_stdf", "write_stdf"}) do
    assert_eq(type(data[name]), "function", name)
  end
  assert_eq(require("lumen.datagen").wafer_maps, data.wafer_maps)
end)

test("wafer maps: deterministic by seed, shapes, values, 1-based labels", function()
  local a = data.wafer_maps{n = 45, size = 26, seed = 3}
  local b = data.wafer_maps{n = 45, size = 26, seed = 3}
  local c = data.wafer_maps{n = 45, size = 26, seed = 4}
  assert_true(same(a.maps, b.maps) and same(a.labels, b.labels))
  assert_true(not same(a.maps, c.maps))
  assert_eq(a.maps:dim(), 4)
  assert_eq(a.maps:size(1), 45); assert_eq(a.maps:size(2), 1); assert_eq(a.maps:size(3), 26); assert_eq(a.maps:size(4), 26)
  assert_eq(a.maps.dtype, "float32"); assert_eq(a.labels.dtype, "int64")
  local values = count_values(a.maps:reshape(-1))
  for v in pairs(values) do assert_true(v == 0 or v == 0.5 or v == 1, "die value " .. v) end
  assert_eq(#a.classes, 9)
  assert_eq(a.classes[1], "Center"); assert_eq(a.classes[9], "none")
  local counts = count_values(a.labels)
  for k = 1, 9 do assert_eq(counts[k], 5, "balanced class " .. k) end
  local codes = data.wafer_maps{n = 45, size = 26, seed = 3, as_codes = true}
  assert_eq(codes.maps.dtype, "int64")
  assert_true(same(codes.maps, (a.maps * 2):to("int64")))
end)

test("wafer boxes are 1-based and each holds a fail die of its pattern", function()
  local w = data.wafer_maps{n = 90, size = 32, seed = 5}
  local maps, labels = w.maps:totable(), w.labels:totable()
  for i = 1, 90 do
    local name = w.classes[labels[i]]
    if name == "none" or name == "Random" then assert_eq(#w.boxes[i], 0, name) else assert_true(#w.boxes[i] >= 1, name) end
    for _, box in ipairs(w.boxes[i]) do
      local x1, y1, x2, y2 = box[1], box[2], box[3], box[4]
      assert_true(x1 >= 1 and y1 >= 1 and x2 <= 32 and y2 <= 32 and x1 <= x2 and y1 <= y2)
      assert_eq(box.label, labels[i])
      local fails = 0
      for y = y1, y2 do for x = x1, x2 do if maps[i][1][y][x] == 1 then fails = fails + 1 end end end
      assert_true(fails > 0, "box without a fail die in map " .. i)
    end
  end
end)

test("wafer options: imbalance, classes, shift, mixed", function()
  local skew = data.wafer_maps{n = 400, size = 26, seed = 1, imbalance = true}
  local counts = count_values(skew.labels)
  assert_true(counts[9] >= 200, "none dominates")
  assert_true((counts[6] or 0) < 10 and (counts[2] or 0) < 15, "Near-full and Donut are rare")
  local half = data.wafer_maps{n = 100, size = 26, seed = 1, imbalance = 0.7}
  assert_eq(count_values(half.labels)[9], 70)
  local two = data.wafer_maps{n = 20, size = 26, seed = 1, classes = {"Scratch", "none"}}
  assert_eq(#two.classes, 2); assert_eq(two.classes[1], "Scratch")
  assert_eq(count_values(two.labels)[1], 10)
  local weights = data.wafer_maps{n = 30, size = 26, seed = 1, classes = {"Loc", "none"}, imbalance = {Loc = 1, none = 2}}
  assert_eq(count_values(weights.labels)[2], 20)
  local plain = data.wafer_maps{n = 50, size = 32, seed = 2, classes = {"none"}}
  local shifted = data.wafer_maps{n = 50, size = 32, seed = 2, classes = {"none"}, shift = true}
  assert_true(shifted.maps:eq(1):sum():item() > 1.5 * plain.maps:eq(1):sum():item())
  local mixed = data.wafer_maps{n = 60, size = 32, seed = 2, mixed = 1}
  assert_eq(mixed.multi_hot:size(2), 9)
  assert_true(mixed.multi_hot:sum(2):max():item() == 2)
  for i = 1, 60 do assert_eq(#mixed.patterns[i], mixed.multi_hot[i]:sum():item()) end
end)

test("generator options are checked", function()
  assert_error(function() data.wafer_maps{n = 10, sizes = 32} end, '[wafer_maps] unknown option "sizes"')
  assert_error(function() data.wafer_maps{n = 10, size = 8} end, "[wafer_maps] size must be in 16...256; got 8")
  assert_error(function() data.wafer_maps{n = "ten"} end, "[wafer_maps] option n: expected an integer; got string")
  assert_error(function() data.wafer_maps(5) end, "[wafer_maps] expected an options table such as {n = 100, seed = 1}; got number")
  assert_error(function() data.wafer_maps{classes = {"Blob"}} end, '[wafer_maps] option classes: unknown class "Blob"')
  assert_error(function() data.wafer_maps{shift = 2} end, "[wafer_maps] shift must be in 0.0...1.0; got 2.0")
  assert_error(function() data.parametric{sites = 2, fab = 3} end, "[parametric] give either sites")
  assert_error(function() data.failure_logs{split = "dev"} end, '[failure_logs] option split: expected "all", "train" or "test"')
  assert_error(function() data.parallel_corpus{target = "klingon"} end, "[parallel_corpus] option target")
  assert_error(function() data.sensor_traces{length = 2} end, "[sensor_traces] length must be in")
  assert_error(function() data.wafer_maps{n = 1000000, size = 64} end, "[wafer_maps] the maps would hold 4096000000 elements; the limit is 268435456")
end)

test("parametric: matrix, names, corners, limits, bins", function()
  local p = data.parametric{n = 2000, seed = 7}
  local q = data.parametric{n = 2000, seed = 7}
  assert_true(same(p.x, q.x) and same(p.hard_bin, q.hard_bin))
  assert_eq(p.x:size(1), 2000); assert_eq(p.x:size(2), 8)
  assert_eq(table.concat(p.columns, ","), "Vth,Idsat,Ioff,Rc,Fmax,Iddq,power,temperature")
  assert_eq(p.corner_names[1], "TT")
  assert_true(p.corner:min():item() >= 1 and p.corner:max():item() <= 5)
  assert_eq(p.limits.Vth[1], 0.40); assert_eq(p.limits.Vth[2], 0.50)
  assert_eq(p.pass.dtype, "bool")
  -- pass <=> hard bin 1 <=> soft bin 1
  assert_true(same(p.pass, p.hard_bin:eq(1)) and same(p.pass, p.soft_bin:eq(1)))
  assert_true(p.yield > 0.75 and p.yield < 0.97, "yield " .. p.yield)
  assert_true(p.hard_bin:max():item() <= #p.hard_bin_names)
  assert_eq(p.test_time:size(1), 2000)
  local sites = data.parametric{n = 400, seed = 7, sites = 4}
  assert_eq(count_values(sites.site)[3], 100)
  local fab2 = data.parametric{n = 400, seed = 7, fab = 2}
  assert_eq(fab2.site:min():item(), 2)
end)

test("test times and sensor traces", function()
  local t = data.test_times{lots = 500, weeks = 20, seed = 1}
  assert_eq(t.times:size(1), 500); assert_eq(t.daily:size(1), 140); assert_eq(t.weekly:size(1), 20)
  assert_true(t.week:min():item() >= 1 and t.week:max():item() <= 20)
  assert_true(t.weekday:min():item() >= 1 and t.weekday:max():item() <= 7)
  assert_true(t.product:max():item() <= #t.product_names and t.tester:max():item() <= #t.tester_names)
  assert_true(same(t.times, data.test_times{lots = 500, weeks = 20, seed = 1}.times))
  local s = data.sensor_traces{n = 40, length = 64, channels = 5, seed = 2, anomaly_rate = 0.25}
  assert_eq(s.x:size(1), 40); assert_eq(s.x:size(2), 64); assert_eq(s.x:size(3), 5)
  assert_eq(s.anomaly:sum():item(), 10)
  assert_eq(s.step_anomaly:size(2), 64)
  assert_eq(#s.channels, 5); assert_eq(s.kind_names[1], "normal")
  local per_trace = s.step_anomaly:sum(2):gt(0)
  assert_true(same(per_trace, s.anomaly))
end)

test("text corpora: labels, entities, splits", function()
  local f = data.failure_logs{n = 100, seed = 3}
  assert_eq(#f.texts, 100)
  assert_eq(f.category:size(1), 100)
  assert_true(f.category:max():item() <= #f.category_names and f.root_cause:max():item() <= #f.root_cause_names)
  for i = 1, 100 do
    for _, e in ipairs(f.entities[i]) do
      local piece = f.texts[i]:sub(e.start, e.stop)
      if e.type == "TEST" then assert_true(piece:match("^[A-Z_]+$") ~= nil, piece) end
      if e.type == "EQUIP" then assert_true(piece:match("^[A-Z0-9]+%-%d+$") ~= nil, piece) end
    end
  end
  assert_eq(data.failure_logs{n = 50, seed = 3, split = "train"}.heldout:sum():item(), 0)
  assert_eq(data.failure_logs{n = 50, seed = 3, split = "test"}.heldout:sum():item(), 50)
  local a = data.alarm_messages{n = 30, seed = 1}
  assert_eq(#a.texts, 30); assert_eq(#a.actions, 30); assert_eq(a.severity_names[3], "critical")
  local prog = data.test_programs{n = 5, seed = 1}
  assert_true(prog.texts[1]:find("^program ") ~= nil and prog.texts[1]:find("flow main") ~= nil)
  local ins = data.instructions{n = 200, seed = 1}
  for i = 1, 200 do
    if ins.unsafe[i] then assert_true(ins.responses[i]:find("I can't help", 1, true) == 1) end
  end
  assert_true(ins.unsafe:sum():item() > 0)
  local ts = data.parallel_corpus{n = 20, seed = 9}
  local lg = data.parallel_corpus{n = 20, seed = 9, target = "legacy"}
  for i = 1, 20 do assert_eq(ts.source[i], lg.source[i]) end
  assert_eq(lg.target_lang, "legacy")
end)

test("die images: shapes, pixel boxes, classes", function()
  local d = data.die_images{n = 12, size = 48, seed = 1}
  assert_eq(d.images:size(1), 12); assert_eq(d.images:size(3), 48)
  assert_true(d.images:min():item() >= 0 and d.images:max():item() <= 1)
  assert_eq(table.concat(d.classes, ","), "scratch,particle,void,crack")
  for i = 1, 12 do
    assert_true(#d.boxes[i] >= 1)
    for k, b in ipairs(d.boxes[i]) do
      assert_true(b[1] >= 1 and b[2] >= 1 and b[3] <= 48 and b[4] <= 48)
      assert_eq(d.labels[i][k], b.label)
    end
  end
  assert_true(same(d.images, data.die_images{n = 12, size = 48, seed = 1}.images))
end)

test("STDF round trip through the writer", function()
  local p = data.parametric{n = 30, seed = 4}
  local wafer = torch.ones(30, {dtype = "int64"})
  wafer[{{16, 30}}] = 2
  local bytes = data.write_stdf(tmp, {columns = p.columns, limits = p.limits, units = p.units, results = p.x,
    hard_bin = p.hard_bin, soft_bin = p.soft_bin, pass = p.pass, lot_id = "K3F921", wafer = wafer,
    wafer_ids = {"W01", "W02"}, x = torch.arange(1, 31), y = torch.arange(31, 61),
    hard_bin_names = {[1] = "PASS", [2] = "CONTINUITY"}})
  assert_true(bytes > 0)
  local r = data.read_stdf(tmp)
  assert_eq(r.mir.lot_id, "K3F921")
  assert_eq(r.cpu_type, 2); assert_eq(r.version, 4)
  assert_eq(r.results:size(1), 30); assert_eq(r.results:size(2), 8)
  assert_close(r.results, p.x, 1e-6)
  assert_true(same(r.pass, p.pass) and same(r.hard_bin, p.hard_bin) and same(r.soft_bin, p.soft_bin))
  assert_true(same(r.x, torch.arange(1, 31)) and same(r.wafer, wafer))
  assert_eq(r.tests[1].name, "Vth"); assert_eq(r.tests[1].number, 1000); assert_eq(r.tests[5].units, "MHz")
  assert_close(r.tests[1].low, 0.40, 1e-6)
  assert_eq(r.wafer_ids[2], "W02")
  assert_eq(r.record_counts.PRR, 30)
  local total = 0
  for _, b in ipairs(r.hard_bins) do total = total + b.count end
  assert_eq(total, 30)
end)

test("malformed STDF files give errors naming offset and record", function()
  local function write(bytes)
    local f = assert(io.open(tmp, "wb")); f:write(bytes); f:close()
  end
  write("hello")
  assert_error(function() data.read_stdf(tmp) end, "not an STDF file: 5 bytes")
  write("\1\0\1\10xxxxxxxx")
  assert_error(function() data.read_stdf(tmp) end, "offset 0: expected a FAR record (type 0, subtype 10) first")
  write("\2\0\0\10\0\4")
  assert_error(function() data.read_stdf(tmp) end, "offset 4: FAR record (0,10): unsupported CPU_TYP 0")
  write("\2\0\0\10\2\4" .. "\20\0\5\20\1\1")
  assert_error(function() data.read_stdf(tmp) end, "offset 6: truncated PRR record (5,20): REC_LEN is 20 bytes but only 2 remain")
  write("\2\0\0\10\2\4" .. "\2\0\5\20\1\1")
  assert_error(function() data.read_stdf(tmp) end, "[read_stdf] " .. tmp .. ": offset 6: PRR record (5,20): too short for field PART_FLG")
  assert_error(function() data.read_stdf(tmp .. ".missing") end, "[read_stdf] cannot open")
  assert_error(function() data.write_stdf(tmp, {results = torch.zeros(2, 2)}) end, "[write_stdf] at least one test")
  assert_error(function() data.write_stdf(tmp, {tests = {{number = 1}}, results = torch.zeros(2, 3)}) end,
    "[write_stdf] results must be (parts, 1)")
  assert_error(function() data.write_stdf(tmp, {tests = {{number = 1}}, results = torch.zeros(2, 1), colour = 1}) end,
    '[write_stdf] unknown field "colour"')
  os.remove(tmp)
end)
