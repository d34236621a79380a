-- nn._ConvNd: the shared base of Conv1d, Conv2d and ConvTranspose2d (PyTorch's _ConvNd).
-- Sizes are kept as tables of `dims` entries ({3, 3}), padding also as "same"/"valid".
-- Parameters as PyTorch: weight (out, in/groups, k...) — (in, out/groups, k...) when transposed —
-- and bias (out), initialized with kaiming_uniform_(a = sqrt(5)) and U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
local nn = require "lumen.nn"
local options = require "lumen.nn.functional.options"

local ConvNd = nn.Module:extend("_ConvNd")

local PADDING_MODES = {zeros = true, reflect = true, replicate = true, circular = true}

-- `v` (a number or a table of `dims` numbers) as a table of `dims` integers >= `min`.
local function tuple(op, name, v, dims, min)
  local t = type(v) == "table" and v or {v}
  if #t == 1 and dims > 1 then t = {t[1], t[1]} end
  local ok = #t == dims
  local out = {}
  for i = 1, dims do
    out[i] = math.tointeger(t[i])
    ok = ok and out[i] ~= nil and out[i] >= min
  end
  if not ok then
    local shown = type(v) == "table" and "{" .. table.concat(v, ", ") .. "}" or tostring(v)
    error(string.format("[%s] %s must be %s integer%s (a number or a table of %d); got %s", op, name,
      min > 0 and "positive" or "non-negative", dims > 1 and "s" or "", dims, shown), 5)
  end
  return out
end
ConvNd.tuple = tuple

--- "(3, 3)" / "(3,)" as PyTorch prints tuples.
function ConvNd.tuple_string(t)
  if type(t) ~= "table" then return tostring(t) end
  if #t == 1 then return "(" .. t[1] .. ",)" end
  return "(" .. table.concat(t, ", ") .. ")"
end

local function product(t)
  local n = 1
  for _, v in ipairs(t) do n = n * v end
  return n
end

--- Shared constructor: validates sizes and options, creates the parameters.
function ConvNd:setup(dims, transposed, in_channels, out_channels, kernel_size, opts)
  local op = self.__name
  local defaults = {stride = 1, padding = 0, dilation = 1, groups = 1, bias = true, padding_mode = "zeros",
    dtype = "float32"}
  if transposed then defaults.output_padding = 0 end
  local o = options.read(op, opts, defaults)
  local cin, cout, groups = math.tointeger(in_channels), math.tointeger(out_channels), math.tointeger(o.groups)
  if cin == nil or cout == nil or cin < 1 or cout < 1 then
    error(string.format("[%s] expected positive integer channel counts (in_channels, out_channels); got %s, %s",
      op, tostring(in_channels), tostring(out_channels)), 4)
  end
  if groups == nil or groups < 1 or cin % groups ~= 0 or cout % groups ~= 0 then
    error(string.format("[%s] in_channels (%d) and out_channels (%d) must be divisible by groups (%s)",
      op, cin, cout, tostring(o.groups)), 4)
  end
  if not PADDING_MODES[o.padding_mode] or (transposed and o.padding_mode ~= "zeros") then
    error(string.format("[%s] padding_mode must be %s; got %s", op,
      transposed and "\"zeros\"" or "\"zeros\", \"reflect\", \"replicate\" or \"circular\"", tostring(o.padding_mode)), 4)
  end
  self.in_channels, self.out_channels, self.groups = cin, cout, groups
  self.kernel_size = tuple(op, "kernel_size", kernel_size, dims, 1)
  self.stride = tuple(op, "stride", o.stride, dims, 1)
  self.dilation = tuple(op, "dilation", o.dilation, dims, 1)
  if type(o.padding) == "string" then
    if transposed or (o.padding ~= "same" and o.padding ~= "valid") then
      error(string.format("[%s] padding must be a size%s; got \"%s\"", op,
        transposed and "" or ", \"same\" or \"valid\"", o.padding), 4)
    end
    for _, s in ipairs(self.stride) do
      if o.padding == "same" and s ~= 1 then
        error(string.format("[%s] padding \"same\" needs stride 1; got stride %s", op, ConvNd.tuple_string(self.stride)), 4)
      end
    end
    self.padding = o.padding == "valid" and tuple(op, "padding", 0, dims, 0) or "same"
  else
    self.padding = tuple(op, "padding", o.padding, dims, 0)
  end
  if transposed then self.output_padding = tuple(op, "output_padding", o.output_padding, dims, 0) end
  self.padding_mode = o.padding_mode
  self.transposed = transposed
  local shape = transposed and {cin, cout // groups} or {cout, cin // groups}
  for _, k in ipairs(self.kernel_size) do shape[#shape + 1] = k end
  self.weight = nn.Parameter(torch.zeros(shape, {dtype = o.dtype}))
  if o.bias then self.bias = nn.Parameter(torch.zeros(cout, {dtype = o.dtype})) end
  self:reset_parameters()
end

function ConvNd:reset_parameters()
  nn.init.kaiming_uniform_(self.weight, {a = math.sqrt(5)})
  if self.bias ~= nil then
    local fan_in = nn.init.calculate_fan_in_and_fan_out(self.weight)
    local bound = fan_in > 0 and 1 / math.sqrt(fan_in) or 0
    nn.init.uniform_(self.bias, -bound, bound)
  end
end

--- F.pad sizes (last dim first) for padding_mode ~= "zeros", as PyTorch's
--- _reversed_padding_repeated_twice ("same": the odd element after).
function ConvNd:reversed_padding()
  local pads = {}
  for i = #self.kernel_size, 1, -1 do
    if self.padding == "same" then
      local total = self.dilation[i] * (self.kernel_size[i] - 1)
      pads[#pads + 1] = total // 2
      pads[#pads + 1] = total - total // 2
    else
      pads[#pads + 1] = self.padding[i]
      pads[#pads + 1] = self.padding[i]
    end
  end
  return pads
end

--- Multiply-adds of one forward (for nn.utils.summary).
function ConvNd:flops(inputs, output)
  local taps = product(self.kernel_size)
  if self.transposed then return inputs[1]:numel() * (self.out_channels // self.groups) * taps end
  return output:numel() * (self.in_channels // self.groups) * taps
end

function ConvNd:extra_repr()
  local ts = ConvNd.tuple_string
  local s = string.format("%d, %d, kernel_size=%s, stride=%s", self.in_channels, self.out_channels,
    ts(self.kernel_size), ts(self.stride))
  local function all(t, v)
    for _, x in ipairs(t) do if x ~= v then return false end end
    return true
  end
  if self.padding == "same" then s = s .. ", padding=same"
  elseif not all(self.padding, 0) then s = s .. ", padding=" .. ts(self.padding) end
  if not all(self.dilation, 1) then s = s .. ", dilation=" .. ts(self.dilation) end
  if self.output_padding and not all(self.output_padding, 0) then s = s .. ", output_padding=" .. ts(self.output_padding) end
  if self.groups ~= 1 then s = s .. ", groups=" .. self.groups end
  if self.bias == nil then s = s .. ", bias=false" end
  if self.padding_mode ~= "zeros" then s = s .. ", padding_mode=" .. self.padding_mode end
  return s
end

return ConvNd
