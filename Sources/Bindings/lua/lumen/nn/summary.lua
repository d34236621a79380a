-- nn.utils.summary(model, input_shape, {dtype = "float32", print = true}): a model report.
-- Runs one forward pass (eval mode, no gradients; training flags restored afterwards) with every
-- descendant's forward wrapped, and lists each call in order: name (indented by depth), class,
-- output shape, parameters (the module's subtree, on its first call) and multiply-adds (FLOPs as
-- MACs, including the module's descendants). MACs come from a module's `flops(inputs, output)`
-- method (Conv*, Linear, Bilinear define one); other modules (activations, pooling, norms) count 0.
--   input_shape: sizes of one input ({1, 3, 32, 32}), a list of such tables, or tensors.
-- Returns {rows = {{name=, class=, depth=, output_shape=, params=, flops=}, ...}, total_params=,
-- trainable_params=, total_flops=, output_shape=} whose tostring is the printed table.
--   nn.utils.summary(net, {1, 1, 28, 28})
local Summary = {}
Summary.__index = Summary

local function shape_text(v)
  if torch.is_tensor(v) then return "(" .. table.concat(v:size(), ",") .. ")" end
  if type(v) == "table" then
    local parts = {}
    for i, x in ipairs(v) do parts[i] = shape_text(x) end
    return "{" .. table.concat(parts, ", ") .. "}"
  end
  return type(v)
end

-- 1234567 -> "1,234,567".
local function grouped(n)
  local s = tostring(math.floor(n))
  local out = s:reverse():gsub("(%d%d%d)", "%1,"):reverse()
  return (out:gsub("^,", ""))
end

local function inputs_for(op, input_shape, dtype)
  if torch.is_tensor(input_shape) then return {input_shape} end
  if type(input_shape) ~= "table" or #input_shape == 0 then
    error(string.format("[%s] input_shape must be a table of sizes, a list of them, or tensors; got %s", op,
      type(input_shape)), 3)
  end
  local function make(v)
    if torch.is_tensor(v) then return v end
    for _, s in ipairs(v) do
      if math.tointeger(s) == nil or s < 0 then
        error(string.format("[%s] input_shape must hold non-negative integer sizes; got %s", op, tostring(s)), 4)
      end
    end
    return torch.ones(v, {dtype = dtype})   -- ones: valid token ids too (dtype = "int64")
  end
  if type(input_shape[1]) == "number" then return {make(input_shape)} end
  local list = {}
  for i, v in ipairs(input_shape) do list[i] = make(v) end
  return list
end

--- The report as a table: one line per module call, then the totals.
function Summary:__tostring()
  local header = {"Layer (type)", "Output shape", "Params", "MACs"}
  local lines = {}
  for i, r in ipairs(self.rows) do
    lines[i] = {string.rep("  ", r.depth - 1) .. r.name .. " (" .. r.class .. ")", r.output,
      r.params > 0 and grouped(r.params) or "-", r.flops > 0 and grouped(r.flops) or "-"}
  end
  local widths = {}
  for c = 1, 4 do
    widths[c] = #header[c]
    for _, l in ipairs(lines) do widths[c] = math.max(widths[c], #l[c]) end
  end
  local function format(l)
    return string.format("%-" .. widths[1] .. "s  %-" .. widths[2] .. "s  %" .. widths[3] .. "s  %" .. widths[4] .. "s",
      l[1], l[2], l[3], l[4])
  end
  local rule = string.rep("=", widths[1] + widths[2] + widths[3] + widths[4] + 6)
  local out = {self.model_name .. " summary", rule, format(header), rule}
  for _, l in ipairs(lines) do out[#out + 1] = format(l) end
  out[#out + 1] = rule
  out[#out + 1] = string.format("Total params: %s (trainable: %s)", grouped(self.total_params),
    grouped(self.trainable_params))
  out[#out + 1] = string.format("Total MACs: %s (%.3g M) per forward", grouped(self.total_flops), self.total_flops / 1e6)
  out[#out + 1] = string.format("Input: %s  Output: %s", self.input, self.output)
  return table.concat(out, "\n")
end

local function summary(model, input_shape, opts)
  local op = "summary"
  local nn = require "lumen.nn"
  if not nn.is_module(model) then error("[summary] expected a module; got " .. type(model), 2) end
  opts = opts or {}
  local inputs = inputs_for(op, input_shape, opts.dtype or "float32")
  local rows, flops, seen = {}, 0, {}
  local wrapped, training = {}, {}
  for _, pair in ipairs(model:named_modules()) do
    local name, m = pair[1], pair[2]
    training[m] = m.training
    if m ~= model then
      local own, forward = rawget(m, "forward"), m.forward
      wrapped[#wrapped + 1] = {m, own}
      local depth = select(2, name:gsub("%.", "")) + 1
      rawset(m, "forward", function(self, ...)
        local row = {name = name, class = self.__name, depth = depth, params = 0}
        if not seen[self] then row.params = self:num_parameters() end
        seen[self] = true
        rows[#rows + 1] = row
        local before = flops
        local results = table.pack(forward(self, ...))
        local out = results[1]
        local own_flops = type(self.flops) == "function" and self:flops({...}, out) or 0
        flops = flops + own_flops
        row.flops = flops - before
        row.output_shape = torch.is_tensor(out) and out:size() or nil
        row.output = shape_text(out)
        return table.unpack(results, 1, results.n)
      end)
    end
  end
  model:eval()
  local ok, result = pcall(torch.no_grad, function() return model(table.unpack(inputs)) end)
  for _, w in ipairs(wrapped) do rawset(w[1], "forward", w[2]) end
  for m, flag in pairs(training) do rawset(m, "training", flag) end
  if not ok then error(result, 0) end
  if type(model.flops) == "function" then flops = flops + model:flops(inputs, result) end
  local report = setmetatable({rows = rows, total_params = model:num_parameters(),
    trainable_params = model:num_parameters({trainable = true}), total_flops = flops,
    input = shape_text(#inputs == 1 and inputs[1] or inputs), output = shape_text(result),
    output_shape = torch.is_tensor(result) and result:size() or nil, model_name = model.__name}, Summary)
  if opts.print ~= false then print(report) end
  return report
end

return summary
