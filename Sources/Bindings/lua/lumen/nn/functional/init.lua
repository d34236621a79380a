-- nn.functional: stateless layer functions mirroring torch.nn.functional's names. Tensors come
-- positionally, then one options table: F.cross_entropy(logits, labels, {label_smoothing = 0.1}).
-- Not a global: `local F = nn.functional`.
local F = {}
for _, part in ipairs({"activations", "layers", "normalization", "vision", "losses", "sequence"}) do
  for name, fn in pairs(require("lumen.nn.functional." .. part)) do F[name] = fn end
end
return F
