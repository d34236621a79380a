-- Batch, group, instance and layer normalization of nn.functional: fused Swift kernels
-- (statistics in double precision, one-pass normalize + affine, fused backward).
--
--   F.batch_norm(x, running_mean, running_var, weight, bias, {training = false, momentum = 0.1, eps = 1e-5})
--       x (N, C, ...); in training, normalizes with the batch statistics and updates the running
--       statistics in place (unbiased variance); otherwise uses the running statistics
--   F.group_norm(x, num_groups, weight, bias, {eps = 1e-5})       x (N, C, ...)
--   F.instance_norm(x, running_mean, running_var, weight, bias, {use_input_stats = true, momentum = 0.1, eps = 1e-5})
--   F.layer_norm(x, normalized_shape, weight, bias, {eps = 1e-5})  over the trailing dims
-- Any tensor argument may be nil, and the options table may follow the last tensor given:
-- F.batch_norm(x, nil, nil, {training = true}).
local V = vision_internal
return {
  batch_norm = V.batch_norm,
  group_norm = V.group_norm,
  instance_norm = V.instance_norm,
  layer_norm = V.layer_norm,
}
