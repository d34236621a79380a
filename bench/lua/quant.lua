-- Int8 vs float32 inference: single-sample and batch latency and parameter size for a CNN
-- (1x32x32 wafer-map size) and an MLP (784-256-128-10). Prints `name value unit` lines.
-- Int8 runs the deploy.quantize model end to end (Quantize ... Dequantize), float the nn model
-- under no_grad in eval mode.
torch.manual_seed(0)

local util = dofile((arg[0]:match("^(.*)/") or ".") .. "/bench_util.lua")
local timeit, report = util.timeit, util.report

local function float_bytes(model)
  local n = 0
  for _, p in ipairs(model:parameters()) do n = n + 4 * p:numel() end
  return n
end

local function bench(name, model, input_shape, batch, reps)
  model:eval()
  local calib = {}
  for i = 1, 4 do calib[i] = torch.randn({32, table.unpack(input_shape)}) end
  local q = deploy.quantize(model, {calibrate = calib})
  local one, many = torch.randn({1, table.unpack(input_shape)}), torch.randn({batch, table.unpack(input_shape)})
  local results = {}
  torch.no_grad(function()
    results.f1 = timeit(function() model(one) end, reps)
    results.q1 = timeit(function() q(one) end, reps)
    results.fb = timeit(function() model(many) end, math.max(reps // 10, 5))
    results.qb = timeit(function() q(many) end, math.max(reps // 10, 5))
  end)
  report(name .. "_float32_1_us", results.f1 * 1e6, "us")
  report(name .. "_int8_1_us", results.q1 * 1e6, "us")
  report(name .. "_speedup_1", results.f1 / results.q1, "x")
  report(name .. "_float32_b" .. batch .. "_ms", results.fb * 1e3, "ms")
  report(name .. "_int8_b" .. batch .. "_ms", results.qb * 1e3, "ms")
  report(name .. "_speedup_b" .. batch, results.fb / results.qb, "x")
  local fbytes, qbytes = float_bytes(model), q:size_bytes()
  report(name .. "_float32_kB", fbytes / 1024, "kB")
  report(name .. "_int8_kB", qbytes / 1024, "kB")
  report(name .. "_size_ratio", fbytes / qbytes, "x")
end

print(string.format("int8 GEMM path: %s", deploy_internal.has_avx2() and "AVX2" or "scalar"))
bench("cnn", nn.Sequential(nn.Conv2d(1, 16, 3, {padding = 1}), nn.ReLU(), nn.MaxPool2d(2),
  nn.Conv2d(16, 32, 3, {padding = 1}), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
  nn.Linear(32 * 8 * 8, 64), nn.ReLU(), nn.Linear(64, 9)), {1, 32, 32}, 64, 200)
bench("mlp", nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10)),
  {784}, 256, 1000)

-- Raw GEMM throughput: int8 (int32 accumulate) vs float32 sgemm, 256x1152 · 1152x64 (a conv's im2col).
local a8, b8 = torch.randint(-128, 128, {256, 1152}):to("int8"), torch.randint(-128, 128, {64, 1152}):to("int8")
local af, bf = torch.randn(256, 1152), torch.randn(1152, 64)
local t8 = timeit(function() deploy_internal.int8_gemm(a8, b8) end, 50)
local tf = timeit(function() af:matmul(bf) end, 50)
report("gemm_256x1152x64_int8_us", t8 * 1e6, "us")
report("gemm_256x1152x64_float32_us", tf * 1e6, "us")
