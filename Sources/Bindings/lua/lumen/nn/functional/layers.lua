-- Linear maps, dropout, embeddings and distances of nn.functional.
local options = require "lumen.nn.functional.options"
local F = {}

--- x W^T + b. x: (*, in), weight: (out, in), bias: (out) or nil → (*, out).
function F.linear(x, weight, bias)
  options.tensor("linear", x)
  options.tensor("linear", weight, "weight")
  if bias ~= nil then options.tensor("linear", bias, "bias") end
  return torch.linear(x, weight, bias)
end

--- y_o = x1^T W_o x2 + b_o. x1: (*, in1), x2: (*, in2), weight: (out, in1, in2) → (*, out).
function F.bilinear(x1, x2, weight, bias)
  options.tensor("bilinear", x1, "input1")
  options.tensor("bilinear", x2, "input2")
  local out, in1, in2 = weight:size(1), weight:size(2), weight:size(3)
  if x1:size(-1) ~= in1 or x2:size(-1) ~= in2 then
    error(string.format("[bilinear] inputs %s and %s do not match weight %s (out, in1, in2)",
      options.shape(x1), options.shape(x2), options.shape(weight)), 2)
  end
  local lead = x1:size()
  lead[#lead] = nil
  local a = x1:reshape(-1, in1)                                   -- (N, in1)
  local b = x2:reshape(-1, in2)                                   -- (N, in2)
  local w = weight:permute(2, 1, 3):reshape(in1, out * in2)       -- (in1, out*in2)
  local y = (a:matmul(w):reshape(-1, out, in2) * b:unsqueeze(2)):sum(3)  -- (N, out)
  if bias ~= nil then y = y + bias end
  lead[#lead + 1] = out
  return y:reshape(lead)
end

--- Zeroes each element with probability p in training and scales the rest by 1/(1-p).
--- F.dropout(x, 0.2) or F.dropout(x, {p = 0.2, training = false}).
function F.dropout(x, opts)
  local o = options.read("dropout", opts, {p = 0.5, training = true}, "p")
  options.tensor("dropout", x)
  if type(o.p) ~= "number" or o.p < 0 or o.p > 1 then
    error("[dropout] p must be a probability in [0, 1]; got " .. tostring(o.p), 2)
  end
  if not o.training or o.p == 0 then return x end
  if o.p == 1 then return x * 0 end
  local keep = torch.bernoulli(torch.full_like(x, 1 - o.p)) * (1 / (1 - o.p))
  return x * keep
end

--- Rows of `weight` (num_embeddings, dim) picked by 1-based integer ids of any shape →
--- ids.shape .. (dim). The row `padding_idx` (1-based) gets no gradient.
function F.embedding(ids, weight, opts)
  local o = options.read("embedding", opts, {padding_idx = options.NONE})
  options.tensor("embedding", ids, "ids")
  options.tensor("embedding", weight, "weight")
  if ids.dtype:match("^float") or ids.dtype == "bool" then
    error("[embedding] token ids must be an integer tensor (ids count from 1); got " .. ids.dtype, 2)
  end
  local n = weight:size(1)
  if ids:numel() > 0 then
    local lo, hi = ids:min():item(), ids:max():item()
    if lo < 1 or hi > n then
      error(string.format("[embedding] token id %d out of range 1..%d (ids count from 1)", lo < 1 and lo or hi, n), 2)
    end
  end
  local flat = ids:reshape(-1)
  local rows = weight:index_select(1, flat)                       -- (numel, dim)
  if o.padding_idx ~= nil then
    local pad = o.padding_idx < 0 and n + 1 + o.padding_idx or o.padding_idx
    local keep = flat:ne(pad):unsqueeze(2)
    rows = torch.where(keep, rows, rows:detach())
  end
  local shape = ids:size()
  shape[#shape + 1] = weight:size(2)
  return rows:reshape(shape)
end

--- (..., num_classes) int64 one-hot of 1-based class ids; num_classes defaults to the max id.
function F.one_hot(t, opts)
  local o = options.read("one_hot", opts, {num_classes = -1}, "num_classes")
  options.tensor("one_hot", t)
  if t.dtype:match("^float") or t.dtype == "bool" then
    error("[one_hot] expects an integer tensor of 1-based class ids; got " .. t.dtype, 2)
  end
  local c = o.num_classes
  if c == nil or c < 0 then c = t:numel() > 0 and t:max():item() or 0 end
  if t:numel() > 0 and (t:min():item() < 1 or t:max():item() > c) then
    error(string.format("[one_hot] class ids must lie in 1..%d (classes count from 1); got %d..%d",
      c, t:min():item(), t:max():item()), 2)
  end
  local flat = t:reshape(-1, 1)
  local out = torch.zeros(flat:size(1), c, {dtype = "int64"}):scatter(2, flat, 1)
  local shape = t:size()
  shape[#shape + 1] = c
  return out:reshape(shape)
end

--- ||x1 - x2 + eps||_p along the last dim.
function F.pairwise_distance(x1, x2, opts)
  local o = options.read("pairwise_distance", opts, {p = 2.0, eps = 1e-6, keepdim = false})
  return (options.tensor("pairwise_distance", x1) - x2 + o.eps):norm(o.p, -1, o.keepdim)
end

--- Cosine similarity along `dim` (default 2): x1·x2 / max(||x1|| ||x2||, eps).
function F.cosine_similarity(x1, x2, opts)
  local o = options.read("cosine_similarity", opts, {dim = 2, eps = 1e-8})
  options.tensor("cosine_similarity", x1)
  local n1 = x1:norm(2, o.dim):clamp(o.eps)
  local n2 = x2:norm(2, o.dim):clamp(o.eps)
  return (x1 * x2):sum(o.dim) / (n1 * n2)
end

return F
