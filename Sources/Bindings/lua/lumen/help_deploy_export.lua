-- `?name` help for deploy's export, pruning, distillation and report (merged into lumen.help
-- when lumen.deploy loads).
return {
  ["deploy.export_onnx"] = "deploy.export_onnx(model, example_input, path, {input_names=, output_names=, dynamic_batch=true, opset=17})\n  Writes an ONNX model by tracing one forward pass (layers, tensor ops between them, int8 QDQ modules).\n  Unsupported modules/ops raise an error naming them and their path.  deploy.export_onnx(net, torch.randn(1, 10), \"net.onnx\")",
  ["deploy.prune.magnitude"] = "deploy.prune.magnitude(model, {amount=0.5, scope=\"global\"|\"layer\", optimizer=opt}) -> report\n  Zeroes the smallest |w| of Linear/Conv layers; masks stay applied on forward and after optimizer steps.",
  ["deploy.prune.keep_masks"] = "deploy.prune.keep_masks(optimizer, model) -> optimizer; re-applies pruning masks after every step",
  ["deploy.prune.remove"] = "deploy.prune.remove(model) -> model; makes pruning permanent (drops masks and hooks)",
  ["deploy.prune.report"] = "deploy.prune.report(model) -> {layers={{name, class, params, zeros, sparsity}...}, sparsity}; tostring prints a table",
  ["deploy.prune.structured"] = "deploy.prune.structured(seq, {amount=0.5, norm=2}) -> changes\n  Removes the lowest-norm output channels/neurons of a Sequential's Linear/Conv2d layers (and the next layer's inputs, BatchNorm).",
  ["deploy.distill.loss"] = "deploy.distill.loss(student_logits, teacher_logits, targets, {T=4, alpha=0.7})\n  alpha*T^2*KL(softmax(t/T) || softmax(s/T)) + (1-alpha)*CE(s, targets)",
  ["deploy.distill.fit"] = "deploy.distill.fit(student, teacher, loader, {epochs=1, optimizer=, lr=1e-3, T=4, alpha=0.7}) -> mean loss per epoch",
  ["deploy.report"] = "deploy.report(model, {input=example, data=loader, runs=50}) -> params, bytes_float32/int8/int4, macs, latency_ms, accuracy",
}
