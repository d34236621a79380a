-- nn.CrossEntropyLoss({weight = nil, ignore_index = nil, label_smoothing = 0, reduction = "mean"})
-- The module form of nn.functional.cross_entropy.
local nn = require "lumen.nn"

local CrossEntropyLoss = nn.Loss:extend("CrossEntropyLoss")
CrossEntropyLoss.functional = "cross_entropy"
CrossEntropyLoss.defaults = {reduction = "mean", label_smoothing = 0.0}
CrossEntropyLoss.optional = {"ignore_index"}
CrossEntropyLoss.tensors = {"weight"}
CrossEntropyLoss.arity = 2

return CrossEntropyLoss
