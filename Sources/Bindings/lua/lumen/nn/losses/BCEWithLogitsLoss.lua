-- nn.BCEWithLogitsLoss({weight = nil, pos_weight = nil, reduction = "mean"})
-- The module form of nn.functional.binary_cross_entropy_with_logits.
local nn = require "lumen.nn"

local BCEWithLogitsLoss = nn.Loss:extend("BCEWithLogitsLoss")
BCEWithLogitsLoss.functional = "binary_cross_entropy_with_logits"
BCEWithLogitsLoss.defaults = {reduction = "mean"}
BCEWithLogitsLoss.optional = {}
BCEWithLogitsLoss.tensors = {"weight", "pos_weight"}
BCEWithLogitsLoss.arity = 2

return BCEWithLogitsLoss
