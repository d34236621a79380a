-- Dynamic int8 and weight-only int4 quantization of any model (not only Sequential):
--   deploy.quantize_dynamic(model, {per_channel = true})  Linear → DynamicLinear, LSTM → DynamicLSTM
--   deploy.quantize_int4(model, {group_size = 32})        Linear → Int4Linear
-- Both return a NEW model (a deep copy with the layers replaced); the original is untouched.
local nn = require "lumen.nn"
local clone = require "lumen.nn.sequence.clone"

local M = {}
M.DynamicLinear = require "lumen.deploy.layers.DynamicLinear"
M.DynamicLSTM = require "lumen.deploy.layers.DynamicLSTM"
M.Int4Linear = require "lumen.deploy.layers.Int4Linear"

-- A copy of `model` where every descendant `m` with replace(m) ~= nil is swapped for it.
local function transformed(model, op, replace)
  if not nn.is_module(model) then error(string.format("[%s] expected a module; got %s", op, type(model)), 3) end
  local direct = replace(model)
  if direct then return direct, 1 end
  local copy = clone(model)
  local count = 0
  for _, pair in ipairs(copy:named_modules()) do
    local parent = pair[2]
    for _, child in ipairs(parent:named_children()) do
      local name, m = child[1], child[2]
      local r = replace(m)
      if r then
        local key = math.tointeger(tonumber(name)) or name
        if rawget(parent, key) ~= m then key = name end
        parent[key] = r
        count = count + 1
      end
    end
  end
  copy:eval()
  return copy, count
end

function M.quantize_dynamic(model, options)
  options = options or {}
  local per_channel = options.per_channel ~= false
  local q = transformed(model, "deploy.quantize_dynamic", function(m)
    local class = getmetatable(m)
    if class == nn.Linear then return M.DynamicLinear.from_float(m, per_channel) end
    if class == nn.LSTM then return M.DynamicLSTM.from_float(m, per_channel) end
  end)
  return q
end

function M.quantize_int4(model, options)
  options = options or {}
  local group = options.group_size or 32
  if math.tointeger(group) == nil or group < 2 or group % 2 ~= 0 then
    error(string.format("[deploy.quantize_int4] group_size must be an even integer >= 2; got %s", tostring(group)), 2)
  end
  local q = transformed(model, "deploy.quantize_int4", function(m)
    if getmetatable(m) == nn.Linear then return M.Int4Linear.from_float(m, group) end
  end)
  return q
end

return M
