-- deploy.DynamicLSTM: an LSTM (unidirectional, any num_layers, gate order i, f, g, o as nn.LSTM)
-- whose input-hidden and hidden-hidden products use int8 weights and per-call int8 activations
-- (deploy.DynamicLinear); gates and cell state stay float. Built by deploy.quantize_dynamic.
--   out, {h_n, c_n} = lstm(x, {h0, c0})     x (T, B, in) or (B, T, in) with batch_first
local nn = require "lumen.nn"
local DynamicLinear = require "lumen.deploy.layers.DynamicLinear"

local DynamicLSTM = nn.Module:extend("DynamicLSTM")

function DynamicLSTM.from_float(lstm, per_channel)
  if lstm.bidirectional then error("[deploy.quantize_dynamic] bidirectional LSTM is not supported", 3) end
  local self = DynamicLSTM({hidden_size = lstm.hidden_size, num_layers = lstm.num_layers, batch_first = lstm.batch_first,
    input_size = lstm.input_size})
  for layer = 0, lstm.num_layers - 1 do
    local suffix = "_l" .. layer
    local function linear(w, b)
      return DynamicLinear.from_float({weight = rawget(lstm, w .. suffix), bias = rawget(lstm, b .. suffix)}, per_channel)
    end
    self["ih" .. layer] = linear("weight_ih", "bias_ih")
    self["hh" .. layer] = linear("weight_hh", "bias_hh")
  end
  return self
end

function DynamicLSTM:init(fields)
  for k, v in pairs(fields or {}) do self[k] = v end
end

function DynamicLSTM:forward(input, hx)
  if not torch.is_tensor(input) or input:dim() ~= 3 then
    error("[DynamicLSTM] expected a 3-d input (T, B, in) or (B, T, in) with batch_first", 2)
  end
  local x = self.batch_first and input:transpose(1, 2) or input
  local steps, batch, h_size = x:size(1), x:size(2), self.hidden_size
  local h_n, c_n = {}, {}
  for layer = 0, self.num_layers - 1 do
    local h = hx and hx[1]:select(1, layer + 1) or torch.zeros(batch, h_size)
    local c = hx and hx[2]:select(1, layer + 1) or torch.zeros(batch, h_size)
    local projected = self["ih" .. layer](x)            -- (T, B, 4H): all steps in one int8 GEMM
    local outputs = {}
    for t = 1, steps do
      local gates = projected:select(1, t) + self["hh" .. layer](h)
      local parts = gates:chunk(4, 2)
      local i, f, g, o = parts[1]:sigmoid(), parts[2]:sigmoid(), parts[3]:tanh(), parts[4]:sigmoid()
      c = f * c + i * g
      h = o * c:tanh()
      outputs[t] = h
    end
    x = torch.stack(outputs, 1)
    h_n[layer + 1], c_n[layer + 1] = h, c
  end
  local out = self.batch_first and x:transpose(1, 2) or x
  return out, {torch.stack(h_n, 1), torch.stack(c_n, 1)}
end

function DynamicLSTM:extra_repr()
  return string.format("%d, %d, num_layers=%d, dtype=int8, dynamic", self.input_size, self.hidden_size, self.num_layers)
end

return DynamicLSTM
