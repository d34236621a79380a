-- nn.SmoothL1Loss({reduction = "mean", beta = 1})
-- The module form of nn.functional.smooth_l1_loss.
local nn = require "lumen.nn"

local SmoothL1Loss = nn.Loss:extend("SmoothL1Loss")
SmoothL1Loss.functional = "smooth_l1_loss"
SmoothL1Loss.defaults = {reduction = "mean", beta = 1.0}
SmoothL1Loss.optional = {}
SmoothL1Loss.tensors = {}
SmoothL1Loss.arity = 2

return SmoothL1Loss
