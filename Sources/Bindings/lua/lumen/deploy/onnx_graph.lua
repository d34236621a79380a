-- The ONNX graph under construction during a trace (lumen/deploy/onnx.lua): value names bound to
-- the Lua tensors that carry them, nodes in execution order, constant initializers, and the stack
-- of module paths ("model.fc1") whose top names nodes and locates errors. Serialized by
-- lumen_internal.deploy_onnx_write (Sources/Engine/Deploy/OnnxModel.swift).
local Graph = {}
Graph.__index = Graph

function Graph.new(opset, dynamic_batch)
  return setmetatable({
    opset = opset, dynamic_batch = dynamic_batch,
    nodes = {}, initializers = {}, inputs = {}, outputs = {},
    names = setmetatable({}, {__mode = "k"}),   -- tensor -> value name
    shapes = {},                                -- value name -> sizes seen in the trace
    taken = {}, counters = {}, path = {},
  }, Graph)
end

--- "[export_onnx] message (at module path)" raised at the caller of the export.
function Graph:fail(fmt, ...)
  local where = #self.path > 0 and (" (at " .. self.path[#self.path] .. ")") or ""
  error("[export_onnx] " .. string.format(fmt, ...) .. where, 0)
end

--- A value name not used before, built from `base` ("fc1/Gemm" -> "fc1/Gemm_out", "..._1", ...).
function Graph:fresh(base)
  base = (base or "v"):gsub("[^%w_/.:-]", "_")
  local name, n = base, self.counters[base] or 0
  while self.taken[name] do
    n = n + 1
    name = base .. "_" .. n
  end
  self.counters[base] = n
  self.taken[name] = true
  return name
end

function Graph:scope()
  return self.path[#self.path] or "graph"
end

--- The value name carried by tensor `t`, or nil when `t` is not computed from the inputs.
function Graph:name_of(t)
  if not torch.is_tensor(t) then return nil end
  return self.names[t]
end

--- Binds tensor `t` (the traced result) to value `name`.
function Graph:bind(t, name)
  self.names[t] = name
  self.shapes[name] = t:size()
  self.dtypes = self.dtypes or {}
  self.dtypes[name] = t.dtype
end

--- Adds tensor `t` as a constant initializer; returns its name.
function Graph:const(t, base)
  local name = self:fresh(base or (self:scope() .. "/const"))
  self.initializers[#self.initializers + 1] = {name, t:contiguous()}
  return name
end

--- Constant from a Lua number or list, with dtype (default float32).
function Graph:const_of(value, dtype, base)
  return self:const(torch.tensor(value, {dtype = dtype or "float32"}), base)
end

--- Adds node `op` reading `inputs` (names) with attributes {{name, kind, value}, ...}; returns
--- its `n_out` (default 1) fresh output names.
function Graph:node(op, inputs, attrs, n_out)
  local prefix = self:scope() .. "/" .. op
  local outputs = {}
  for k = 1, n_out or 1 do outputs[k] = self:fresh(prefix .. (k > 1 and ("_out" .. k) or "_out")) end
  self.nodes[#self.nodes + 1] = {op = op, name = self:fresh(prefix), inputs = inputs, outputs = outputs,
    attrs = attrs or {}}
  return table.unpack(outputs)
end

--- Name of a traced tensor input, or a new constant holding an untraced tensor or number
--- (numbers take `dtype`, the dtype of the traced operand).
function Graph:operand(v, dtype)
  if torch.is_tensor(v) then
    local name = self.names[v]
    if name then return name end
    if dtype and v.dtype ~= dtype and v:dim() == 0 then v = v:to(dtype) end
    return self:const(v)
  end
  if type(v) == "number" then return self:const_of(v, dtype) end
  if type(v) == "boolean" then return self:const_of(v, "bool") end
  self:fail("cannot use a %s as an operand", type(v))
end

--- ONNX axis of a 1-based Lua dim (negative dims count from the end in both).
function Graph.axis(dim)
  if dim == nil then return nil end
  if dim > 0 then return dim - 1 end
  return dim
end

--- The graph table lumen_internal.deploy_onnx_write takes.
function Graph:spec(name)
  return {name = name, opset = self.opset, nodes = self.nodes, initializers = self.initializers,
    inputs = self.inputs, outputs = self.outputs}
end

return Graph
