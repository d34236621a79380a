-- nn.LSTMCell(input_size, hidden_size, {bias = true, dtype}): one LSTM step.
--   local h, c = cell(x, {h, c})      -- x (B, I); state {h, c} (B, H) each, zeros when nil
local nn = require "lumen.nn"

local LSTMCell = nn.RNNCellBase:extend("LSTMCell")

function LSTMCell:init(input_size, hidden_size, opts)
  nn.RNNCellBase.init(self, "LSTM", input_size, hidden_size, opts)
end

function LSTMCell:forward(input, hx)
  local h, c
  if hx ~= nil then
    if type(hx) ~= "table" or not torch.is_tensor(hx[1]) or not torch.is_tensor(hx[2]) then
      error("[LSTMCell] hx must be a table {h, c} of two tensors", 2)
    end
    h, c = hx[1], hx[2]
  end
  return self:step(input, h, c)
end

return LSTMCell
