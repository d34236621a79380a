-- Runs a container's child and re-raises its errors with the child's path prefixed:
--   [Sequential.3 Linear] [matmul] inner dimensions differ: (2,3) x (4,5)
-- A child that is itself the same kind of container merges paths: [Sequential.3.2 Linear].
local function strip_position(message)
  local rest = message:match("^[^\n]-:%d+: (%[.*)$")
  return rest or message
end

return function(container, key, child, ...)
  local results = table.pack(pcall(child, ...))
  if results[1] then return table.unpack(results, 2, results.n) end
  local err = results[2]
  if type(err) ~= "string" then error(err, 0) end
  err = strip_position(err)
  local name = container.__name
  local inner_path, inner_rest = err:match("^%[" .. child.__name:gsub("%p", "%%%0") .. "%.([^%s%]]+) (.*)$")
  if inner_path and child.__name == name then
    error(string.format("[%s.%s.%s %s", name, tostring(key), inner_path, inner_rest), 0)
  end
  error(string.format("[%s.%s %s] %s", name, tostring(key), child.__name, err), 0)
end
