-- nn.MSELoss({reduction = "mean"})
-- The module form of nn.functional.mse_loss.
local nn = require "lumen.nn"

local MSELoss = nn.Loss:extend("MSELoss")
MSELoss.functional = "mse_loss"
MSELoss.defaults = {reduction = "mean"}
MSELoss.optional = {}
MSELoss.tensors = {}
MSELoss.arity = 2

return MSELoss
