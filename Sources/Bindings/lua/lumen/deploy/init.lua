-- The deployment toolkit, installed as the global `deploy`.
--
-- Quantization (each submodule returns a table of functions/classes merged into `deploy`):
--   quantize   deploy.quantize (post-training static int8), deploy.simulate, deploy.compare and the
--              quantized layer classes (deploy.Quantize, QLinear, QConv2d, QMaxPool2d, QFlatten,
--              Dequantize, QuantizedSequential); the shared format is described in quantize.lua
--   observers  deploy.Observer (min/max, moving-average, percentile calibration observers)
--   dynamic    deploy.quantize_dynamic (Linear, LSTM), deploy.quantize_int4 (INT4 weight-only Linear)
--   qat        deploy.prepare_qat, deploy.convert, deploy.FakeQuantize
--   serialize  deploy.save / deploy.load of quantized models (safetensors)
--   export_c   deploy.export_c (dependency-free C99 integer inference)
-- Export, compression and reports (namespaces):
--   deploy.export_onnx(model, example_input, path, opts)   ONNX by tracing (onnx.lua)
--   deploy.prune.*                                        magnitude / structured pruning (prune.lua)
--   deploy.distill.loss / deploy.distill.fit              knowledge distillation (distill.lua)
--   deploy.report(model, {input =, data =})               size, MACs, latency, accuracy (report.lua)
local deploy = {}
package.loaded["lumen.deploy"] = deploy   -- submodules `require "lumen.deploy"` while this runs

for _, name in ipairs({"observers", "quantize", "dynamic", "qat", "serialize", "export_c"}) do
  for k, v in pairs(require("lumen.deploy." .. name)) do
    if deploy[k] ~= nil then error("[deploy] two submodules export " .. k, 0) end
    deploy[k] = v
  end
end

local onnx = require "lumen.deploy.onnx"
deploy.onnx = onnx
deploy.export_onnx = onnx.export
deploy.prune = require "lumen.deploy.prune"
deploy.distill = require "lumen.deploy.distill"
deploy.report = require "lumen.deploy.report"

-- `?deploy.quantize` and friends in the REPL.
do
  local help = require "lumen.help"
  for name, doc in pairs(require "lumen.deploy.help") do help[name] = doc end
  for name, doc in pairs(require "lumen.help_deploy_export") do help[name] = doc end
end

return deploy
