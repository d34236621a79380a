-- nn.RNNCellBase: the shared body of nn.RNNCell, nn.LSTMCell and nn.GRUCell: one time step,
-- with parameters weight_ih (G*H, I), weight_hh (G*H, H), bias_ih, bias_hh (G*H), all
-- U(-1/sqrt(H), 1/sqrt(H)). Input (B, I) or unbatched (I); the state defaults to zeros.
-- Each step is one fused engine kernel (the one-step case of the sequence kernel).
local nn = require "lumen.nn"

local RNNCellBase = nn.Module:extend("RNNCellBase")

local GATES = {LSTM = 4, GRU = 3, RNN_TANH = 1, RNN_RELU = 1}

function RNNCellBase:init(mode, input_size, hidden_size, opts)
  local i, h = math.tointeger(input_size), math.tointeger(hidden_size)
  if i == nil or h == nil or i < 1 or h < 1 then
    error(string.format("[%s] expected positive integer sizes (input_size, hidden_size); got %s, %s", self.__name,
      tostring(input_size), tostring(hidden_size)), 4)
  end
  opts = opts or {}
  local g, dtype = GATES[mode], opts.dtype or "float32"
  self.mode, self.input_size, self.hidden_size = mode, i, h
  self.weight_ih = nn.Parameter(torch.zeros(g * h, i, {dtype = dtype}))
  self.weight_hh = nn.Parameter(torch.zeros(g * h, h, {dtype = dtype}))
  if opts.bias ~= false then
    self.bias_ih = nn.Parameter(torch.zeros(g * h, {dtype = dtype}))
    self.bias_hh = nn.Parameter(torch.zeros(g * h, {dtype = dtype}))
  end
  self:reset_parameters()
end

function RNNCellBase:reset_parameters()
  local bound = 1 / math.sqrt(self.hidden_size)
  for _, p in ipairs(self:parameters()) do nn.init.uniform_(p, -bound, bound) end
end

--- h', c' (c' only for LSTM) from input and the state (h, or {h, c} for LSTM).
function RNNCellBase:step(input, h, c)
  local name = self.__name
  if not torch.is_tensor(input) or (input:dim() ~= 1 and input:dim() ~= 2) then
    error(string.format("[%s] expected input (B, I) or (I); got %s", name, torch.is_tensor(input) and
      "(" .. table.concat(input:size(), ",") .. ")" or type(input)), 3)
  end
  local batched = input:dim() == 2
  if not batched then
    input = input:unsqueeze(1)
    if h then h = h:unsqueeze(1) end
    if c then c = c:unsqueeze(1) end
  end
  local b = input:size(1)
  h = h or torch.zeros(b, self.hidden_size, {dtype = input.dtype})
  if self.mode == "LSTM" then c = c or torch.zeros(b, self.hidden_size, {dtype = input.dtype}) end
  local weights = {weight_ih = self.weight_ih, weight_hh = self.weight_hh, bias_ih = self.bias_ih, bias_hh = self.bias_hh}
  local h1, c1 = lumen_internal.seq_rnn_cell(self.mode, input, h, c, weights)
  if not batched then
    h1 = h1:squeeze(1)
    if c1 then c1 = c1:squeeze(1) end
  end
  return h1, c1
end

function RNNCellBase:forward(input, hx)
  if hx ~= nil and not torch.is_tensor(hx) then
    error(string.format("[%s] hx must be a tensor; got %s", self.__name, type(hx)), 2)
  end
  return (self:step(input, hx))
end

function RNNCellBase:extra_repr()
  local s = string.format("%d, %d", self.input_size, self.hidden_size)
  if self.bias_ih == nil then s = s .. ", bias=false" end
  if self.nonlinearity and self.nonlinearity ~= "tanh" then s = s .. ", nonlinearity='" .. self.nonlinearity .. "'" end
  return s
end

return RNNCellBase
