-- The nn library: module system, layers, losses, initializers and nn.functional.
-- Installed as the global `nn` by the prelude; nn.functional is not a global (local F = nn.functional).
--
--   nn.Module            base class: Module:extend(name), init/forward, parameters(), named_parameters()
--                        (a list of {name, tensor} pairs), children(), modules(), train()/eval(),
--                        zero_grad(), state_dict(), load_state_dict(sd, {strict = true}), apply(fn),
--                        requires_grad_(flag), num_parameters(), to(dtype) (see Module.lua, state.lua)
--   nn.Parameter(t)      marks a tensor as a parameter (assign it to a module field to register it)
--   containers           Sequential, ModuleList, ModuleDict, Residual (children named 1, 2, ...)
--   layers               Identity, Linear, Bilinear, Flatten, Unflatten, Dropout, Embedding,
--                        BatchNorm1d, LayerNorm
--   vision layers        Conv1d, Conv2d, ConvTranspose2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d,
--                        BatchNorm2d, GroupNorm, InstanceNorm2d, Upsample, Dropout2d
--   blocks               BasicBlock, Bottleneck (ResNet), BasicConv2d, InceptionBlock, DepthwiseSeparableConv,
--                        SqueezeExcitation, MBConv (lumen/nn/blocks/)
--   activations          ReLU, LeakyReLU, PReLU, ELU, GELU, SiLU, Sigmoid, Tanh, Softplus, Softmax,
--                        LogSoftmax
--   losses               MSELoss, L1Loss, SmoothL1Loss, HuberLoss, BCELoss, BCEWithLogitsLoss,
--                        CrossEntropyLoss, NLLLoss, KLDivLoss, CosineEmbeddingLoss, MarginRankingLoss,
--                        TripletMarginLoss (base class nn.Loss)
--   sequence             RNN, LSTM, GRU (RNNBase), RNNCell, LSTMCell, GRUCell (RNNCellBase),
--                        MultiheadAttention, TransformerEncoderLayer, TransformerDecoderLayer,
--                        TransformerEncoder, TransformerDecoder, Transformer, PositionalEncoding,
--                        LearnedPositionalEncoding; nn.utils.rnn (packed sequences)
--   nn.init              in-place initializers (uniform_, kaiming_uniform_, orthogonal_, ...)
--   nn.utils             gradcheck, summary(model, input_shape), state_dict_from_pytorch / state_dict_to_pytorch
--
-- Indices count from 1 everywhere a user sees one: dims, class labels, token ids, child names.
-- Every class is one file under lumen/nn/{containers,layers,activations,losses,blocks}/.
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
  vision = {"Conv1d", "Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "BatchNorm2d",
    "GroupNorm", "InstanceNorm2d", "Upsample", "Dropout2d"},
  blocks = {"BasicBlock", "Bottleneck", "BasicConv2d", "InceptionBlock", "DepthwiseSeparableConv", "SqueezeExcitation",
    "MBConv"},
  activations = {"ReLU", "LeakyReLU", "PReLU", "ELU", "GELU", "SiLU", "Sigmoid", "Tanh", "Softplus",
    "Softmax", "LogSoftmax"},
  losses = {"Loss", "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss",
    "CrossEntropyLoss", "NLLLoss", "KLDivLoss", "CosineEmbeddingLoss", "MarginRankingLoss",
    "TripletMarginLoss"},
  sequence = {"RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell", "MultiheadAttention",
    "TransformerEncoderLayer", "TransformerDecoderLayer", "TransformerEncoder", "TransformerDecoder", "Transformer",
    "PositionalEncoding", "LearnedPositionalEncoding"},
}
local folders = {vision = "layers"}
for _, group in ipairs({"containers", "layers", "vision", "activations", "losses", "blocks", "sequence"}) do
  for _, name in ipairs(classes[group]) do
    nn[name] = require("lumen.nn." .. (folders[group] or group) .. "." .. name)
  end
end

nn.utils.rnn = require "lumen.nn.sequence.packing"

return nn
