-- Activation modules and functions against scalar formulas computed in Lua.

local F = nn.functional
local xs = {-30, -3, -1, -0.5, 0, 0.25, 1, 2.5, 30}
local x = torch.tensor(xs, {dtype = "float64"})

local function map(fn)
  local out = {}
  for i, v in ipairs(xs) do out[i] = fn(v) end
  return out
end

local function sigmoid(v) return 1 / (1 + math.exp(-v)) end
local function erf(v)
  -- Abramowitz-Stegun 7.1.26 is too coarse; integrate with Simpson's rule instead.
  local n, h, s = 2000, v / 2000, 0
  for i = 0, n do
    local t = i * h
    local w = (i == 0 or i == n) and 1 or (i % 2 == 1 and 4 or 2)
    s = s + w * math.exp(-t * t)
  end
  return s * h / 3 * 2 / math.sqrt(math.pi)
end

test("ReLU, Sigmoid, Tanh, SiLU", function()
  assert_close(nn.ReLU()(x), map(function(v) return math.max(v, 0) end), 1e-12)
  assert_close(nn.Sigmoid()(x), map(sigmoid), 1e-12)
  assert_close(nn.Tanh()(x), map(function(v) return (math.exp(2 * v) - 1) / (math.exp(2 * v) + 1) end), 1e-12)
  assert_close(nn.SiLU()(x), map(function(v) return v * sigmoid(v) end), 1e-12)
  assert_eq(tostring(nn.ReLU()), "ReLU()")
end)

test("LeakyReLU and ELU", function()
  assert_close(nn.LeakyReLU(0.2)(x), map(function(v) return v > 0 and v or 0.2 * v end), 1e-12)
  assert_close(nn.LeakyReLU()(x), map(function(v) return v > 0 and v or 0.01 * v end), 1e-12)
  assert_close(F.leaky_relu(x, {negative_slope = 0.3}), map(function(v) return v > 0 and v or 0.3 * v end), 1e-12)
  assert_close(nn.ELU(0.5)(x), map(function(v) return v > 0 and v or 0.5 * (math.exp(v) - 1) end), 1e-12)
  assert_eq(tostring(nn.LeakyReLU(0.2)), "LeakyReLU(negative_slope=0.2)")
  assert_eq(tostring(nn.ELU()), "ELU(alpha=1)")
  -- no overflow in the unused branch: finite gradients for large inputs
  local big = torch.tensor({100.0, -100.0}, {requires_grad = true})
  F.elu(big):sum():backward()
  assert_close(big.grad, {1, 0})
  local z = torch.zeros(1, {dtype = "float64", requires_grad = true})
  F.leaky_relu(z, 0.1):sum():backward()
  assert_close(z.grad, {0.1}, 1e-12, "gradient at 0 uses the negative slope, as PyTorch")
end)

test("GELU exact and tanh forms", function()
  assert_close(nn.GELU()(x), map(function(v) return 0.5 * v * (1 + erf(v / math.sqrt(2))) end), 1e-8)
  local approx = map(function(v) return 0.5 * v * (1 + math.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v ^ 3))) end)
  assert_close(nn.GELU({approximate = "tanh"})(x), approx, 1e-12)
  assert_eq(tostring(nn.GELU({approximate = "tanh"})), "GELU(approximate='tanh')")
  assert_error(function() nn.GELU({approximate = "fast"}) end, "[GELU] approximate")
end)

test("Softplus with beta and threshold", function()
  assert_close(nn.Softplus()(x), map(function(v) return math.log(1 + math.exp(v)) end), 1e-12)
  local sp = nn.Softplus({beta = 2, threshold = 5})
  assert_close(sp(x), map(function(v) return 2 * v > 5 and v or math.log(1 + math.exp(2 * v)) / 2 end), 1e-12)
  assert_eq(tostring(sp), "Softplus(beta=2, threshold=5)")
  assert_close(F.logsigmoid(x), map(function(v) return -math.log(1 + math.exp(-v)) end), 1e-12)
end)

test("PReLU learns one slope or one per channel", function()
  local p = nn.PReLU()
  assert_close(p.weight, {0.25})
  assert_close(p(torch.tensor({-4.0, 2})), {-1, 2})
  local pc = nn.PReLU(3, {init = 0.5, dtype = "float64"})
  local input = torch.tensor({{-1, -1, -1}, {2, -2, 4}}, {dtype = "float64"})
  local y = pc(input)
  assert_close(y, {{-0.5, -0.5, -0.5}, {2, -1, 4}}, 1e-12)
  y:sum():backward()
  assert_close(pc.weight.grad, {-1, -3, -1}, 1e-12)
  assert_error(function() pc(torch.randn(2, 4)) end, "[prelu] weight has 3 entries")
  assert_eq(tostring(pc), "PReLU(num_parameters=3)")
end)

test("Softmax and LogSoftmax along a 1-based dim", function()
  local m = torch.tensor({{1, 2, 3}, {0, 0, 0}}, {dtype = "float64"})
  local e = math.exp(1) + math.exp(2) + math.exp(3)
  local sm = nn.Softmax(2)(m)
  assert_close(sm[1], {math.exp(1) / e, math.exp(2) / e, math.exp(3) / e}, 1e-12)
  assert_close(sm[2], {1 / 3, 1 / 3, 1 / 3}, 1e-12)
  assert_close(nn.Softmax(1)(m):sum(1), {1, 1, 1}, 1e-12)
  assert_close(nn.LogSoftmax()(m), sm:log(), 1e-12)
  assert_close(F.softmax(m, {dim = 1}), nn.Softmax(1)(m), 1e-12)
  assert_eq(tostring(nn.Softmax(2)), "Softmax(dim=2)")
  assert_error(function() F.softmax(m, {dimension = 1}) end, "[softmax] unknown option \"dimension\"")
end)
