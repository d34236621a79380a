-- The deployment toolkit, installed as the global `deploy`.
--
-- Each concern lives in a submodule that returns a table of functions/classes merged into `deploy`:
--   quantize   deploy.quantize (post-training static int8), deploy.simulate, deploy.compare and the
--              quantized layer classes (deploy.Quantize, QLinear, QConv2d, QMaxPool2d, QFlatten,
--              Dequantize, QuantizedSequential); the shared format is described in quantize.lua
--   observers  deploy.Observer (min/max, moving-average, percentile calibration observers)
--   dynamic    deploy.quantize_dynamic (Linear, LSTM), deploy.quantize_int4 (INT4 weight-only Linear)
--   qat        deploy.prepare_qat, deploy.convert, deploy.FakeQuantize
--   serialize  deploy.save / deploy.load of quantized models (safetensors)
--   export_c   deploy.export_c (dependency-free C99 integer inference)
-- Optional submodules (onnx, prune, distill, report) are merged when present.
local deploy = {}
package.loaded["lumen.deploy"] = deploy   -- submodules `require "lumen.deploy"` while this runs

local SUBMODULES = {"observers", "quantize", "dynamic", "qat", "serialize", "export_c",
  "onnx", "prune", "distill", "report"}

for _, name in ipairs(SUBMODULES) do
  local full = "lumen.deploy." .. name
  if package.searchpath(full, package.path) then
    local exports = require(full)
    if type(exports) == "table" then
      for k, v in pairs(exports) do
        if deploy[k] == nil then deploy[k] = v end
      end
    end
  end
end

-- `?deploy.quantize` and friends in the REPL.
do
  local help = require "lumen.help"
  for name, doc in pairs(require "lumen.deploy.help") do help[name] = doc end
end

return deploy
