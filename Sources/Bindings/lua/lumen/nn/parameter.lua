-- nn.Parameter: marks a tensor as a module parameter. Assigning a parameter to a module field
-- registers it (net.fc.weight = nn.Parameter(t)); plain tensors stay ordinary attributes.
local parameter = {}

-- Parameters are remembered by identity (the Lua userdata), weakly, so marking costs nothing
-- once the tensor is gone.
local marked = setmetatable({}, {__mode = "k"})

--- A leaf tensor with requires_grad = true (default) sharing `t`'s values, marked as a parameter.
--- A leaf is marked as is; a tensor computed by ops is detached first (as PyTorch's Parameter).
function parameter.Parameter(t, requires_grad)
  if not torch.is_tensor(t) then
    error("[Parameter] expected a tensor; got " .. type(t), 2)
  end
  if not t.is_leaf then t = t:detach() end
  if not t.dtype:match("^float") then
    if requires_grad then error("[Parameter] only floating-point tensors can require gradients; got " .. t.dtype, 2) end
    requires_grad = false
  end
  t.requires_grad = requires_grad ~= false
  marked[t] = true
  return t
end

--- True when `v` was created by nn.Parameter.
function parameter.is_parameter(v)
  return marked[v] == true
end

return parameter
