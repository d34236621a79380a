-- nn.TripletMarginLoss({margin = 1, p = 2, eps = 1e-6, swap = false, reduction = "mean"})
-- The module form of nn.functional.triplet_margin_loss.
local nn = require "lumen.nn"

local TripletMarginLoss = nn.Loss:extend("TripletMarginLoss")
TripletMarginLoss.functional = "triplet_margin_loss"
TripletMarginLoss.defaults = {reduction = "mean", margin = 1.0, p = 2.0, eps = 1e-6, swap = false}
TripletMarginLoss.optional = {}
TripletMarginLoss.tensors = {}
TripletMarginLoss.arity = 3

return TripletMarginLoss
