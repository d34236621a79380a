-- nn.LearnedPositionalEncoding(max_len, d_model, {dropout = 0, batch_first = false, dtype}):
-- adds a trained position table `weight` (max_len, d_model), N(0, 0.02^2) at the start (as
-- GPT-2), then dropout. x (T, B, d_model), (B, T, d_model) with batch_first, or (T, d_model).
--   y = pos(x, {offset = n})  -- positions start at n (0 = first), for cached decoding
local nn = require "lumen.nn"

local LearnedPositionalEncoding = nn.Module:extend("LearnedPositionalEncoding")

function LearnedPositionalEncoding:init(max_len, d_model, opts)
  local n, d = math.tointeger(max_len), math.tointeger(d_model)
  if n == nil or d == nil or n < 1 or d < 1 then
    error(string.format("[LearnedPositionalEncoding] expected positive integers (max_len, d_model); got %s, %s",
      tostring(max_len), tostring(d_model)), 3)
  end
  opts = opts or {}
  self.max_len, self.d_model, self.batch_first = n, d, opts.batch_first == true
  self.weight = nn.Parameter(torch.zeros(n, d, {dtype = opts.dtype or "float32"}))
  self.dropout = nn.Dropout(opts.dropout or 0)
  nn.init.normal_(self.weight, 0, 0.02)
end

function LearnedPositionalEncoding:forward(x, opts)
  return self.dropout(nn.PositionalEncoding.add_positions("LearnedPositionalEncoding", x, self.weight, self.max_len,
    self.batch_first, opts))
end

function LearnedPositionalEncoding:extra_repr()
  return string.format("%d, %d", self.max_len, self.d_model)
end

return LearnedPositionalEncoding
