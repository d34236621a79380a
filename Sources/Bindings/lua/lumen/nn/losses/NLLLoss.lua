-- nn.NLLLoss({weight = nil, ignore_index = nil, reduction = "mean"})
-- The module form of nn.functional.nll_loss.
local nn = require "lumen.nn"

local NLLLoss = nn.Loss:extend("NLLLoss")
NLLLoss.functional = "nll_loss"
NLLLoss.defaults = {reduction = "mean"}
NLLLoss.optional = {"ignore_index"}
NLLLoss.tensors = {"weight"}
NLLLoss.arity = 2

return NLLLoss
