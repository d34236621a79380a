-- nn.LSTM(input_size, hidden_size, {num_layers = 1, bias = true, batch_first = false,
-- dropout = 0, bidirectional = false, dtype}): a long short-term memory network (gate order
-- i, f, g, o as PyTorch). out, {h_n, c_n} = lstm(x, {h0, c0}, {lengths = ...}); see RNNBase.
--   local lstm = nn.LSTM(8, 64, {batch_first = true})
--   local out, state = lstm(torch.randn(32, 50, 8))     -- out (32, 50, 64); state = {h_n, c_n}
local nn = require "lumen.nn"

local LSTM = nn.RNNBase:extend("LSTM")

function LSTM:init(input_size, hidden_size, opts)
  nn.RNNBase.init(self, "LSTM", input_size, hidden_size, opts)
end

return LSTM
