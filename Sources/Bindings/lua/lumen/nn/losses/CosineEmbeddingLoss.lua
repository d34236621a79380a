-- nn.CosineEmbeddingLoss({margin = 0, reduction = "mean"})
-- The module form of nn.functional.cosine_embedding_loss.
local nn = require "lumen.nn"

local CosineEmbeddingLoss = nn.Loss:extend("CosineEmbeddingLoss")
CosineEmbeddingLoss.functional = "cosine_embedding_loss"
CosineEmbeddingLoss.defaults = {reduction = "mean", margin = 0.0}
CosineEmbeddingLoss.optional = {}
CosineEmbeddingLoss.tensors = {}
CosineEmbeddingLoss.arity = 3

return CosineEmbeddingLoss
