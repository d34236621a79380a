-- nn.GRUCell(input_size, hidden_size, {bias = true, dtype}): one GRU step; h' = cell(x, h).
local nn = require "lumen.nn"

local GRUCell = nn.RNNCellBase:extend("GRUCell")

function GRUCell:init(input_size, hidden_size, opts)
  nn.RNNCellBase.init(self, "GRU", input_size, hidden_size, opts)
end

return GRUCell
