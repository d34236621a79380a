-- deploy.report(model, {input = example, data = loader, runs = 50, warmup = 5}): what deploying
-- `model` costs. Returns a table (tostring prints it):
--   params          number of parameters
--   bytes_float32   size of the float32 state dict as a safetensors file (written and measured)
--   bytes_int8      estimated size with Linear/Conv weights in int8 (+ one float32 scale per
--                   output channel, int32 biases), other tensors float32
--   bytes_int4      the same with 4-bit weights (two per byte)
--   macs            multiply-adds of one forward of one sample (input's first row; nn.utils.summary's count)
--   latency_ms      median wall time of a forward on one sample (input's first row), eval mode
--   accuracy        with `data` (a loader yielding x, y): fraction of argmax(model(x), 2) == y
local report = {}

local QUANTIZABLE = {Linear = true, Conv1d = true, Conv2d = true}

local function state_dict_bytes(model)
  local path = os.tmpname()
  local ok, err = pcall(torch.save, path, model:state_dict())
  local size = nil
  if ok then
    local f = io.open(path, "rb")
    if f then size = f:seek("end"); f:close() end
  end
  os.remove(path)
  if not ok then error(err, 0) end
  return size
end

-- Estimated bytes with quantized weights of `bits` per element.
local function quantized_bytes(model, bits)
  local total, counted = 0, {}
  for _, m in ipairs(model:modules()) do
    if QUANTIZABLE[m.__name] and torch.is_tensor(m.weight) then
      local w = m.weight
      counted[w] = true
      total = total + math.ceil(w:numel() * bits / 8) + 4 * w:size(1)
      if m.bias ~= nil then counted[m.bias] = true; total = total + 4 * m.bias:numel() end
    end
  end
  for _, t in ipairs(model:parameters()) do if not counted[t] then total = total + 4 * t:numel() end end
  for _, t in ipairs(model:buffers()) do total = total + t:numel() * (t.dtype == "float64" and 8 or 4) end
  return total
end

local function median(list)
  table.sort(list)
  local n = #list
  if n % 2 == 1 then return list[(n + 1) // 2] end
  return (list[n // 2] + list[n // 2 + 1]) / 2
end

local function latency(model, x, runs, warmup)
  local one = x:narrow(1, 1, 1)
  local clock = lumen_internal.clock
  local times = {}
  torch.no_grad(function()
    for _ = 1, warmup do model(one) end
    for i = 1, runs do
      local t0 = clock()
      model(one)
      times[i] = (clock() - t0) * 1000
    end
  end)
  return median(times)
end

local function accuracy(model, loader)
  local correct, total = 0, 0
  torch.no_grad(function()
    for x, y in loader:iter() do
      local _, predicted = model(x):max(2)
      correct = correct + predicted:eq(y:reshape(predicted:size())):long():sum():item()
      total = total + y:numel()
    end
  end)
  return total > 0 and correct / total or 0
end

local Report = {}
Report.__index = Report

function Report:__tostring()
  local kb = function(b) return string.format("%.1f KB", b / 1024) end
  local lines = {
    string.format("%s deployment report", self.model),
    string.format("  parameters      %d", self.params),
    string.format("  size float32    %s (safetensors file)", kb(self.bytes_float32)),
    string.format("  size int8       %s (estimate)", kb(self.bytes_int8)),
    string.format("  size int4       %s (estimate)", kb(self.bytes_int4)),
  }
  if self.macs then lines[#lines + 1] = string.format("  MACs            %d (%.3g M per sample)", self.macs, self.macs / 1e6) end
  if self.latency_ms then lines[#lines + 1] = string.format("  latency         %.3f ms (median of %d, batch 1)", self.latency_ms, self.runs) end
  if self.accuracy then lines[#lines + 1] = string.format("  accuracy        %.2f%%", 100 * self.accuracy) end
  return table.concat(lines, "\n")
end

return function(model, opts)
  if not nn.is_module(model) then error("[report] expected a module; got " .. type(model), 2) end
  opts = opts or {}
  if opts.input ~= nil and not torch.is_tensor(opts.input) then
    error("[report] input must be an example tensor (batch first); got " .. type(opts.input), 2)
  end
  if opts.data ~= nil and (type(opts.data) ~= "table" or type(opts.data.iter) ~= "function") then
    error("[report] data must be a loader (with :iter()); got " .. type(opts.data), 2)
  end
  local r = setmetatable({model = model.__name, params = model:num_parameters(), runs = opts.runs or 50}, Report)
  r.bytes_float32 = state_dict_bytes(model)
  r.bytes_int8 = quantized_bytes(model, 8)
  r.bytes_int4 = quantized_bytes(model, 4)
  local training = {}
  for _, m in ipairs(model:modules()) do training[m] = m.training end
  model:eval()
  local ok, err = pcall(function()
    if opts.input ~= nil then
      r.macs = nn.utils.summary(model, {opts.input:narrow(1, 1, 1)}, {print = false}).total_flops
      r.latency_ms = latency(model, opts.input, r.runs, opts.warmup or 5)
    end
    if opts.data ~= nil then r.accuracy = accuracy(model, opts.data) end
  end)
  for m, flag in pairs(training) do rawset(m, "training", flag) end
  if not ok then error(err, 0) end
  return r
end
