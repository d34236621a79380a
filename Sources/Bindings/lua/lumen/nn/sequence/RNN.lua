-- nn.RNN(input_size, hidden_size, {nonlinearity = "tanh" | "relu", num_layers = 1, bias = true,
-- batch_first = false, dropout = 0, bidirectional = false, dtype}): an Elman network,
-- h' = act(W_ih x + b_ih + W_hh h + b_hh). out, h_n = rnn(x, h0, {lengths = ...}); see RNNBase.
local nn = require "lumen.nn"

local RNN = nn.RNNBase:extend("RNN")

function RNN:init(input_size, hidden_size, opts)
  local nonlinearity = type(opts) == "table" and opts.nonlinearity or "tanh"
  if nonlinearity ~= "tanh" and nonlinearity ~= "relu" then
    error("[RNN] nonlinearity must be \"tanh\" or \"relu\"; got " .. tostring(nonlinearity), 3)
  end
  self.nonlinearity = nonlinearity
  nn.RNNBase.init(self, nonlinearity == "relu" and "RNN_RELU" or "RNN_TANH", input_size, hidden_size, opts)
end

return RNN
