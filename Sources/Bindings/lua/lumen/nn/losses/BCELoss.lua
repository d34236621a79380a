-- nn.BCELoss({weight = nil, reduction = "mean"})
-- The module form of nn.functional.binary_cross_entropy.
local nn = require "lumen.nn"

local BCELoss = nn.Loss:extend("BCELoss")
BCELoss.functional = "binary_cross_entropy"
BCELoss.defaults = {reduction = "mean"}
BCELoss.optional = {}
BCELoss.tensors = {"weight"}
BCELoss.arity = 2

return BCELoss
