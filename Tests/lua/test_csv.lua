-- data.read_csv / data.write_csv: typed columns, RFC 4180 quoting and errors naming line/column.

local function write_file(text)
  local path = os.tmpname()
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
  return path
end

local function read_text(text, options)
  local path = write_file(text)
  local ok, cols, names = pcall(data.read_csv, path, options)
  os.remove(path)
  if not ok then error(cols, 0) end
  return cols, names
end

-- The error message of reading `text`, with the temporary path replaced by "FILE".
local function csv_error(text, options)
  local path = write_file(text)
  local ok, err = pcall(data.read_csv, path, options)
  os.remove(path)
  assert_true(not ok, "expected an error reading " .. string.format("%q", text))
  return (tostring(err):gsub(path:gsub("%p", "%%%0"), "FILE"))
end

local function contains(s, fragment)
  assert_true(s:find(fragment, 1, true) ~= nil, string.format("%q does not contain %q", s, fragment))
end

test("typed columns: int64, float32, strings, in header order", function()
  local cols, names = read_text("id,score,name,ratio\n1,2.5,alice,1\n2,-3,bob,2.25\n3,1e3,carol,-0.5\n")
  assert_eq(table.concat(names, ","), "id,score,name,ratio")
  assert_eq(cols.id.dtype, "int64")
  assert_close(cols.id, {1, 2, 3})
  assert_eq(cols.score.dtype, "float32")
  assert_close(cols.score, {2.5, -3, 1000})
  assert_eq(type(cols.name), "table")
  assert_eq(table.concat(cols.name, ","), "alice,bob,carol")
  assert_close(cols.ratio, {1, 2.25, -0.5})
end)

test("declared column types override inference", function()
  local cols = read_text("a,b,c,d,e\n1,2,3,4,x\n5,6,7,8,y\n",
    {columns = {a = "float64", b = "string", c = "int32", d = "float", e = "string"}})
  assert_eq(cols.a.dtype, "float64")
  assert_eq(cols.b[2], "6")
  assert_eq(cols.c.dtype, "int32")
  assert_eq(cols.d.dtype, "float32")
  assert_close(cols.d, {4, 8})
  local big = read_text("v\n1099511627777\n", {columns = {v = "int64"}})
  assert_eq(big.v[1], 1099511627777)
end)

test("empty fields in numeric columns are NaN; whitespace around numbers is allowed", function()
  local cols = read_text("x,y\n1.5, 2\n,3\n 4 ,\n")
  assert_eq(cols.x.dtype, "float32")
  local x = cols.x:totable()
  assert_eq(x[1], 1.5); assert_true(x[2] ~= x[2]); assert_eq(x[3], 4)
  assert_eq(cols.y.dtype, "float32")   -- an empty field makes an integer column float
  local y = cols.y:totable()
  assert_eq(y[1], 2); assert_true(y[3] ~= y[3])
  local special = read_text("v\ninf\n-inf\nnan\n")
  local v = special.v:totable()
  assert_eq(v[1], math.huge); assert_eq(v[2], -math.huge); assert_true(v[3] ~= v[3])
  -- Integers beyond int64 make the column float; declared int64 names the value.
  local huge = read_text("v\n1\n99999999999999999999\n")
  assert_eq(huge.v.dtype, "float32")
  assert_close(huge.v[2], 1e20, 1e-6)
  -- Hexadecimal text is not a CSV number.
  assert_eq(type(read_text("h\n0x10\n").h), "table")
end)

test("RFC 4180 quoting: delimiters, doubled quotes, line breaks, CRLF, BOM, blank lines", function()
  local text = '\239\187\191name,note,n\r\n"Smith, J","said ""hi""",1\r\n\r\n"multi\nline",plain,2\r\n"",x,3\n'
  local cols, names = read_text(text)
  assert_eq(names[1], "name")          -- the byte-order mark is dropped
  assert_eq(cols.name[1], "Smith, J")
  assert_eq(cols.note[1], 'said "hi"')
  assert_eq(cols.name[2], "multi\nline")
  assert_eq(cols.name[3], "")
  assert_close(cols.n, {1, 2, 3})
  -- Quoted numbers are numbers; a missing final newline is fine.
  local q = read_text('a,b\n"1","2.5"\n3,4')
  assert_eq(q.a.dtype, "int64"); assert_close(q.b, {2.5, 4})
  -- Header names may be quoted too.
  local h = read_text('"first, name",b\nx,1\n')
  assert_eq(h["first, name"][1], "x")
end)

