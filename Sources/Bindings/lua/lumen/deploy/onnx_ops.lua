-- ONNX translations of the tensor operations a forward pass uses between modules (residual
-- additions, attention's matmul / transpose / softmax, reshapes, concatenations...). Each entry
-- is fn(g, result, ...) where `...` are the arguments the op received (the tensor first for
-- methods) and `result` the tensor it returned; it adds nodes to graph `g` and binds `result`.
-- Dims are 1-based as in Lua; ONNX axes are 0-based (Graph.axis converts).
local Graph = require "lumen.deploy.onnx_graph"
local axis = Graph.axis

local ops = {}

local function elementwise(op_type)
  return function(g, result, a, b)
    local dtype = torch.is_tensor(a) and a.dtype or b.dtype
    if (type(a) == "table" and not torch.is_tensor(a)) or (type(b) == "table" and not torch.is_tensor(b)) then
      g:fail("%s with an options table is not supported", op_type)
    end
    g:bind(result, g:node(op_type, {g:operand(a, dtype), g:operand(b, dtype)}))
  end
end

local function unary(op_type)
  return function(g, result, x)
    g:bind(result, g:node(op_type, {g:operand(x)}))
  end
end

ops.add, ops.__add = elementwise("Add"), elementwise("Add")
ops.sub, ops.__sub = elementwise("Sub"), elementwise("Sub")
ops.mul, ops.__mul = elementwise("Mul"), elementwise("Mul")
ops.div, ops.__div = elementwise("Div"), elementwise("Div")
ops.maximum, ops.minimum = elementwise("Max"), elementwise("Min")
ops.matmul, ops.mm, ops.bmm = elementwise("MatMul"), elementwise("MatMul"), elementwise("MatMul")
for lua_name, op_type in pairs({relu = "Relu", sigmoid = "Sigmoid", tanh = "Tanh", exp = "Exp", log = "Log",
  sqrt = "Sqrt", abs = "Abs", neg = "Neg", __unm = "Neg", sin = "Sin", cos = "Cos"}) do
  ops[lua_name] = unary(op_type)
end

--- softplus with beta = 1 (the threshold's linear region agrees to float precision).
function ops.softplus(g, result, x, beta)
  if type(beta) == "table" then beta = beta.beta end
  if beta ~= nil and beta ~= 1 then g:fail("softplus with beta %s is not supported", tostring(beta)) end
  g:bind(result, g:node("Softplus", {g:operand(x)}))
end

function ops.rsqrt(g, result, x)
  g:bind(result, g:node("Reciprocal", {g:node("Sqrt", {g:operand(x)})}))
end

function ops.square(g, result, x)
  local name = g:operand(x)
  g:bind(result, g:node("Mul", {name, name}))
end

function ops.silu(g, result, x)
  local name = g:operand(x)
  g:bind(result, g:node("Mul", {name, g:node("Sigmoid", {name})}))
end

--- x ^ p: x*x for p = 2, else Pow with a constant exponent.
function ops.pow(g, result, x, p)
  if not torch.is_tensor(x) then g:fail("a number raised to a tensor power is not supported") end
  if p == 2 then
    local name = g:operand(x)
    g:bind(result, g:node("Mul", {name, name}))
  else
    g:bind(result, g:node("Pow", {g:operand(x), g:operand(p, x.dtype)}))
  end
end
ops.__pow = ops.pow

-- Exact GELU x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)), or the tanh approximation, from primitives
-- (the Gelu operator needs opset 20).
function ops.gelu_named(g, x, approximate)
  local half = g:const_of(0.5)
  local one = g:const_of(1.0)
  local inner
  if approximate == "tanh" then
    local cube = g:node("Mul", {x, g:node("Mul", {x, x})})
    local poly = g:node("Add", {x, g:node("Mul", {cube, g:const_of(0.044715)})})
    inner = g:node("Tanh", {g:node("Mul", {poly, g:const_of(math.sqrt(2 / math.pi))})})
  else
    inner = g:node("Erf", {g:node("Div", {x, g:const_of(math.sqrt(2))})})
  end
  return g:node("Mul", {g:node("Mul", {x, half}), g:node("Add", {inner, one})})
end

function ops.gelu(g, result, x, approximate)
  if type(approximate) == "table" then approximate = approximate.approximate end
  g:bind(result, ops.gelu_named(g, g:operand(x), approximate))
