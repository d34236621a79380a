-- nn.init: in-place initializers (PyTorch's torch.nn.init). Each fills a tensor under no_grad
-- and returns it, so parameters can be re-initialized after construction:
--   nn.init.kaiming_uniform_(layer.weight, {a = math.sqrt(5)})
--   nn.init.xavier_normal_(w, {gain = nn.init.calculate_gain("tanh")})
local init = {}

local function check(op, t)
  if not torch.is_tensor(t) then error(string.format("[%s] expected a tensor; got %s", op, type(t)), 3) end
end

-- Writes `make()` into t without recording gradients.
local function fill(t, make)
  torch.no_grad(function() t:copy_(make()) end)
  return t
end

--- Gain for a nonlinearity: linear/conv/sigmoid 1, tanh 5/3, relu sqrt(2),
--- leaky_relu sqrt(2 / (1 + slope^2)) (slope default 0.01), selu 3/4.
function init.calculate_gain(nonlinearity, param)
  local linear = {linear = true, identity = true, sigmoid = true, conv1d = true, conv2d = true, conv3d = true,
    conv_transpose1d = true, conv_transpose2d = true, conv_transpose3d = true}
  if linear[nonlinearity] then return 1 end
  if nonlinearity == "tanh" then return 5 / 3 end
  if nonlinearity == "relu" then return math.sqrt(2) end
  if nonlinearity == "selu" then return 3 / 4 end
  if nonlinearity == "leaky_relu" then
    local slope = param == nil and 0.01 or param
    if type(slope) ~= "number" then error("[calculate_gain] negative slope must be a number", 2) end
    return math.sqrt(2 / (1 + slope * slope))
  end
  error("[calculate_gain] unsupported nonlinearity " .. tostring(nonlinearity), 2)
end

--- fan_in = size(2) * receptive field, fan_out = size(1) * receptive field (tensors of 2+ dims).
function init.calculate_fan_in_and_fan_out(t)
  check("calculate_fan_in_and_fan_out", t)
  if t:dim() < 2 then
    error("[init] fan in and fan out need a tensor with at least 2 dims; got shape (" .. table.concat(t:size(), ",") .. ")", 3)
  end
  local receptive = 1
  for d = 3, t:dim() do receptive = receptive * t:size(d) end
  return t:size(2) * receptive, t:size(1) * receptive
end

--- U(a, b), defaults U(0, 1).
function init.uniform_(t, a, b)
  check("uniform_", t)
  a, b = a or 0, b or 1
  return fill(t, function() return torch.rand(t:size(), {dtype = t.dtype}) * (b - a) + a end)
end

--- N(mean, std^2), defaults N(0, 1).
function init.normal_(t, mean, std)
  check("normal_", t)
  mean, std = mean or 0, std or 1
  return fill(t, function() return torch.randn(t:size(), {dtype = t.dtype}) * std + mean end)
end

function init.constant_(t, value)
  check("constant_", t)
  torch.no_grad(function() t:fill_(value) end)
  return t
end

function init.zeros_(t) return init.constant_(t, 0) end
function init.ones_(t) return init.constant_(t, 1) end

--- Identity matrix in a 2-d tensor (PyTorch's eye_).
function init.eye_(t)
  check("eye_", t)
  if t:dim() ~= 2 then error("[eye_] expects a 2-d tensor", 2) end
  return fill(t, function() return torch.eye(t:size(1), t:size(2), {dtype = t.dtype}) end)
end

local function gain_option(opts)
  if type(opts) == "number" then return opts end
  return type(opts) == "table" and opts.gain or 1
end

--- U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)). Gain as a number or {gain = g}.
function init.xavier_uniform_(t, opts)
  check("xavier_uniform_", t)
  local fan_in, fan_out = init.calculate_fan_in_and_fan_out(t)
  local bound = gain_option(opts) * math.sqrt(6 / (fan_in + fan_out))
  return init.uniform_(t, -bound, bound)
end

--- N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)).
function init.xavier_normal_(t, opts)
  check("xavier_normal_", t)
  local fan_in, fan_out = init.calculate_fan_in_and_fan_out(t)
  return init.normal_(t, 0, gain_option(opts) * math.sqrt(2 / (fan_in + fan_out)))
end

-- std = gain(nonlinearity, a) / sqrt(fan) for the kaiming initializers.
local function kaiming_std(op, t, opts)
  check(op, t)
  local o = type(opts) == "number" and {a = opts} or opts or {}
  local mode = o.mode or "fan_in"
  if mode ~= "fan_in" and mode ~= "fan_out" then
    error(string.format("[%s] mode must be \"fan_in\" or \"fan_out\"; got %s", op, tostring(mode)), 3)
  end
  local fan_in, fan_out = init.calculate_fan_in_and_fan_out(t)
  local fan = mode == "fan_in" and fan_in or fan_out
  if fan == 0 then return 0 end
  return init.calculate_gain(o.nonlinearity or "leaky_relu", o.a or 0) / math.sqrt(fan)
end

--- U(-bound, bound), bound = sqrt(3) * gain / sqrt(fan). Options: a (leaky slope, default 0),
--- mode ("fan_in" | "fan_out"), nonlinearity (default "leaky_relu"). A number is taken as a.
function init.kaiming_uniform_(t, opts)
  local bound = math.sqrt(3) * kaiming_std("kaiming_uniform_", t, opts)
  return init.uniform_(t, -bound, bound)
end

--- N(0, std^2), std = gain / sqrt(fan); options as kaiming_uniform_.
function init.kaiming_normal_(t, opts)
  return init.normal_(t, 0, kaiming_std("kaiming_normal_", t, opts))
end

--- A (semi-)orthogonal matrix (rows or columns orthonormal) scaled by gain, from Gram-Schmidt
--- on a Gaussian matrix; tensors of more than 2 dims are treated as (size(1), rest).
function init.orthogonal_(t, opts)
  check("orthogonal_", t)
  if t:dim() < 2 then error("[orthogonal_] expects a tensor with at least 2 dims", 2) end
  local rows = t:size(1)
  local cols = t:numel() // rows
  local tall = rows >= cols
  local m, n = math.max(rows, cols), math.min(rows, cols)
  local a = torch.randn(m, n, {dtype = "float64"})
  local q = torch.zeros(m, n, {dtype = "float64"})
  for j = 1, n do
    local v = a[{{}, {j}}]                                   -- (m, 1)
    if j > 1 then
      local prev = q[{{}, {1, j - 1}}]                       -- (m, j-1)
      for _ = 1, 2 do v = v - prev:matmul(prev:t():matmul(v)) end  -- twice for stability
    end
    q[{{}, {j}}] = v / v:norm()
  end
  if not tall then q = q:t() end
  local gain = gain_option(opts)
  return fill(t, function() return (q * gain):reshape(t:size()):to(t.dtype) end)
end

return init
