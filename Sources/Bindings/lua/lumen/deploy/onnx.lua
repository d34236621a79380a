-- deploy.export_onnx(model, example_input, path, {input_names =, output_names =, dynamic_batch = true,
-- opset = 17}): writes `model` as an ONNX ModelProto by tracing one forward pass on example_input
-- (a tensor or a list of tensors). Returns {path =, bytes =, nodes =, inputs =, outputs =}.
--
-- Tracing: while the forward runs (eval mode, no gradients; modes restored afterwards), every
-- known leaf module (Linear, Conv2d, BatchNorm, activations, pooling, LayerNorm, Embedding,
-- LSTM/GRU/RNN, Dropout..., see onnx_modules.lua) and the quantized modules of deploy (QDQ form,
-- onnx_qdq.lua) is replaced by its ONNX nodes, and the tensor operations used between modules
-- (+ - * /, matmul, transpose, reshape, softmax, cat..., see onnx_ops.lua) are wrapped so they
-- are recorded too: residual connections and attention built from matmul/softmax export.
-- Containers and modules written in Lua are traced through. Anything else that touches a traced
-- tensor (a built-in module or op without an ONNX translation) is an error naming it and where.
-- Tensors not computed from the inputs (parameters used directly, constants) become initializers.
-- With dynamic_batch the first dim of every input is the symbolic "batch" (and reshapes that
-- keep the batch size copy it), so the file runs on any batch size.
local Graph = require "lumen.deploy.onnx_graph"
local ops = require "lumen.deploy.onnx_ops"
local modules = require "lumen.deploy.onnx_modules"
local qdq = require "lumen.deploy.onnx_qdq"

local onnx = {}

local tensor_mt = debug.getregistry()["lumen.Tensor"]
local METAMETHODS = {"__add", "__sub", "__mul", "__div", "__unm", "__pow"}
-- torch.* functions that never compute a tensor from their tensor arguments.
local PASS = {no_grad = true, enable_grad = true, is_tensor = true, is_grad_enabled = true, set_grad_enabled = true,
  save = true, manual_seed = true}

-- True when any argument (or element of a list argument) is a traced tensor.
local function touches(g, ...)
  for i = 1, select("#", ...) do
    local v = select(i, ...)
    if torch.is_tensor(v) then
      if g.names[v] then return true end
    elseif type(v) == "table" then
      for _, e in ipairs(v) do if torch.is_tensor(e) and g.names[e] then return true end end
    end
  end
  return false
end

-- The tracer's state: the graph, the wrapped functions to restore, and the suspension depth
-- (while a recorded op or module runs its own implementation, nothing inside is recorded).
local Tracer = {}
Tracer.__index = Tracer

function Tracer:wrap_op(label, name, original)
  return function(...)
    local g = self.g
    if self.suspended > 0 or ops.QUERIES[name] or not touches(g, ...) then return original(...) end
    local convert = ops[name]
    if convert == nil then g:fail("unsupported tensor operation %s", label) end
    self.suspended = self.suspended + 1
    local results = table.pack(pcall(original, ...))
    self.suspended = self.suspended - 1
    if not results[1] then error(results[2], 0) end
    if not torch.is_tensor(results[2]) then g:fail("%s returned a %s; only tensor results can be traced", label, type(results[2])) end
    convert(g, results[2], ...)
    return table.unpack(results, 2, results.n)
  end
end

