-- A deep copy of a module (PyTorch's copy.deepcopy for the transformer stacks): the same class
-- built from the same constructor arguments, then the same parameter and buffer values, dtype
-- and training mode. The copy shares no tensors with the original.
return function(module)
  local class = getmetatable(module)
  local args = rawget(module, "__ctor_args")
  local copy = class(table.unpack(args, 1, args.n))
  local first = module:parameters()[1]
  if first ~= nil and first.dtype ~= "float32" then copy:to(first.dtype) end
  copy:load_state_dict(module:state_dict(), {strict = false})
  copy:train(module.training)
  return copy
end
