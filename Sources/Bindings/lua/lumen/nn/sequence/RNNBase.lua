-- nn.RNNBase: the shared body of nn.RNN, nn.LSTM and nn.GRU (PyTorch's layouts and names).
-- Parameters per layer k (0-based, as PyTorch names them) and direction: weight_ih_l{k}
-- (G*H, I or D*H), weight_hh_l{k} (G*H, H), bias_ih_l{k}, bias_hh_l{k} (G*H), with the suffix
-- _reverse for the second direction; G = 4 (LSTM: i, f, g, o), 3 (GRU: r, z, n) or 1 (RNN).
-- All start U(-1/sqrt(H), 1/sqrt(H)).
--
-- forward(input, hx, {lengths = ...}): input (T, B, I), or (B, T, I) with batch_first, or
-- unbatched (T, I); or a PackedSequence (nn.utils.rnn.pack_padded_sequence). hx: h0 (L*D, B, H)
-- (LSTM: {h0, c0}); zeros when nil. lengths (a list or int tensor of B sequence lengths) runs
-- sequences of different lengths in one batch: each stops at its own length (outputs beyond
-- are zero; h_n is its last real state). The whole sequence runs in one fused engine kernel
-- per layer and direction. Returns output (T, B, D*H) and h_n (L*D, B, H); LSTM: output, {h_n, c_n}.
local nn = require "lumen.nn"
local packing = require "lumen.nn.sequence.packing"

local RNNBase = nn.Module:extend("RNNBase")

local GATES = {LSTM = 4, GRU = 3, RNN_TANH = 1, RNN_RELU = 1}
local KNOWN = {num_layers = true, bias = true, batch_first = true, dropout = true, bidirectional = true,
  nonlinearity = true, dtype = true, proj_size = true}

function RNNBase:init(mode, input_size, hidden_size, opts)
  local name = self.__name
  local i, h = math.tointeger(input_size), math.tointeger(hidden_size)
  if i == nil or h == nil or i < 1 or h < 1 then
    error(string.format("[%s] expected positive integer sizes (input_size, hidden_size); got %s, %s", name,
      tostring(input_size), tostring(hidden_size)), 4)
  end
  opts = opts or {}
  if type(opts) ~= "table" then error(string.format("[%s] expected an options table; got %s", name, type(opts)), 4) end
  for k in pairs(opts) do
    if not KNOWN[k] or (k == "nonlinearity" and name ~= "RNN") then
      error(string.format("[%s] unknown option \"%s\"", name, tostring(k)), 4)
    end
  end
  if (opts.proj_size or 0) ~= 0 then error(string.format("[%s] proj_size is not supported", name), 4) end
  local layers = math.tointeger(opts.num_layers or 1)
  if layers == nil or layers < 1 then error(string.format("[%s] num_layers must be a positive integer; got %s", name, tostring(opts.num_layers)), 4) end
  local dropout = opts.dropout or 0
  if type(dropout) ~= "number" or dropout < 0 or dropout > 1 then
    error(string.format("[%s] dropout must be a probability in [0, 1]; got %s", name, tostring(dropout)), 4)
  end
  self.mode = mode
  self.input_size, self.hidden_size, self.num_layers = i, h, layers
  self.bias = opts.bias ~= false
  self.batch_first = opts.batch_first == true
  self.dropout = dropout
  self.bidirectional = opts.bidirectional == true
  local dirs = self.bidirectional and 2 or 1
  local g, dtype = GATES[mode], opts.dtype or "float32"
  self._weight_names = {}
  for layer = 0, layers - 1 do
    for d = 1, dirs do
      local suffix = "_l" .. layer .. (d == 2 and "_reverse" or "")
      local in_size = layer == 0 and i or h * dirs
      local names = {weight_ih = "weight_ih" .. suffix, weight_hh = "weight_hh" .. suffix}
      self[names.weight_ih] = nn.Parameter(torch.zeros(g * h, in_size, {dtype = dtype}))
      self[names.weight_hh] = nn.Parameter(torch.zeros(g * h, h, {dtype = dtype}))
      if self.bias then
        names.bias_ih, names.bias_hh = "bias_ih" .. suffix, "bias_hh" .. suffix
        self[names.bias_ih] = nn.Parameter(torch.zeros(g * h, {dtype = dtype}))
        self[names.bias_hh] = nn.Parameter(torch.zeros(g * h, {dtype = dtype}))
      end
      self._weight_names[#self._weight_names + 1] = names
    end
  end
  self:reset_parameters()
end

function RNNBase:reset_parameters()
  local bound = 1 / math.sqrt(self.hidden_size)
  for _, p in ipairs(self:parameters()) do nn.init.uniform_(p, -bound, bound) end
end

--- The weight tables the engine kernel takes, read from the current fields (so :to() works).
function RNNBase:flat_weights()
  local list = {}
  for k, names in ipairs(self._weight_names) do
    local w = {}
    for key, field in pairs(names) do w[key] = rawget(self, field) end
    list[k] = w
  end
  return list
end

local function shape(t) return "(" .. table.concat(t:size(), ",") .. ")" end

function RNNBase:forward(input, hx, opts)
  local name = self.__name
  local lengths, batch_first, packed = nil, self.batch_first, packing.is_packed(input)
  if packed then
    lengths, batch_first = input.lengths, input.batch_first
    input = input.data
  end
  if opts ~= nil then
    if type(opts) ~= "table" then error(string.format("[%s] expected an options table as third argument; got %s", name, type(opts)), 2) end
    for k in pairs(opts) do
      if k ~= "lengths" then error(string.format("[%s] unknown option \"%s\" (known: lengths)", name, tostring(k)), 2) end
    end
    if opts.lengths ~= nil then lengths = opts.lengths end
  end
  if not torch.is_tensor(input) then error(string.format("[%s] input must be a tensor; got %s", name, type(input)), 2) end
  local batched = input:dim() == 3
  if input:dim() ~= 2 and not batched then
    error(string.format("[%s] expected input of 2 (unbatched) or 3 dims; got %s", name, shape(input)), 2)
  end
  local h0, c0
  if self.mode == "LSTM" then
    if hx ~= nil then
      if type(hx) ~= "table" or not torch.is_tensor(hx[1]) or not torch.is_tensor(hx[2]) then
        error("[LSTM] hx must be a table {h0, c0} of two tensors", 2)
      end
      h0, c0 = hx[1], hx[2]
    end
  elseif hx ~= nil then
    if not torch.is_tensor(hx) then error(string.format("[%s] hx must be a tensor; got %s", name, type(hx)), 2) end
    h0 = hx
  end
  if not batched then
    input = input:unsqueeze(batch_first and 1 or 2)
    if h0 then h0 = h0:unsqueeze(2) end
    if c0 then c0 = c0:unsqueeze(2) end
  end
  if lengths ~= nil and not torch.is_tensor(lengths) and type(lengths) ~= "table" then
    error(string.format("[%s] lengths must be a list of integers or an integer tensor; got %s", name, type(lengths)), 2)
  end
  local out, h, c = lumen_internal.seq_rnn(self.mode, input, h0, c0, self:flat_weights(), {
    hidden_size = self.hidden_size, num_layers = self.num_layers, bidirectional = self.bidirectional,
    dropout = self.dropout, training = self.training, batch_first = batch_first, lengths = lengths})
  if not batched then
    out = out:squeeze(batch_first and 1 or 2)
    h = h:squeeze(2)
    if c then c = c:squeeze(2) end
  end
  if packed then out = packing.PackedSequence(out, lengths, batch_first) end
  if self.mode == "LSTM" then return out, {h, c} end
  return out, h
end

function RNNBase:extra_repr()
  local s = string.format("%d, %d", self.input_size, self.hidden_size)
  if self.nonlinearity and self.nonlinearity ~= "tanh" then s = s .. ", nonlinearity='" .. self.nonlinearity .. "'" end
  if self.num_layers ~= 1 then s = s .. ", num_layers=" .. self.num_layers end
  if not self.bias then s = s .. ", bias=false" end
  if self.batch_first then s = s .. ", batch_first=true" end
  if self.dropout ~= 0 then s = s .. string.format(", dropout=%g", self.dropout) end
  if self.bidirectional then s = s .. ", bidirectional=true" end
  return s
end

return RNNBase
