-- lumen.data.collate: default batching of samples into tensors (part of the `data` library; see lumen/data/init.lua).
local data = require "lumen.data.namespace"
local util = require "lumen.data.util"
local is_tensor = torch.is_tensor

local function is_array(v)
  return type(v) == "table" and not is_tensor(v) and v[1] ~= nil
end

local function collate_value(values, where)
  local first = values[1]
  if is_tensor(first) then
    for k = 2, #values do
      if not is_tensor(values[k]) then
        error(string.format("[collate] %ssample %d is a %s but sample 1 is a tensor", where, k, type(values[k])), 0)
      end
    end
    local ok, result = pcall(torch.stack, values)
    if not ok then error(string.format("[collate] %scannot stack samples: %s", where, tostring(result)), 0) end
    return result
  elseif type(first) == "number" or type(first) == "boolean" then
    for k = 2, #values do
      if type(values[k]) ~= type(first) then
        error(string.format("[collate] %ssample %d is a %s but sample 1 is a %s", where, k, type(values[k]), type(first)), 0)
      end
    end
    return torch.tensor(values)
  elseif type(first) == "string" then
    return {table.unpack(values)}
  elseif type(first) == "table" then
    local out = {}
    if first[1] ~= nil then
      for pos = 1, #first do
        local column = {}
        for k, v in ipairs(values) do
          if type(v) ~= "table" or #v ~= #first then
            error(string.format("[collate] %ssample %d does not have %d fields like sample 1", where, k, #first), 0)
          end
          column[k] = v[pos]
        end
        out[pos] = collate_value(column, where .. "field " .. pos .. ": ")
      end
    else
      for key in pairs(first) do
        local column = {}
        for k, v in ipairs(values) do
          if type(v) ~= "table" or v[key] == nil then
            error(string.format("[collate] %ssample %d lacks key %q", where, k, tostring(key)), 0)
          end
          column[k] = v[key]
        end
        out[key] = collate_value(column, where .. "key " .. tostring(key) .. ": ")
      end
    end
    return out
  end
  return {table.unpack(values)}
end

--- Batches a list of samples the way DataLoader does by default: tensors are stacked (a new
--- first dim), numbers and booleans become a tensor (torch.tensor's dtype rules: integers →
--- int64), strings stay a Lua array, tables are batched per field/key. Tuple samples (array
--- tables) give one return value per position.
function data.default_collate(samples)
  if #samples == 0 then error("[collate] no samples to batch", 2) end
  local batch = collate_value(samples, "")
  if is_array(samples[1]) then return table.unpack(batch, 1, #samples[1]) end
  return batch
end
