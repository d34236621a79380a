-- lumen.json: small JSON encoder/decoder (`data.json`, or `require "lumen.json"`).
--
--   json.encode({epoch = 1, loss = 0.25, tags = {"a", "b"}})  --> {"epoch":1,"loss":0.25,"tags":["a","b"]}
--   json.decode('{"a": [1, 2.5, null, true]}')                --> {a = {1, 2.5, nil, true}}
--
-- Encoding: object keys are sorted (stable files) unless `keys` gives an order; integers print as
-- integers, floats with the fewest digits that read back exactly; NaN and ±inf (not JSON) become
-- null; tensors become numbers (one element) or nested arrays; a table is an array when its keys
-- are exactly 1..#t, an empty table is {}. Decoding: null → nil (json.null inside arrays keeps
-- their length when `keep_null` is set), numbers → Lua integers when integral and written
-- without a fraction or exponent.
local json = {}

json.null = setmetatable({}, {__tostring = function() return "null" end})

local escapes = {['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f', ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t'}

local function encode_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return escapes[c] or string.format("\\u%04x", c:byte())
  end) .. '"'
end

local function encode_number(v)
  if v ~= v or v == math.huge or v == -math.huge then return "null" end
  if math.type(v) == "integer" then return string.format("%d", v) end
  if v == math.floor(v) and math.abs(v) < 2^53 then return string.format("%d", math.tointeger(v)) end
  for digits = 15, 17 do
    local s = string.format("%." .. digits .. "g", v)
    if tonumber(s) == v then return s end
  end
  return string.format("%.17g", v)
end
json.encode_number = encode_number

local function is_array(t)
  local n = #t
  if n == 0 then return false end
  local count = 0
  for k in pairs(t) do
    if math.type(k) ~= "integer" or k < 1 or k > n then return false end
    count = count + 1
  end
  return count == n
end

local encode_value

local function encode_table(t, out, seen, keys)
  if seen[t] then error("[json.encode] cannot encode a table that contains itself", 0) end
  seen[t] = true
  if is_array(t) then
    out[#out + 1] = "["
    for i = 1, #t do
      if i > 1 then out[#out + 1] = "," end
      encode_value(t[i], out, seen)
    end
    out[#out + 1] = "]"
  else
    if keys == nil then
      keys = {}
      for k in pairs(t) do
        if type(k) ~= "string" and type(k) ~= "number" then
          error("[json.encode] object keys must be strings or numbers; got " .. type(k), 0)
        end
        keys[#keys + 1] = k
      end
      table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    end
    out[#out + 1] = "{"
    local first = true
    for _, k in ipairs(keys) do
      local v = t[k]
      if v ~= nil then
        if not first then out[#out + 1] = "," end
        first = false
        out[#out + 1] = encode_string(tostring(k))
        out[#out + 1] = ":"
        encode_value(v, out, seen)
      end
    end
    out[#out + 1] = "}"
  end
  seen[t] = nil
end

encode_value = function(v, out, seen, keys)
  local kind = type(v)
  if v == nil or v == json.null then out[#out + 1] = "null"
  elseif kind == "boolean" then out[#out + 1] = v and "true" or "false"
  elseif kind == "number" then out[#out + 1] = encode_number(v)
  elseif kind == "string" then out[#out + 1] = encode_string(v)
  elseif torch.is_tensor(v) then
    if v:numel() == 1 and v:dim() <= 1 then out[#out + 1] = encode_number(v:dim() == 0 and v:item() or v[1])
    elseif v:dim() == 0 then out[#out + 1] = encode_number(v:item())
    else encode_value(v:totable(), out, seen) end
  elseif kind == "table" then encode_table(v, out, seen, keys)
  else error("[json.encode] cannot encode a " .. kind, 0) end
end

--- JSON text of `value`; `keys` (optional) fixes the order of a top-level object's keys.
function json.encode(value, keys)
  local out = {}
  local ok, err = pcall(encode_value, value, out, {}, keys)
  if not ok then error(err, 2) end
  return table.concat(out)
end

-- MARK: decoding

local function decode_error(s, pos, what)
  local line = 1
  for _ in s:sub(1, pos - 1):gmatch("\n") do line = line + 1 end
  error(string.format("[json.decode] line %d, position %d: %s", line, pos, what), 0)
end

local function skip(s, pos)
  return s:find("[^ \t\r\n]", pos) or #s + 1
end

local decode_value

local function decode_string(s, pos)
  -- pos is at the opening quote
  local out = {}
  local i = pos + 1
  while true do
    local c = s:sub(i, i)
    if c == "" then decode_error(s, pos, "unterminated string") end
    if c == '"' then return table.concat(out), i + 1 end
    if c == "\\" then
      local e = s:sub(i + 1, i + 1)
      local simple = ({['"'] = '"', ['\\'] = '\\', ['/'] = '/', b = '\b', f = '\f', n = '\n', r = '\r', t = '\t'})[e]
      if simple then out[#out + 1] = simple; i = i + 2
      elseif e == "u" then
        local hex = s:sub(i + 2, i + 5)
        if not hex:match("^%x%x%x%x$") then decode_error(s, i, "bad \\u escape") end
        local code = tonumber(hex, 16)
        i = i + 6
        if code >= 0xD800 and code <= 0xDBFF and s:sub(i, i + 1) == "\\u" then
          local low = tonumber(s:sub(i + 2, i + 5), 16)
          if low and low >= 0xDC00 and low <= 0xDFFF then
            code = 0x10000 + (code - 0xD800) * 0x400 + (low - 0xDC00)
            i = i + 6
          end
        end
        out[#out + 1] = utf8.char(code)
      else decode_error(s, i, "bad escape \\" .. e) end
    elseif c:byte() < 32 then decode_error(s, i, "control character in string")
    else
      local j = s:find('["\\%c]', i) or #s + 1
      out[#out + 1] = s:sub(i, j - 1)
      i = j
    end
  end
end

decode_value = function(s, pos, keep_null)
  pos = skip(s, pos)
  local c = s:sub(pos, pos)
  if c == "{" then
    local obj = {}
    pos = skip(s, pos + 1)
    if s:sub(pos, pos) == "}" then return obj, pos + 1 end
    while true do
      if s:sub(pos, pos) ~= '"' then decode_error(s, pos, "expected a string key") end
      local key
      key, pos = decode_string(s, pos)
      pos = skip(s, pos)
      if s:sub(pos, pos) ~= ":" then decode_error(s, pos, "expected ':'") end
      local v
      v, pos = decode_value(s, pos + 1, keep_null)
      if v ~= json.null then obj[key] = v end
      pos = skip(s, pos)
      local d = s:sub(pos, pos)
      if d == "}" then return obj, pos + 1 end
      if d ~= "," then decode_error(s, pos, "expected ',' or '}'") end
      pos = skip(s, pos + 1)
    end
  elseif c == "[" then
    local arr, n = {}, 0
    pos = skip(s, pos + 1)
    if s:sub(pos, pos) == "]" then return arr, pos + 1 end
    while true do
      local v
      v, pos = decode_value(s, pos, keep_null)
      n = n + 1
      if v == json.null then
        if keep_null then arr[n] = json.null end
      else arr[n] = v end
      pos = skip(s, pos)
      local d = s:sub(pos, pos)
      if d == "]" then return arr, pos + 1 end
      if d ~= "," then decode_error(s, pos, "expected ',' or ']'") end
      pos = pos + 1
    end
  elseif c == '"' then
    return decode_string(s, pos)
  elseif s:sub(pos, pos + 3) == "true" then return true, pos + 4
  elseif s:sub(pos, pos + 4) == "false" then return false, pos + 5
  elseif s:sub(pos, pos + 3) == "null" then return json.null, pos + 4
  else
    local text = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
    if not text or text == "" or text == "-" then
      decode_error(s, pos, c == "" and "unexpected end of text" or ("unexpected character '" .. c .. "'"))
    end
    local v = tonumber(text)
    if v == nil then decode_error(s, pos, "bad number " .. text) end
    if not text:find("[.eE]") then v = math.tointeger(v) or v end
    return v, pos + #text
  end
end

--- The Lua value of JSON text `s` (null → nil; `{keep_null = true}` keeps json.null in arrays).
function json.decode(s, options)
  if type(s) ~= "string" then error("[json.decode] expected a string; got " .. type(s), 2) end
  local ok, value, pos = pcall(decode_value, s, 1, options and options.keep_null)
  if not ok then error(value, 2) end
  pos = skip(s, pos)
  if pos <= #s then
    local ok2, err = pcall(decode_error, s, pos, "unexpected text after the value")
    if not ok2 then error(err, 2) end
  end
  if value == json.null then return nil end
  return value
end

return json
