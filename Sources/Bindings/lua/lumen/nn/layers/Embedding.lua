-- nn.Embedding(num_embeddings, embedding_dim, {padding_idx = nil, dtype}): a lookup table.
-- Token ids count from 1; ids of any shape → ids.shape .. (embedding_dim). weight ~ N(0, 1);
-- the padding_idx row (1-based, negative from the end) starts at zero and gets no gradient.
local nn = require "lumen.nn"

local Embedding = nn.Module:extend("Embedding")

function Embedding:init(num_embeddings, embedding_dim, opts)
  local n, d = math.tointeger(num_embeddings), math.tointeger(embedding_dim)
  if n == nil or d == nil or n < 1 or d < 1 then
    error(string.format("[Embedding] expected positive integer sizes (num_embeddings, embedding_dim); got %s, %s",
      tostring(num_embeddings), tostring(embedding_dim)), 3)
  end
  num_embeddings, embedding_dim = n, d
  opts = opts or {}
  local pad = opts.padding_idx
  if pad ~= nil then
    if math.type(pad) ~= "integer" or pad == 0 or math.abs(pad) > num_embeddings then
      error(string.format("[Embedding] padding_idx must be in 1..%d (or negative from the end); got %s",
        num_embeddings, tostring(pad)), 3)
    end
    if pad < 0 then pad = num_embeddings + 1 + pad end
  end
  self.num_embeddings, self.embedding_dim, self.padding_idx = num_embeddings, embedding_dim, pad
  self.weight = nn.Parameter(torch.zeros(num_embeddings, embedding_dim, {dtype = opts.dtype or "float32"}))
  self:reset_parameters()
end

function Embedding:reset_parameters()
  nn.init.normal_(self.weight)
  if self.padding_idx ~= nil then
    torch.no_grad(function() self.weight[self.padding_idx] = 0 end)
  end
end

function Embedding:forward(ids)
  return nn.functional.embedding(ids, self.weight, {padding_idx = self.padding_idx})
end

function Embedding:extra_repr()
  local s = string.format("%d, %d", self.num_embeddings, self.embedding_dim)
  if self.padding_idx ~= nil then s = s .. ", padding_idx=" .. self.padding_idx end
  return s
end

return Embedding
