-- nn.GRU(input_size, hidden_size, {num_layers = 1, bias = true, batch_first = false,
-- dropout = 0, bidirectional = false, dtype}): a gated recurrent unit network (gates r, z, n as
-- PyTorch: n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) n + z h).
-- out, h_n = gru(x, h0, {lengths = ...}); see RNNBase.
local nn = require "lumen.nn"

local GRU = nn.RNNBase:extend("GRU")

function GRU:init(input_size, hidden_size, opts)
  nn.RNNBase.init(self, "GRU", input_size, hidden_size, opts)
end

return GRU
