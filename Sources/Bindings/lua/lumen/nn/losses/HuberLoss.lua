-- nn.HuberLoss({reduction = "mean", delta = 1})
-- The module form of nn.functional.huber_loss.
local nn = require "lumen.nn"

local HuberLoss = nn.Loss:extend("HuberLoss")
HuberLoss.functional = "huber_loss"
HuberLoss.defaults = {reduction = "mean", delta = 1.0}
HuberLoss.optional = {}
HuberLoss.tensors = {}
HuberLoss.arity = 2

return HuberLoss
