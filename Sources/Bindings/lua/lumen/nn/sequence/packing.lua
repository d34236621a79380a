-- nn.utils.rnn: sequences of different lengths for the recurrent layers (PyTorch's names).
--
--   local packed = nn.utils.rnn.pack_padded_sequence(x, {5, 3, 2}, {batch_first = true})
--   local out, h = gru(packed)                                -- each sequence stops at its length
--   local padded, lengths = nn.utils.rnn.pad_packed_sequence(out, {batch_first = true})
--
-- Lumen's PackedSequence keeps the padded tensor (`data`) with the `lengths` (int64 tensor)
-- and `batch_first`: the recurrent kernels skip the padding themselves, so no reordering is
-- needed and lengths may come in any order (enforce_sorted is accepted and ignored).
-- Passing {lengths = ...} straight to an RNN/LSTM/GRU forward does the same.
local packing = {}

local PackedSequence = {}
PackedSequence.__index = PackedSequence
PackedSequence.__name = "PackedSequence"

function PackedSequence:__tostring()
  return string.format("PackedSequence(data=(%s), lengths={%s}, batch_first=%s)", table.concat(self.data:size(), ","),
    table.concat(self.lengths:totable(), ", "), tostring(self.batch_first))
end

local function lengths_tensor(op, lengths, batch, steps)
  if type(lengths) == "table" then
    local ok, t = pcall(torch.tensor, lengths, {dtype = "int64"})
    if not ok then error(string.format("[%s] lengths must be a list of integers: %s", op, tostring(t)), 3) end
    lengths = t
  end
  if not torch.is_tensor(lengths) or lengths.dtype:match("^float") or lengths:dim() ~= 1 then
    error(string.format("[%s] lengths must be a list of integers or a 1-d integer tensor", op), 3)
  end
  if lengths:numel() ~= batch then
    error(string.format("[%s] expected %d lengths (one per sequence); got %d", op, batch, lengths:numel()), 3)
  end
  for i, n in ipairs(lengths:totable()) do
    if n < 0 or n > steps then
      error(string.format("[%s] length of sequence %d is %d; lengths must lie in 0..%d (the padded length)", op, i, n, steps), 3)
    end
  end
  return lengths:long()
end

--- A PackedSequence over padded `data` (T, B, *) (or (B, T, *) when batch_first).
function packing.PackedSequence(data, lengths, batch_first)
  local b = data:size(batch_first and 1 or 2)
  local t = data:size(batch_first and 2 or 1)
  return setmetatable({data = data, lengths = lengths_tensor("PackedSequence", lengths, b, t),
    batch_first = batch_first == true}, PackedSequence)
end

function packing.is_packed(v)
  return getmetatable(v) == PackedSequence
end

--- Marks the real lengths of a padded batch. Options: batch_first (false), enforce_sorted (ignored).
function packing.pack_padded_sequence(input, lengths, opts)
  opts = opts or {}
  if not torch.is_tensor(input) or input:dim() < 2 then
    error("[pack_padded_sequence] input must be a padded tensor (T, B, *) or (B, T, *)", 2)
  end
  return packing.PackedSequence(input, lengths, opts.batch_first)
end

--- The padded tensor and its lengths (int64). Options: batch_first (false), padding_value (0),
--- total_length (pad the time dim to this length).
function packing.pad_packed_sequence(sequence, opts)
  if not packing.is_packed(sequence) then error("[pad_packed_sequence] expected a PackedSequence", 2) end
  opts = opts or {}
  local data = sequence.data
  local time_dim = sequence.batch_first and 2 or 1
  local steps = data:size(time_dim)
  local pad = opts.padding_value or 0
  if pad ~= 0 then
    -- Positions past each length are zero from the kernel; replace them by the padding value.
    local positions = torch.arange(steps):view(sequence.batch_first and 1 or steps, sequence.batch_first and steps or 1)
    local len = sequence.lengths:view(sequence.batch_first and -1 or 1, sequence.batch_first and 1 or -1)
    local beyond = positions:ge(len)
    local shape = beyond:size()
    for _ = 3, data:dim() do shape[#shape + 1] = 1 end
    data = data:masked_fill(beyond:reshape(shape), pad)
  end
  if opts.total_length ~= nil then
    if opts.total_length < steps then
      error(string.format("[pad_packed_sequence] total_length %d is less than the padded length %d", opts.total_length, steps), 2)
    end
    if opts.total_length > steps then
      local extra = data:size()
      extra[time_dim] = opts.total_length - steps
      data = torch.cat({data, torch.full(extra, pad, {dtype = data.dtype})}, time_dim)
    end
  end
  if (opts.batch_first == true) ~= sequence.batch_first then data = data:transpose(1, 2) end
  return data, sequence.lengths
end

--- Pads a list of (L_i, *) tensors to (max L, B, *) (or (B, max L, *) with batch_first) with
--- padding_value (0). Differentiable.
function packing.pad_sequence(sequences, opts)
  opts = opts or {}
  if type(sequences) ~= "table" or #sequences == 0 then error("[pad_sequence] expected a non-empty list of tensors", 2) end
  local longest = 0
  for i, s in ipairs(sequences) do
    if not torch.is_tensor(s) or s:dim() < 1 then error(string.format("[pad_sequence] element %d is not a tensor with a time dim", i), 2) end
    longest = math.max(longest, s:size(1))
  end
  local padded = {}
  for i, s in ipairs(sequences) do
    if s:size(1) < longest then
      local extra = s:size()
      extra[1] = longest - s:size(1)
      s = torch.cat({s, torch.full(extra, opts.padding_value or 0, {dtype = s.dtype})}, 1)
    end
    padded[i] = s
  end
  return torch.stack(padded, opts.batch_first and 1 or 2)
end

--- pack_padded_sequence(pad_sequence(sequences), their lengths).
function packing.pack_sequence(sequences, opts)
  local lengths = {}
  for i, s in ipairs(sequences) do lengths[i] = s:size(1) end
  return packing.PackedSequence(packing.pad_sequence(sequences), lengths, false)
end

return packing
