-- The deploy library (global `deploy`): export, pruning, distillation and model reports.
--   deploy.export_onnx(model, example_input, path, opts)   ONNX by tracing (lumen/deploy/onnx.lua)
--   deploy.prune.*                                        magnitude / structured pruning (prune.lua)
--   deploy.distill.loss / deploy.distill.fit              knowledge distillation (distill.lua)
--   deploy.report(model, {input =, data =})               size, MACs, latency, accuracy (report.lua)
local deploy = {}
package.loaded["lumen.deploy"] = deploy

local onnx = require "lumen.deploy.onnx"
deploy.onnx = onnx
deploy.export_onnx = onnx.export
deploy.prune = require "lumen.deploy.prune"
deploy.distill = require "lumen.deploy.distill"
deploy.report = require "lumen.deploy.report"

local help = require "lumen.help"
for name, doc in pairs(require "lumen.help_deploy_export") do help[name] = doc end

return deploy
