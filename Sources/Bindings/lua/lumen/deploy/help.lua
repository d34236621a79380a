-- `?name` help entries of the quantization half of lumen/deploy (merged into lumen.help by deploy/init.lua).
return {
  ["deploy.quantize"] = "deploy.quantize(model, {calibrate = batches|loader, per_channel = true, observer = \"minmax\"|\"moving_average\"|\"percentile\"})\n  -> int8 QuantizedSequential (Quantize, QConv2d/QLinear with BN folded and ReLU fused, QMaxPool2d, QFlatten, Dequantize)\n  local q = deploy.quantize(net, {calibrate = {x1, x2}});  q(x);  q:compare(x)",
  ["deploy.simulate"] = "deploy.simulate(qmodel, x) -> the float64 emulation of the int8 model (same as qmodel:forward_reference(x))",
  ["deploy.compare"] = "deploy.compare(qmodel, x) -> per-layer rows {name, total, differ, max_diff} and totals: int8 kernels vs float64 emulation",
  ["deploy.Observer"] = "deploy.Observer(\"minmax\"|\"moving_average\"|\"percentile\", {averaging_constant = 0.01, percentile = 99.99})\n  obs:update(x); obs:range(); obs:affine_params() -> scale, zero_point",
  ["deploy.quantize_dynamic"] = "deploy.quantize_dynamic(model, {per_channel = true}) -> copy with Linear -> DynamicLinear, LSTM -> DynamicLSTM\n  (int8 weights, activations quantized per call)",
  ["deploy.quantize_int4"] = "deploy.quantize_int4(model, {group_size = 32}) -> copy with Linear -> Int4Linear (packed 2 per byte, per-group scales)",
  ["deploy.prepare_qat"] = "deploy.prepare_qat(model, {per_channel = true}) -> QATSequential with fake quantization (straight-through gradients);\n  train it, then deploy.convert(qat) -> the int8 model of deploy.quantize",
  ["deploy.convert"] = "deploy.convert(qat_model) -> int8 QuantizedSequential from a deploy.prepare_qat model",
  ["deploy.save"] = "deploy.save(qmodel, path) / deploy.load(path): int8 models as safetensors (int8/int32 tensors, layers in metadata)",
  ["deploy.load"] = "deploy.load(path) -> the QuantizedSequential written by deploy.save",
  ["deploy.export_c"] = "deploy.export_c(qmodel, dir, {name = \"model\", input_shape = {C, H, W}}) -> budget {flash_bytes, ram_bytes, ...}\n  writes dir/name.h (int8 weights, int32 biases, multipliers, shifts) and dir/name.c (C99 integer-only name_run)",
}
