-- A small wafer-map classifier for `lumen serve` (used by Tests/serve/test_serve.py and
-- bench/serve_load.py): 32x32 bin maps (0 off-wafer, 0.5 pass, 1 fail) -> 9 pattern classes.
--
--   lumen serve Tests/serve/wafer_cnn.lua --weights wafer_cnn.safetensors
--
-- Weights come from Tests/serve/make_fixture.lua (a short training run on data.wafer_maps).
local net = nn.Sequential(
  nn.Conv2d(1, 8, 3, {padding = 1}), nn.ReLU(), nn.MaxPool2d(2),   -- (N,8,16,16)
  nn.Conv2d(8, 16, 3, {padding = 1}), nn.ReLU(), nn.MaxPool2d(2),  -- (N,16,8,8)
  nn.Flatten(), nn.Linear(16 * 8 * 8, 32), nn.ReLU(),              -- (N,32)
  nn.Linear(32, 9))                                                -- (N,9) logits

return {
  model = net,
  inputs = {{name = "map", shape = {-1, 1, 32, 32}, datatype = "FP32"}},
  -- Bin maps hold values in [0, 1]; anything else is a caller's mistake worth a clear error.
  preprocess = function(maps)
    local low, high = maps:min():item(), maps:max():item()
    if low < 0 or high > 1 then
      error(string.format("[wafer_cnn] map values must lie in [0, 1]; got min %g, max %g", low, high))
    end
    return maps
  end,
  -- logits (N,9) float32 and the predicted class (N) int64, 1..9 into data.wafer_maps' classes.
  postprocess = function(logits)
    return {logits = logits, class = logits:argmax(2)}
  end,
}