test("delimiter, quote and header options", function()
  local tsv = read_text("a\tb\n1\t2\n", {delimiter = "\t"})
  assert_close(tsv.b, {2})
  local semi = read_text("a;b\n'x;y';2\n", {delimiter = ";", quote = "'"})
  assert_eq(semi.a[1], "x;y")
  local cols, names = read_text("1,a\n2,b\n", {header = false, columns = {[2] = "string"}})
  assert_eq(names[1], 1); assert_eq(names[2], 2)
  assert_close(cols[1], {1, 2})
  assert_eq(cols[2][2], "b")
  local only_header = read_text("a,b\n")
  assert_eq(only_header.a:numel(), 0)
  local unnamed, unnamed_names = read_text(",v\n1,2\n")
  assert_eq(unnamed_names[1], "unnamed_1")
  assert_close(unnamed.unnamed_1, {1})
end)

test("errors: wrong field count names the file and line", function()
  local err = csv_error("a,b,c\n1,2,3\n4,5\n")
  contains(err, "[read_csv] FILE:3: expected 3 fields (as in the header); got 2")
  -- Line numbers count physical lines, including line breaks inside quoted fields.
  err = csv_error('a,b\n"x\ny",1\n1,2,3\n')
  contains(err, "FILE:4: expected 2 fields")
  err = csv_error("1,2\n3\n", {header = false})
  contains(err, "FILE:2: expected 2 fields (as in the first record); got 1")
end)

test("errors: non-numeric value in a numeric column names line and column", function()
  local err = csv_error("a,b\n1,2\n3,oops\n", {columns = {b = "float32"}})
  contains(err, 'FILE:3: column 2 ("b"): expected a number; got "oops"')
  err = csv_error("a,b\n1,2.5\n", {columns = {b = "int64"}})
  contains(err, 'FILE:2: column 2 ("b"): expected an integer; got "2.5"')
  err = csv_error("a\n\n\n5000000000\n", {columns = {a = "int32"}})
  contains(err, 'FILE:4: column 1 ("a"): expected a 32-bit integer; got "5000000000"')
  err = csv_error("a,b\n1,\n", {columns = {b = "int64"}})
  contains(err, "expected an integer; got an empty field")
  err = csv_error("1,x\n", {header = false, columns = {[2] = "float64"}})
  contains(err, "FILE:1: column 2: expected a number")
end)

test("errors: unterminated quote, stray text after a quote", function()
  local err = csv_error('a,b\n1,"open\n2,3\n')
  contains(err, "FILE:2: column 2: unterminated quoted field (the quote opened on line 2 is never closed)")
  err = csv_error('a,b\n"x"y,1\n')
  contains(err, "FILE:2: column 1: unexpected character 'y' after a closing quote")
end)

test("errors: empty file, unreadable file, missing or duplicate columns, bad options", function()
  contains(csv_error(""), "[read_csv] FILE: file is empty")
  contains(csv_error("\n\n"), "file is empty")
  local ok, err = pcall(data.read_csv, "/nonexistent/dir/x.csv")
  assert_true(not ok)
  contains(tostring(err), "[read_csv] cannot read file /nonexistent/dir/x.csv: No such file or directory")
  ok, err = pcall(data.read_csv, "/tmp")
  contains(tostring(err), "cannot read file /tmp: not a regular file")
  contains(csv_error("a,b\n1,2\n", {columns = {c = "int64"}}),
    'column "c" given in option columns is not in the header (columns: a, b)')
  contains(csv_error("a,b\n1,2\n", {header = false, columns = {[3] = "int64"}}), "columns are positions 1..2")
  contains(csv_error("a,b,a\n1,2,3\n"), 'FILE:1: column 3: duplicate column name "a" (also column 1)')
  contains(csv_error("a\n1\n", {columns = {a = "complex"}}), 'unknown type "complex" for column "a"')
  contains(csv_error("a\n1\n", {delimiter = ",,"}), "option delimiter must be one character")
  contains(csv_error("a\n1\n", {sep = ";"}), 'unknown option "sep"')
  assert_error(function() data.read_csv(42) end, "[read_csv] expected a file path")
end)