-- Replaces t[k] (a function) with a recording wrapper; remembers how to undo it.
function Tracer:patch(t, k, label)
  local original = rawget(t, k)
  self.restore[#self.restore + 1] = {t, k, original}
  rawset(t, k, self:wrap_op(label, k, original))
end

function Tracer:install_ops()
  for k, v in pairs(torch.Tensor) do if type(v) == "function" then self:patch(torch.Tensor, k, "x:" .. k .. "()") end end
  for k, v in pairs(torch) do
    if type(v) == "function" and not PASS[k] then self:patch(torch, k, "torch." .. k) end
  end
  local F = nn.functional
  for k, v in pairs(F) do if type(v) == "function" then self:patch(F, k, "nn.functional." .. k) end end
  for _, k in ipairs(METAMETHODS) do self:patch(tensor_mt, k, k:sub(3) .. " (operator)") end
  -- indexing: x[k] with an integer k selects along dim 1; other indexing is not supported
  local index = rawget(tensor_mt, "__index")
  self.restore[#self.restore + 1] = {tensor_mt, "__index", index}
  rawset(tensor_mt, "__index", function(t, k)
    local g = self.g
    if self.suspended > 0 or not g.names[t] or (type(k) == "string" and torch.Tensor[k] ~= nil) then
      return index(t, k)
    end
    if type(k) ~= "string" and math.type(k) ~= "integer" then
      g:fail("indexing a traced tensor with a %s is not supported", type(k))
    end
    self.suspended = self.suspended + 1
    local ok, r = pcall(index, t, k)
    self.suspended = self.suspended - 1
    if not ok then error(r, 0) end
    if not torch.is_tensor(r) or r == t then return r end
    if k == "T" then
      local perm = {}
      for i = 1, t:dim() do perm[i] = t:dim() + 1 - i end
      ops.permute(g, r, t, perm)
    elseif type(k) == "string" then
      g:fail("tensor property .%s of a traced tensor is not supported", k)
    else
      ops.select(g, r, t, 1, k)
    end
    return r
  end)
end

-- The class name a module converts under, or nil (traced through), or false (unsupported).
local function classify(m, builtin)
  local class = getmetatable(m)
  local name = builtin[class]
  if name then
    if modules[name] then return name end
    if modules.TRACE_THROUGH[name] then return nil end
    return false
  end
  local short = (m.__name or ""):gsub("^deploy%.", "")
  if qdq[short] then return short end
  return nil
end

function Tracer:install_modules(model)
  local builtin = {}
  for name, class in pairs(nn) do
    if type(class) == "table" and rawget(class, "__module_class") then builtin[class] = name end
  end
  for _, pair in ipairs(model:named_modules()) do
    local path, m = pair[1], pair[2]
    local kind = classify(m, builtin)
    local forward = m.forward
    self.restore[#self.restore + 1] = {m, "forward", rawget(m, "forward")}
    local label = path == "" and "model" or ("model." .. path)
    rawset(m, "forward", function(module, ...)
      local g = self.g
      if self.suspended > 0 then return forward(module, ...) end
      g.path[#g.path + 1] = label
      local traced = touches(g, ...)
      if kind == false and traced then g:fail("unsupported module %s", module.__name) end
      local results
      if kind and traced then
        local inputs = table.pack(...)
        self.suspended = self.suspended + 1
        results = table.pack(pcall(forward, module, ...))
        self.suspended = self.suspended - 1
        if not results[1] then error(results[2], 0) end
        results = table.pack(table.unpack(results, 2, results.n))
        self.suspended = self.suspended + 1
        local ok, err = pcall(modules[kind] or qdq[kind], g, module, results, inputs)
        self.suspended = self.suspended - 1
        if not ok then error(err, 0) end
      else
        results = table.pack(forward(module, ...))
      end
      g.path[#g.path] = nil
      return table.unpack(results, 1, results.n)
    end)
  end
end

function Tracer:uninstall()
  for i = #self.restore, 1, -1 do
    local r = self.restore[i]
    rawset(r[1], r[2], r[3])
  end
  self.restore = {}
end

-- Tensors of a forward's results in order (nested tables such as LSTM's {h, c} flattened).
local function flatten_results(values, out)
  out = out or {}
  for _, v in ipairs(values) do
    if torch.is_tensor(v) then out[#out + 1] = v
    elseif type(v) == "table" then flatten_results(v, out) end
  end
  return out
end

-- Value-info dims: the first dim is "batch" when dynamic; later dims equal to the example batch
-- size are left unknown (they may follow the batch), others fixed.
local function output_dims(sizes, batch, dynamic)
  local dims = {}
  for i, s in ipairs(sizes) do
    if dynamic and s == batch then dims[i] = i == 1 and "batch" or false else dims[i] = s end
  end
  return dims
end

local function check_args(model, example, path, opts)
  if not nn.is_module(model) then error("[export_onnx] expected a module as first argument; got " .. type(model), 3) end
  local inputs = torch.is_tensor(example) and {example} or example
  if type(inputs) ~= "table" or #inputs == 0 then
    error("[export_onnx] example_input must be a tensor or a list of tensors; got " .. type(example), 3)
  end
  for i, t in ipairs(inputs) do
    if not torch.is_tensor(t) then error(string.format("[export_onnx] example input %d is a %s; expected a tensor", i, type(t)), 3) end
  end
  if type(path) ~= "string" or path == "" then error("[export_onnx] expected an output file path; got " .. type(path), 3) end
  if opts ~= nil and type(opts) ~= "table" then error("[export_onnx] options must be a table; got " .. type(opts), 3) end
  return inputs, opts or {}
end

function onnx.export(model, example, path, opts)
  local inputs, o = check_args(model, example, path, opts)
  local opset = o.opset or 17
  if math.type(opset) ~= "integer" or opset < 13 or opset > 21 then
    error("[export_onnx] opset must be an integer from 13 to 21; got " .. tostring(opset), 2)
  end
  local dynamic = o.dynamic_batch ~= false
  local g = Graph.new(opset, dynamic)
  for i, x in ipairs(inputs) do
    local name = (o.input_names or {})[i] or (#inputs == 1 and "input" or ("input" .. i))
    g.taken[name] = true
    g:bind(x, name)
    local dims = x:size()
    if dynamic and #dims > 0 then dims[1] = "batch" end
    g.inputs[i] = {name = name, dtype = x.dtype, dims = dims}
  end
  local batch = inputs[1]:dim() > 0 and inputs[1]:size(1) or nil
  local tracer = setmetatable({g = g, suspended = 0, restore = {}}, Tracer)
  local training = {}
  for _, m in ipairs(model:modules()) do training[m] = m.training end
  model:eval()
  local ok, result = pcall(function()
    tracer:install_modules(model)
    tracer:install_ops()
    return table.pack(torch.no_grad(function() return model(table.unpack(inputs)) end))
  end)
  tracer:uninstall()
  for m, flag in pairs(training) do rawset(m, "training", flag) end
  if not ok then error(result, 0) end
  local outs = flatten_results(result)
  if #outs == 0 then error("[export_onnx] the model returned no tensors", 2) end
  for i, t in ipairs(outs) do
    local from = g:name_of(t)
    if from == nil then
      error(string.format("[export_onnx] output %d is not computed from the inputs by traced operations", i), 2)
    end
    local name = (o.output_names or {})[i] or (#outs == 1 and "output" or ("output" .. i))
    if g.taken[name] then error(string.format("[export_onnx] output name \"%s\" is already used in the graph", name), 2) end
    g.taken[name] = true
    g.nodes[#g.nodes + 1] = {op = "Identity", name = name .. "/Identity", inputs = {from}, outputs = {name}, attrs = {}}
    g.outputs[i] = {name = name, dtype = t.dtype, dims = output_dims(t:size(), batch, dynamic)}
  end
  local bytes = lumen_internal.deploy_onnx_write(path, g:spec(model.__name))
  local names = function(list) local n = {} for i, v in ipairs(list) do n[i] = v.name end return n end
  return {path = path, bytes = bytes, nodes = #g.nodes, initializers = #g.initializers, inputs = names(g.inputs),
    outputs = names(g.outputs)}
end

return onnx
