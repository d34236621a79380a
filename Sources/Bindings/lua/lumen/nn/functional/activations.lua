-- Activation functions of nn.functional, composed from engine ops (autograd gives backward).
local options = require "lumen.nn.functional.options"
local F = {}

function F.relu(x) return options.tensor("relu", x):relu() end
function F.sigmoid(x) return options.tensor("sigmoid", x):sigmoid() end
function F.tanh(x) return options.tensor("tanh", x):tanh() end
function F.silu(x) return options.tensor("silu", x):silu() end

--- max(0, x) + negative_slope * min(0, x); gradient at 0 is negative_slope (as PyTorch).
function F.leaky_relu(x, opts)
  local o = options.read("leaky_relu", opts, {negative_slope = 0.01}, "negative_slope")
  options.tensor("leaky_relu", x)
  return torch.where(x:gt(0), x, x * o.negative_slope)
end

--- x for x > 0, alpha * (exp(x) - 1) otherwise (exp only sees min(x, 0), so no overflow).
function F.elu(x, opts)
  local o = options.read("elu", opts, {alpha = 1.0}, "alpha")
  options.tensor("elu", x)
  return x:relu() + (x:clamp(nil, 0):exp() - 1) * o.alpha
end

--- Exact erf form by default; {approximate = "tanh"} for the tanh approximation.
function F.gelu(x, opts)
  local o = options.read("gelu", opts, {approximate = "none"}, "approximate")
  options.tensor("gelu", x)
  if o.approximate == "none" then return x:gelu() end
  if o.approximate ~= "tanh" then
    error("[gelu] approximate must be \"none\" or \"tanh\"; got " .. tostring(o.approximate), 2)
  end
  local inner = (x + x ^ 3 * 0.044715) * math.sqrt(2 / math.pi)
  return x * (inner:tanh() + 1) * 0.5
end

--- log(1 + exp(beta x)) / beta, and x itself where beta x > threshold.
function F.softplus(x, opts)
  local o = options.read("softplus", opts, {beta = 1.0, threshold = 20.0}, "beta")
  options.tensor("softplus", x)
  if o.beta == 1 and o.threshold >= 20 then return x:softplus() end
  local bx = x * o.beta
  return torch.where(bx:gt(o.threshold), x, bx:softplus() / o.beta)
end

--- log(sigmoid(x)) = -softplus(-x), computed stably.
function F.logsigmoid(x)
  return -(-options.tensor("logsigmoid", x)):softplus()
end

--- Parametric ReLU: weight has 1 or C (= size of dim 2) entries.
function F.prelu(x, weight)
  options.tensor("prelu", x)
  options.tensor("prelu", weight, "weight")
  local w = weight
  if weight:numel() > 1 then
    if x:dim() < 2 or x:size(2) ~= weight:numel() then
      error(string.format("[prelu] weight has %d entries but input %s has %s channels (dim 2)",
        weight:numel(), options.shape(x), x:dim() >= 2 and tostring(x:size(2)) or "no"), 2)
    end
    local shape = {}
    for d = 1, x:dim() do shape[d] = d == 2 and weight:numel() or 1 end
    w = weight:reshape(shape)
  end
  return torch.where(x:gt(0), x, x * w)
end

local function dim_option(op, opts)
  local o = options.read(op, opts, {dim = -1}, "dim")
  return o.dim
end

--- softmax along `dim` (default -1, the last dim): F.softmax(x, 2) or F.softmax(x, {dim = 2}).
function F.softmax(x, opts)
  return options.tensor("softmax", x):softmax(dim_option("softmax", opts))
end

function F.log_softmax(x, opts)
  return options.tensor("log_softmax", x):log_softmax(dim_option("log_softmax", opts))
end

--- x / max(||x||_p, eps) along `dim` (default 2, as PyTorch's dim=1).
function F.normalize(x, opts)
  local o = options.read("normalize", opts, {p = 2.0, dim = 2, eps = 1e-12})
  local n = options.tensor("normalize", x):norm(o.p, o.dim, true):clamp(o.eps)
  return x / n
end

return F