test("write_csv round trip: floats exact, text escaped, NaN empty", function()
  local path = os.tmpname()
  local f32 = torch.tensor({0.1, -2.5, 1e-7, 3}, {dtype = "float32"})
  local f64 = torch.tensor({0.1, 1 / 3, -1e300, 2}, {dtype = "float64"})
  local ints = torch.tensor({1, -2, 3, 1099511627777})
  local text = {"plain", 'with "quotes"', "comma, here", "two\nlines"}
  local with_nan = torch.tensor({1, 0 / 0, 3, 4}, {dtype = "float32"})
  data.write_csv(path, {f32 = f32, f64 = f64, ints = ints, text = text, nan = with_nan}, {"text", "f32", "f64", "ints", "nan"})
  local cols, names = data.read_csv(path, {columns = {f64 = "float64"}})
  assert_eq(table.concat(names, ","), "text,f32,f64,ints,nan")
  for i = 1, 4 do assert_eq(cols.text[i], text[i]) end
  assert_close(cols.f32, f32, 0)
  assert_close(cols.f64, f64, 0)
  assert_eq(cols.ints[4], 1099511627777)
  local nan = cols.nan:totable()
  assert_true(nan[2] ~= nan[2]); assert_eq(nan[4], 4)
  -- float32 values are written with the fewest digits that read back as the same float32.
  local f = io.open(path); f:read("l"); local line = f:read("l"); f:close()
  assert_eq(line, "plain,0.1,0.1,1,1.0")
  -- Default column order is sorted by name; other delimiters.
  data.write_csv(path, {b = {1, 2}, a = {"x", "y;z"}}, nil, {delimiter = ";"})
  local back, order = data.read_csv(path, {delimiter = ";"})
  assert_eq(table.concat(order, ","), "a,b")
  assert_eq(back.a[2], "y;z")
  assert_error(function() data.write_csv(path, {a = {1, 2}, b = {1}}, {"a", "b"}) end, 'column "b" has 1 rows but column "a" has 2')
  assert_error(function() data.write_csv(path, {a = torch.zeros(2, 2)}) end, "must be 1-D")
  assert_error(function() data.write_csv("/nonexistent/dir/x.csv", {a = {1}}) end, "[write_csv] cannot write file")
  os.remove(path)
end)

test("stack_columns builds a feature matrix", function()
  local cols = read_text("a,b,s\n1,2.5,x\n3,4,y\n")
  local x = data.stack_columns(cols, {"a", "b"})
  assert_eq(x.dtype, "float32")
  assert_close(x, {{1, 2.5}, {3, 4}})
  assert_error(function() data.stack_columns(cols, {"a", "s"}) end, 'column "s" is not numeric')
  assert_error(function() data.stack_columns(cols, {"zz"}) end, 'no column "zz"')
end)

test("a larger file parses quickly and exactly", function()
  local path = os.tmpname()
  local f = assert(io.open(path, "w"))
  f:write("i,x,label\n")
  for i = 1, 20000 do f:write(string.format("%d,%.3f,c%d\n", i, i / 8, i % 3)) end
  f:close()
  local cols = data.read_csv(path)
  os.remove(path)
  assert_eq(cols.i:numel(), 20000)
  assert_eq(cols.i:sum():item(), 20000 * 20001 // 2)
  assert_close(cols.x[20000], 2500)
  assert_eq(cols.label[5], "c2")
end)

test("decimal parsing is exact (matches Lua's tonumber on random decimals)", function()
  local rand = data.rng(7)
  local function digits(n) local t = {} for i = 1, n do t[i] = tostring(rand(10) - 1) end return table.concat(t) end
  local values = {}
  for _ = 1, 3000 do
    local s = digits(rand(12))
    local r = rand(4)
    if r == 1 then s = s .. "." .. digits(rand(12))
    elseif r == 2 then s = "." .. digits(rand(25))
    elseif r == 3 then s = digits(rand(25)) .. "." .. digits(rand(5)) end
    if rand(3) == 1 then s = s .. (rand(2) == 1 and "e" or "E") .. (rand(2) == 1 and "-" or "+") .. tostring(rand(40) - 1) end
    if rand(2) == 1 then s = "-" .. s end
    if s:match("%d") then values[#values + 1] = s end
  end
  local cols = read_text("v\n" .. table.concat(values, "\n") .. "\n", {columns = {v = "float64"}})
  local got = cols.v:totable()
  for i, s in ipairs(values) do
    assert_true(got[i] == tonumber(s), string.format("%s read as %.17g, expected %.17g", s, got[i], tonumber(s)))
  end
  -- float32 columns round the same decimal once more, to the nearest float32.
  local f32 = read_text("v\n0.1\n16777217\n")
  assert_eq(f32.v[1], string.unpack("f", string.pack("f", 0.1)))
  assert_eq(f32.v[2], 16777216)
end)
