-- nn.BatchNorm2d(num_features, {eps = 1e-5, momentum = 0.1, affine = true,
--   track_running_stats = true, dtype}): normalizes (N, C, H, W) per channel C over the batch
-- and both spatial dims. Parameters weight/bias (C); buffers running_mean, running_var,
-- num_batches_tracked, as PyTorch. Training uses batch statistics and updates the running
-- ones (momentum = false: cumulative average); eval uses the running ones.
--   nn.BatchNorm2d(16)                           (N,16,H,W) -> (N,16,H,W)
local BatchNorm = require "lumen.nn.layers._BatchNorm"

local BatchNorm2d = BatchNorm:extend("BatchNorm2d")

function BatchNorm2d:check_input(x)
  if not torch.is_tensor(x) or x:dim() ~= 4 or x:size(2) ~= self.num_features then
    error(string.format("[BatchNorm2d] expected input (N, %d, H, W); got %s", self.num_features, BatchNorm.shape_of(x)), 3)
  end
end

return BatchNorm2d
