-- nn.KLDivLoss({reduction = "mean" | "batchmean" | "sum" | "none", log_target = false})
-- The module form of nn.functional.kl_div.
local nn = require "lumen.nn"

local KLDivLoss = nn.Loss:extend("KLDivLoss")
KLDivLoss.functional = "kl_div"
KLDivLoss.defaults = {reduction = "mean", log_target = false}
KLDivLoss.optional = {}
KLDivLoss.tensors = {}
KLDivLoss.arity = 2

return KLDivLoss
