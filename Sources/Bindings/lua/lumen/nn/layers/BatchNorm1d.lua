-- nn.BatchNorm1d(num_features, {eps = 1e-5, momentum = 0.1, affine = true,
--   track_running_stats = true, dtype}): normalizes (N, C) or (N, C, L) per channel C.
-- Training uses batch statistics and updates the running_mean / running_var buffers
-- (momentum = false: cumulative average, PyTorch's momentum=None); eval uses the running statistics.
local BatchNorm = require "lumen.nn.layers._BatchNorm"

local BatchNorm1d = BatchNorm:extend("BatchNorm1d")

function BatchNorm1d:check_input(x)
  if not torch.is_tensor(x) or (x:dim() ~= 2 and x:dim() ~= 3) or x:size(2) ~= self.num_features then
    error(string.format("[BatchNorm1d] expected input (N, %d) or (N, %d, L); got %s", self.num_features,
      self.num_features, BatchNorm.shape_of(x)), 3)
  end
end

return BatchNorm1d
