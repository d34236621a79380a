-- Option tables of nn.functional and the modules: defaults, unknown-key errors, reductions.
local options = {}

--- Marks an option whose default is nil (a table key cannot hold nil).
options.NONE = setmetatable({}, {__tostring = function() return "none" end})

--- `opts` (nil, a table, or a number standing for `positional`) merged over `defaults`; an unknown
--- key is an error naming the op and the known keys.
function options.read(op, opts, defaults, positional)
  local out = {}
  for k, v in pairs(defaults) do if v ~= options.NONE then out[k] = v end end
  if opts == nil then return out end
  if positional and type(opts) ~= "table" then
    out[positional] = opts
    return out
  end
  if type(opts) ~= "table" then
    error(string.format("[%s] expected an options table; got %s", op, torch.is_tensor(opts) and "a tensor" or type(opts)), 3)
  end
  for k, v in pairs(opts) do
    if defaults[k] == nil then
      local known = {}
      for name in pairs(defaults) do known[#known + 1] = name end
      table.sort(known)
      error(string.format("[%s] unknown option \"%s\" (known: %s)", op, tostring(k), table.concat(known, ", ")), 3)
    end
    out[k] = v
  end
  return out
end

--- Applies a loss reduction: "mean", "sum" or "none".
function options.reduce(op, loss, reduction)
  if reduction == "mean" then return loss:mean() end
  if reduction == "sum" then return loss:sum() end
  if reduction == "none" then return loss end
  error(string.format("[%s] reduction must be \"mean\", \"sum\" or \"none\"; got %s", op, tostring(reduction)), 3)
end

--- "(2,3)" for a tensor's shape, as the engine prints shapes.
function options.shape(t)
  return "(" .. table.concat(t:size(), ",") .. ")"
end

--- Errors unless `x` is a tensor.
function options.tensor(op, x, what)
  if not torch.is_tensor(x) then
    error(string.format("[%s] %s must be a tensor; got %s", op, what or "input", type(x)), 3)
  end
  return x
end

return options