end

function ops.softmax(g, result, x, dim)
  if type(dim) == "table" then dim = dim.dim end
  g:bind(result, g:node("Softmax", {g:operand(x)}, {{"axis", "int", axis(dim or -1)}}))
end

function ops.log_softmax(g, result, x, dim)
  if type(dim) == "table" then dim = dim.dim end
  g:bind(result, g:node("LogSoftmax", {g:operand(x)}, {{"axis", "int", axis(dim or -1)}}))
end

-- Identity-like ops: the result carries the input's value.
local function alias(g, result, x)
  g:bind(result, g:operand(x))
end
ops.contiguous, ops.clone, ops.detach = alias, alias, alias

function ops.float(g, result, x)
  if x.dtype == "float32" then return alias(g, result, x) end
  g:bind(result, g:node("Cast", {g:operand(x)}, {{"to", "int", 1}}))
end

function ops.to(g, result, x, dtype)
  if type(dtype) == "table" then dtype = dtype.dtype end
  if dtype == nil or dtype == x.dtype then return alias(g, result, x) end
  local codes = {float32 = 1, float = 1, uint8 = 2, int8 = 3, int32 = 6, int = 6, int64 = 7, long = 7, bool = 9,
    float64 = 11, double = 11}
  if not codes[dtype] then g:fail("cast to %s is not supported", tostring(dtype)) end
  g:bind(result, g:node("Cast", {g:operand(x)}, {{"to", "int", codes[dtype]}}))
end

--- Reshape to `result`'s sizes; with a dynamic batch the first size becomes 0 (copy the
--- input's) when it equals the input's first size, so other batch sizes still work.
function ops.reshape_to(g, x_name, in_sizes, out_sizes)
  local target = {}
  for i, s in ipairs(out_sizes) do target[i] = s end
  if g.dynamic_batch and #target > 0 and #in_sizes > 0 and target[1] == in_sizes[1] then
    target[1] = 0
  end
  return g:node("Reshape", {x_name, g:const_of(target, "int64")})
end

local function reshape_like_result(g, result, x)
  g:bind(result, ops.reshape_to(g, g:operand(x), x:size(), result:size()))
end
ops.reshape, ops.view, ops.flatten, ops.view_as = reshape_like_result, reshape_like_result, reshape_like_result,
  reshape_like_result

--- Sizes or dims given as varargs or one table.
local function int_list(first, ...)
  if type(first) == "table" then return first end
  return {first, ...}
end

function ops.permute(g, result, x, ...)
  local perm = {}
  for i, d in ipairs(int_list(...)) do
    perm[i] = d > 0 and d - 1 or x:dim() + d
  end
  g:bind(result, g:node("Transpose", {g:operand(x)}, {{"perm", "ints", perm}}))
end

function ops.transpose(g, result, x, d1, d2)
  local n = x:dim()
  d1 = (d1 or 1) > 0 and d1 - 1 or n + d1
  d2 = (d2 or 2) > 0 and d2 - 1 or n + d2
  local perm = {}
  for i = 0, n - 1 do perm[i + 1] = i end
  perm[d1 + 1], perm[d2 + 1] = d2, d1
  g:bind(result, g:node("Transpose", {g:operand(x)}, {{"perm", "ints", perm}}))
end

function ops.t(g, result, x)
  if x:dim() < 2 then return alias(g, result, x) end
  ops.transpose(g, result, x, 1, 2)
end

function ops.unsqueeze(g, result, x, dim)
  g:bind(result, g:node("Unsqueeze", {g:operand(x), g:const_of({axis(dim)}, "int64")}))
end

function ops.squeeze(g, result, x, dim)
  local inputs = {g:operand(x)}
  if dim ~= nil then inputs[2] = g:const_of({axis(dim)}, "int64") end
  g:bind(result, g:node("Squeeze", inputs))
end

--- x:select(dim, index) (1-based index, negative from the end) -> Gather with a scalar index.
function ops.select(g, result, x, dim, index)
  local i = index > 0 and index - 1 or index
  g:bind(result, g:node("Gather", {g:operand(x), g:const_of(i, "int64")}, {{"axis", "int", axis(dim)}}))
end

