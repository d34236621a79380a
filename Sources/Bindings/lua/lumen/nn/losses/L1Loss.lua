-- nn.L1Loss({reduction = "mean"})
-- The module form of nn.functional.l1_loss.
local nn = require "lumen.nn"

local L1Loss = nn.Loss:extend("L1Loss")
L1Loss.functional = "l1_loss"
L1Loss.defaults = {reduction = "mean"}
L1Loss.optional = {}
L1Loss.tensors = {}
L1Loss.arity = 2

return L1Loss
