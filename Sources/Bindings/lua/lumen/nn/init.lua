-- The nn library: module system, layers, losses, initializers and nn.functional.
--   nn.Module, nn.Parameter, nn.Sequential / ModuleList / ModuleDict / Residual,
--   layers (Linear, Embedding, BatchNorm1d, ...), activations, losses,
--   nn.init (in-place initializers), nn.functional (stateless functions), nn.utils.
-- Installed as the global `nn` by the prelude. Every class is one file under
-- lumen/nn/{containers,layers,activations,losses}/.
local nn = {}
package.loaded["lumen.nn"] = nn   -- class files `require "lumen.nn"` while this file runs

local parameter = require "lumen.nn.parameter"
nn.Parameter = parameter.Parameter
nn.is_parameter = parameter.is_parameter
nn.Module = require "lumen.nn.Module"
require "lumen.nn.state"
nn.is_module = nn.Module.is_module
nn.functional = require "lumen.nn.functional"
nn.init = require "lumen.nn.weight_init"
nn.utils = require "lumen.nn.utils"

local classes = {
  containers = {"Sequential", "ModuleList", "ModuleDict", "Residual"},
  layers = {"Identity", "Linear", "Bilinear", "Flatten", "Unflatten", "Dropout", "Embedding",
    "BatchNorm1d", "LayerNorm"},
  activations = {"ReLU", "LeakyReLU", "PReLU", "ELU", "GELU", "SiLU", "Sigmoid", "Tanh", "Softplus",
    "Softmax", "LogSoftmax"},
  losses = {"Loss", "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss",
    "CrossEntropyLoss", "NLLLoss", "KLDivLoss", "CosineEmbeddingLoss", "MarginRankingLoss",
    "TripletMarginLoss"},
}
for _, group in ipairs({"containers", "layers", "activations", "losses"}) do
  for _, name in ipairs(classes[group]) do
    nn[name] = require("lumen.nn." .. group .. "." .. name)
  end
end

return nn
