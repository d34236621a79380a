-- nn.MarginRankingLoss({margin = 0, reduction = "mean"})
-- The module form of nn.functional.margin_ranking_loss.
local nn = require "lumen.nn"

local MarginRankingLoss = nn.Loss:extend("MarginRankingLoss")
MarginRankingLoss.functional = "margin_ranking_loss"
MarginRankingLoss.defaults = {reduction = "mean", margin = 0.0}
MarginRankingLoss.optional = {}
MarginRankingLoss.tensors = {}
MarginRankingLoss.arity = 3

return MarginRankingLoss
