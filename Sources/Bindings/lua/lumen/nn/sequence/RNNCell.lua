-- nn.RNNCell(input_size, hidden_size, {bias = true, nonlinearity = "tanh" | "relu", dtype}):
-- one Elman step, h' = act(W_ih x + b_ih + W_hh h + b_hh); h' = cell(x, h).
local nn = require "lumen.nn"

local RNNCell = nn.RNNCellBase:extend("RNNCell")

function RNNCell:init(input_size, hidden_size, opts)
  local nonlinearity = type(opts) == "table" and opts.nonlinearity or "tanh"
  if nonlinearity ~= "tanh" and nonlinearity ~= "relu" then
    error("[RNNCell] nonlinearity must be \"tanh\" or \"relu\"; got " .. tostring(nonlinearity), 3)
  end
  self.nonlinearity = nonlinearity
  nn.RNNCellBase.init(self, nonlinearity == "relu" and "RNN_RELU" or "RNN_TANH", input_size, hidden_size, opts)
end

return RNNCell
