-- nn.PositionalEncoding(d_model, {max_len = 5000, dropout = 0.1, batch_first = false, dtype}):
-- adds the sinusoidal encodings of "Attention Is All You Need" (PyTorch tutorial's module),
-- then dropout. x (T, B, d_model) or (B, T, d_model) with batch_first, or (T, d_model).
-- The table is a non-persistent buffer `pe` (max_len, d_model), so state dicts stay small.
--   y = pe(x, {offset = n})   -- positions start at n (0 = first), for cached decoding
local nn = require "lumen.nn"

local PositionalEncoding = nn.Module:extend("PositionalEncoding")

function PositionalEncoding:init(d_model, opts)
  local d = math.tointeger(d_model)
  if d == nil or d < 1 then error("[PositionalEncoding] d_model must be a positive integer; got " .. tostring(d_model), 3) end
  opts = opts or {}
  self.d_model, self.max_len = d, opts.max_len or 5000
  self.batch_first = opts.batch_first == true
  self.dropout = nn.Dropout(opts.dropout or 0.1)
  self:register_buffer("pe", nn.functional.sinusoidal_positional_encoding(self.max_len, d, {dtype = opts.dtype}), false)
end

--- Adds the rows offset+1 .. offset+T of a (max_len, d_model) table to x along its time dim.
function PositionalEncoding.add_positions(name, x, table_, max_len, batch_first, opts)
  if not torch.is_tensor(x) or (x:dim() ~= 2 and x:dim() ~= 3) then
    error(string.format("[%s] expected x (T, B, d), (B, T, d) or (T, d)", name), 3)
  end
  local offset = type(opts) == "table" and opts.offset or 0
  local time_dim = (x:dim() == 3 and batch_first) and 2 or 1
  local t = x:size(time_dim)
  if offset < 0 or offset + t > max_len then
    error(string.format("[%s] positions %d..%d exceed max_len %d", name, offset + 1, offset + t, max_len), 3)
  end
  local rows = table_:narrow(1, offset + 1, t)                        -- (T, d)
  if x:dim() == 3 and not batch_first then rows = rows:unsqueeze(2) end
  return x + rows
end

function PositionalEncoding:forward(x, opts)
  return self.dropout(PositionalEncoding.add_positions("PositionalEncoding", x, self.pe, self.max_len, self.batch_first, opts))
end

function PositionalEncoding:extra_repr()
  return string.format("d_model=%d, max_len=%d", self.d_model, self.max_len)
end

return PositionalEncoding