function ops.narrow(g, result, x, dim, start, length)
  local s = start > 0 and start - 1 or x:size(dim) + start
  g:bind(result, g:node("Slice", {g:operand(x), g:const_of({s}, "int64"), g:const_of({s + length}, "int64"),
    g:const_of({axis(dim)}, "int64")}))
end

function ops.cat(g, result, list, dim)
  if type(dim) == "table" then dim = dim.dim end
  local inputs = {}
  for i, t in ipairs(list) do inputs[i] = g:operand(t) end
  g:bind(result, g:node("Concat", inputs, {{"axis", "int", axis(dim or 1)}}))
end

function ops.stack(g, result, list, dim)
  if type(dim) == "table" then dim = dim.dim end
  local d = dim or 1
  local a = d > 0 and d - 1 or list[1]:dim() + 1 + d
  local inputs = {}
  for i, t in ipairs(list) do inputs[i] = g:node("Unsqueeze", {g:operand(t), g:const_of({a}, "int64")}) end
  g:bind(result, g:node("Concat", inputs, {{"axis", "int", a}}))
end

-- sum / mean over dims (a dim or a list), keepdim as PyTorch; all dims when none given.
local function reduce(op_type)
  return function(g, result, x, dim, keepdim)
    if type(dim) == "table" and #dim == 0 then dim, keepdim = dim.dim, dim.keepdim end
    if type(keepdim) == "table" then keepdim = keepdim.keepdim end
    local axes
    if dim ~= nil then
      axes = {}
      for i, d in ipairs(type(dim) == "table" and dim or {dim}) do axes[i] = axis(d) end
    end
    local inputs, attrs = {g:operand(x)}, {{"keepdims", "int", keepdim and 1 or 0}}
    if axes then
      if op_type == "ReduceSum" or g.opset >= 18 then inputs[2] = g:const_of(axes, "int64")
      else attrs[2] = {"axes", "ints", axes} end
    end
    g:bind(result, g:node(op_type, inputs, attrs))
  end
end
ops.sum, ops.mean = reduce("ReduceSum"), reduce("ReduceMean")

--- x:masked_fill(mask, value) -> Where(mask, value, x) (causal attention masks).
function ops.masked_fill(g, result, x, mask, value)
  local cond = g:operand(mask)
  if mask.dtype ~= "bool" then cond = g:node("Cast", {cond}, {{"to", "int", 9}}) end
  g:bind(result, g:node("Where", {cond, g:operand(value, x.dtype), g:operand(x)}))
end

--- torch.where(cond, a, b) -> Where (numbers take the other operand's dtype).
function ops.where(g, result, cond, a, b)
  local c = g:operand(cond)
  if not torch.is_tensor(cond) or cond.dtype ~= "bool" then c = g:node("Cast", {c}, {{"to", "int", 9}}) end
  local dtype = result.dtype
  g:bind(result, g:node("Where", {c, g:operand(a, dtype), g:operand(b, dtype)}))
end

--- nn.functional.linear(x, weight, bias): Gemm for 2-d inputs, else MatMul (+ Add).
function ops.linear(g, result, x, weight, bias)
  local x_name = g:operand(x)
  if x:dim() == 2 and not g:name_of(weight) then
    local inputs = {x_name, g:operand(weight)}
    if bias ~= nil then inputs[3] = g:operand(bias) end
    g:bind(result, g:node("Gemm", inputs, {{"transB", "int", 1}}))
    return
  end
  local y = g:node("MatMul", {x_name, g:name_of(weight) and g:node("Transpose", {g:operand(weight)},
    {{"perm", "ints", {1, 0}}}) or g:const(weight:t():contiguous())})
  if bias ~= nil then y = g:node("Add", {y, g:operand(bias)}) end
  g:bind(result, y)
end

function ops.dropout(g, result, x)
  alias(g, result, x)
end

function ops.leaky_relu(g, result, x, slope)
  if type(slope) == "table" then slope = slope.negative_slope end
  g:bind(result, g:node("LeakyRelu", {g:operand(x)}, {{"alpha", "float", slope or 0.01}}))
end

--- Methods that only read metadata (never recorded, always allowed on traced tensors).
ops.QUERIES = {size = true, dim = true, numel = true, nelement = true, is_contiguous = true, type = true,
  __len = true, __tostring = true, requires_grad_ = true, retain_grad = true}

return ops
