-- nn.utils: helpers around modules. gradcheck compares autograd gradients with central finite
-- differences (use float64 tensors):
--   local lin = nn.Linear(3, 2):double()
--   local x = torch.randn(4, 3, {dtype = "float64"})
--   nn.utils.gradcheck(function() return lin(x) end, lin:parameters())
local utils = {}

--- Checks d fn() / d tensors. fn() returns a tensor; a non-scalar output is reduced with fixed
--- random weights (so every output element counts). Each tensor is perturbed in place under
--- no_grad, element by element (at most `max_elements` evenly spaced ones, default 64).
--- Raises an error naming the tensor and element on a mismatch; returns true otherwise.
--- Options: eps (1e-6), atol (1e-5), rtol (1e-3), max_elements.
function utils.gradcheck(fn, tensors, opts)
  opts = opts or {}
  local eps, atol, rtol = opts.eps or 1e-6, opts.atol or 1e-5, opts.rtol or 1e-3
  local max_elements = opts.max_elements or 64
  if torch.is_tensor(tensors) then tensors = {tensors} end
  local weights
  local function scalar()
    local out = fn()
    if out:numel() == 1 then return out:sum() end
    if not weights then weights = torch.randn(out:size(), {dtype = out.dtype}) end
    return (out * weights):sum()
  end
  for _, t in ipairs(tensors) do
    if t.dtype ~= "float64" then error("[gradcheck] tensors must be float64; got " .. t.dtype, 2) end
    t.grad = nil
  end
  scalar():backward()
  for k, t in ipairs(tensors) do
    local analytic = t.grad and t.grad:reshape(-1) or torch.zeros(t:numel(), {dtype = "float64"})
    local flat = t:detach():view(-1)
    local n = flat:numel()
    local step = math.max(1, n // max_elements)
    for i = 1, n, step do
      local original = flat[i]
      local plus, minus
      torch.no_grad(function()
        flat[i] = original + eps
        plus = scalar():item()
        flat[i] = original - eps
        minus = scalar():item()
        flat[i] = original
      end)
      local numeric = (plus - minus) / (2 * eps)
      local a = analytic[i]
      if math.abs(a - numeric) > atol + rtol * math.abs(numeric) then
        error(string.format("[gradcheck] tensor %d %s element %d: autograd gives %.8g, finite differences %.8g",
          k, "(" .. table.concat(t:size(), ",") .. ")", i, a, numeric), 2)
      end
    end
  end
  return true
end

-- Shifts every all-digit segment of a dotted name by `delta` ("layers.0.weight" → "layers.1.weight").
local function shift_indices(name, delta)
  return (("." .. name .. "."):gsub("%.(%d+)%f[.]", function(d) return "." .. (tonumber(d) + delta) end):sub(2, -2))
end

local function shifted(sd, delta, op)
  if type(sd) ~= "table" then error(string.format("[%s] expected a state dict table; got %s", op, type(sd)), 3) end
  local out = {}
  for name, t in pairs(sd) do out[shift_indices(tostring(name), delta)] = t end
  return out
end

--- A PyTorch state dict (0-based Sequential/ModuleList indices, "0.weight") renamed for Lumen's
--- 1-based children ("1.weight"). Every all-digit name segment is a container index in both.
function utils.state_dict_from_pytorch(sd)
  return shifted(sd, 1, "state_dict_from_pytorch")
end

--- The inverse: Lumen names renamed to PyTorch's 0-based container indices.
function utils.state_dict_to_pytorch(sd)
  return shifted(sd, -1, "state_dict_to_pytorch")
end

utils.shift_indices = shift_indices

--- Per-layer output shapes, parameter counts and multiply-adds of one forward pass, printed
--- and returned (see lumen/nn/summary.lua): nn.utils.summary(net, {1, 3, 32, 32}).
function utils.summary(model, input_shape, opts)
  return require("lumen.nn.summary")(model, input_shape, opts)
end

return utils
