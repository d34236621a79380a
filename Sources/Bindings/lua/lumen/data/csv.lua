-- lumen.data.csv: CSV files as columns (part of the `data` library; see lumen/data/init.lua).
local data = require "lumen.data.namespace"
local util = require "lumen.data.util"
local is_tensor = torch.is_tensor

--- Reads a CSV file into columns: `local cols, names = data.read_csv(path, options)`.
--- cols[name] is a float32 tensor (numbers; empty fields are NaN), an int64 tensor (columns of
--- integers only) or a Lua array of strings (anything else); names lists the columns in file
--- order. Options:
---   header = true        first record names the columns; false → columns are 1, 2, ...
---   columns = {name = type}  force types: "float32"/"float"/"number", "float64", "int64"/"int",
---                        "int32", "string" (keys are positions when header = false)
---   delimiter = ","      one character ("\t" for TSV)
---   quote = '"'          the quote character
--- Parsing follows RFC 4180 (quoted fields may hold delimiters, quotes as "" and line breaks;
--- CRLF or LF; blank lines are skipped). Errors name the file, line and column.
function data.read_csv(path, options)
  if type(path) ~= "string" then error("[read_csv] expected a file path; got " .. type(path), 2) end
  options = options or {}
  if type(options) ~= "table" then error("[read_csv] options must be a table; got " .. type(options), 2) end
  for k in pairs(options) do
    if k ~= "header" and k ~= "columns" and k ~= "delimiter" and k ~= "quote" then
      error(string.format("[read_csv] unknown option %q (expected header, columns, delimiter, quote)", tostring(k)), 2)
    end
  end
  if options.columns ~= nil and type(options.columns) ~= "table" then
    error("[read_csv] option columns must be a table of column name = type; got " .. type(options.columns), 2)
  end
  local header = options.header
  if header == nil then header = true end
  local ok, cols, names = pcall(lumen_internal.read_csv, path, header and true or false, options.delimiter, options.quote, options.columns)
  if not ok then error(cols, 2) end
  return cols, names
end

--- Stacks numeric columns into one (N, #names) tensor (default dtype float32):
---   local x = data.stack_columns(cols, {"a", "b"}, "float64")
function data.stack_columns(columns, names, dtype)
  if type(columns) ~= "table" or type(names) ~= "table" then
    error("[stack_columns] expected (columns, names)", 2)
  end
  local list = {}
  for k, name in ipairs(names) do
    local c = columns[name]
    if c == nil then error(string.format("[stack_columns] no column %q", tostring(name)), 2) end
    if not is_tensor(c) then error(string.format("[stack_columns] column %q is not numeric (it holds %s)", tostring(name), type(c)), 2) end
    list[k] = c:to(dtype or "float32")
  end
  if #list == 0 then error("[stack_columns] no column names given", 2) end
  return torch.stack(list, 2)
end

--- Writes columns to a CSV file: `data.write_csv(path, columns, names, {delimiter = ","})`.
--- columns[name] is a 1-D tensor or a Lua array (numbers, strings, booleans); names gives the
--- order (default: the keys sorted). Numbers are written with the fewest digits that read back
--- exactly (float32 values as float32; floats keep a ".0" so they read back as floats), NaN as
--- an empty field; text is quoted when it holds the delimiter, a quote or a line break.
function data.write_csv(path, columns, names, options)
  if type(path) ~= "string" then error("[write_csv] expected a file path; got " .. type(path), 2) end
  if type(columns) ~= "table" or is_tensor(columns) then error("[write_csv] expected a table of name = column; got " .. type(columns), 2) end
  options = options or {}
  local delimiter = options.delimiter or ","
  if type(delimiter) ~= "string" or #delimiter ~= 1 or delimiter == '"' or delimiter == "\n" or delimiter == "\r" then
    error("[write_csv] option delimiter must be one character other than a quote or line break", 2)
  end
  if names == nil then
    names = {}
    for k in pairs(columns) do names[#names + 1] = k end
    table.sort(names, function(a, b) return tostring(a) < tostring(b) end)
  end
  if type(names) ~= "table" or #names == 0 then error("[write_csv] expected a non-empty list of column names", 2) end
  local list, text_names = {}, {}
  for k, name in ipairs(names) do
    local c = columns[name]
    if c == nil then error(string.format("[write_csv] no column %q in the table", tostring(name)), 2) end
    if is_tensor(c) and c:dim() ~= 1 then
      error(string.format("[write_csv] column %q must be 1-D; got %d dims", tostring(name), c:dim()), 2)
    end
    list[k], text_names[k] = c, tostring(name)
  end
  local ok, err = pcall(lumen_internal.write_csv, path, text_names, list, delimiter)
  if not ok then error(err, 2) end
end
