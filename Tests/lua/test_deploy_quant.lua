-- deploy: int8 post-training quantization, the float64 reference path, C export, save/load, QAT,
-- dynamic and int4 quantization, and their errors.
local F = nn.functional

-- 1x12x12 images of short oriented bars (4 classes: horizontal, vertical, diagonal, anti-diagonal)
-- at random positions, plus uniform noise. Labels count from 1.
local function bars(n, seed)
  math.randomseed(seed)
  local images, labels = {}, {}
  for s = 1, n do
    local img = {}
    for i = 1, 12 do
      img[i] = {}
      for j = 1, 12 do img[i][j] = 0.4 * math.random() end
    end
    local class = math.random(4)
    local r, c = math.random(3, 10), math.random(3, 10)
    for t = -1, 1 do
      local i, j
      if class == 1 then i, j = r, c + t
      elseif class == 2 then i, j = r + t, c
      elseif class == 3 then i, j = r + t, c + t
      else i, j = r + t, c - t end
      img[i][j] = img[i][j] + 1
    end
    images[s] = {img}
    labels[s] = class
  end
  return torch.tensor(images), torch.tensor(labels, {dtype = "int64"})
end

local trained
local function cnn()
  if trained then return trained end
  torch.manual_seed(0)
  local model = nn.Sequential(
    nn.Conv2d(1, 8, 3, {padding = 1}), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(8, 16, 3, {padding = 1}), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(144, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 4))
  local x, y = bars(800, 1)
  local opt = optim.Adam(model:parameters(), {lr = 0.01})
  model:train()
  for _ = 1, 8 do
    for b = 1, 800, 50 do
      local bx, by = x:narrow(1, b, 50), y:narrow(1, b, 50)
      opt:zero_grad()
      F.cross_entropy(model(bx), by):backward()
      opt:step()
    end
  end
  model:eval()
  local tx, ty = bars(500, 2)
  local calib = {}
  for b = 1, 200, 50 do calib[#calib + 1] = x:narrow(1, b, 50) end
  trained = {model = model, x = x, test_x = tx, test_y = ty, calib = calib}
  return trained
end

local function agreement(a, b)
  return a:argmax(2):eq(b:argmax(2)):int():sum():item() / a:size(1)
end

test("int8 CNN (BN folded, ReLU fused) agrees with the float model on >= 99% of a test set", function()
  local t = cnn()
  local float_out = torch.no_grad(function() return t.model(t.test_x) end)
  local accuracy = float_out:argmax(2):eq(t.test_y):int():sum():item() / t.test_y:size(1)
  assert_true(accuracy > 0.9, "float model did not learn: accuracy " .. accuracy)
  local q = deploy.quantize(t.model, {calibrate = t.calib, per_channel = true})
  local q_out = q(t.test_x)
  assert_eq(q_out.dtype, "float32")
  local agree = agreement(q_out, float_out)
  print(string.format("    float accuracy %.3f, int8 agreement with float %.4f", accuracy, agree))
  assert_true(agree >= 0.99, "int8/float agreement " .. agree)
  -- BN folded away; ReLUs fused; Dropout dropped.
  local names = {}
  for i, m in ipairs(q:children()) do names[i] = m.__name end
  assert_eq(table.concat(names, " "), "Quantize QConv2d QMaxPool2d QConv2d QMaxPool2d QFlatten QLinear QLinear Dequantize")
  assert_true(q[2].relu and q[4].relu and q[7].relu and not q[8].relu)
end)

test("int8 kernels equal the float64 emulation within 1 LSB (counted per layer)", function()
  local t = cnn()
  local q = deploy.quantize(t.model, {calibrate = t.calib})
  local rows, totals = q:compare(t.test_x)
  assert_eq(#rows, 7)   -- Quantize, 2 QConv2d, 2 QMaxPool2d, 2 QLinear
  for _, r in ipairs(rows) do
    print(string.format("    layer %d %-10s %7d values, %d differ by 1 LSB", r.index, r.name, r.total, r.differ))
    assert_true(r.max_diff <= 1, r.name .. " differs by " .. r.max_diff)
  end
  assert_true(totals.differ <= totals.total * 0.01, "too many 1-LSB differences: " .. totals.differ)
  -- The full reference chain (deploy.simulate) gives the same predictions.
  local sim = deploy.simulate(q, t.test_x)
  assert_true(agreement(sim, q(t.test_x)) >= 0.99)
end)

test("shared format fields", function()
  local t = cnn()
  local q = deploy.quantize(t.model, {calibrate = t.calib})
  local conv, fc = q[2], q[8]
  assert_eq(q[1].__name, "Quantize")
  assert_eq(getmetatable(conv), deploy.QConv2d)
  assert_eq(conv.weight_q.dtype, "int8")
  assert_eq(table.concat(conv.weight_q:size(), ","), "8,1,3,3")
  assert_eq(conv.weight_scale.dtype, "float32")
  assert_eq(conv.weight_scale:numel(), 8)
  assert_eq(conv.bias_q.dtype, "int32")
  assert_eq(type(conv.input_scale), "number")
  assert_true(math.type(conv.output_zero_point) == "integer" and conv.output_zero_point >= -128 and conv.output_zero_point <= 127)
  assert_eq(table.concat(conv.stride, ","), "1,1")
  assert_eq(table.concat(conv.padding, ","), "1,1")
  assert_eq(conv.groups, 1)
  assert_eq(fc.relu, false)
  assert_eq(conv.source, "1+2")
  -- Each layer's input parameters are the previous layer's output parameters.
  assert_eq(conv.input_scale, q[1].scale)
  assert_eq(q[4].input_scale, conv.output_scale)
  assert_eq(q[9].scale, fc.output_scale)
  -- The int8 tensors between layers.
  local h = q[2](q[1](t.test_x:narrow(1, 1, 2)))
  assert_eq(h.dtype, "int8")
  -- Per tensor: one scale per layer.
  local pt = deploy.quantize(t.model, {calibrate = t.calib, per_channel = false})
  assert_eq(pt[2].weight_scale:numel(), 1)
  assert_true(agreement(pt(t.test_x), t.model(t.test_x)) >= 0.97)
end)

test("a layer's prepared kernel follows in-place weight writes and changed fields", function()
  local t = cnn()
  local q = deploy.quantize(t.model, {calibrate = t.calib})
  local x = q[1](t.test_x:narrow(1, 1, 4))
  local conv, fc_in = q[2], q[7]
  local h = q[5](q[4](q[3](conv(x))))
  local flat = q[6](h)
  local function same_as_reference(layer, input, what)
    local diff = (layer(input):int() - layer:forward_reference(input):int()):abs():max():item()
    assert_true(diff <= 1, what .. ": kernel and float64 reference differ by " .. diff)
    return layer(input)
  end
  local before = same_as_reference(conv, x, "conv")
  assert_true(conv._kernel ~= nil, "the kernel is cached on the layer")
  -- In place (load_state_dict copies into the same tensors): the cached kernel must notice.
  torch.no_grad(function() conv.weight_q:copy_(-conv.weight_q) end)
  local after = same_as_reference(conv, x, "conv after negating weights in place")
  assert_true(after:int():ne(before:int()):int():sum():item() > 0, "output unchanged after the weights changed")
  -- A new output scale (a plain field).
  local fc_before = same_as_reference(fc_in, flat, "linear")
  fc_in.output_scale = fc_in.output_scale * 2
  local fc_after = same_as_reference(fc_in, flat, "linear after a new output scale")
  assert_true(fc_after:int():ne(fc_before:int()):int():sum():item() > 0, "output unchanged after the scale changed")
  -- load_state_dict of the original model's quantized weights restores the first outputs.
  local fresh = deploy.quantize(t.model, {calibrate = t.calib})
  q:load_state_dict(fresh:state_dict())
  assert_eq((conv(x):int() - before:int()):abs():max():item(), 0)
end)

test("observers: moving average and percentile calibrate usable models", function()
  local t = cnn()
  local float_out = t.model(t.test_x)
  for _, kind in ipairs({"moving_average", "percentile"}) do
    local q = deploy.quantize(t.model, {calibrate = t.calib, observer = kind})
    local agree = agreement(q(t.test_x), float_out)
    print(string.format("    %s observer: agreement %.4f", kind, agree))
    assert_true(agree >= 0.97, kind .. " agreement " .. agree)
  end
  local obs = deploy.Observer("percentile", {percentile = 99})
  local x = torch.rand(10000) * 2 - 1
  x[1] = 500
  obs:update(x)
  local _, maxs = obs:range()
  assert_true(maxs[1] < 2, "percentile should ignore the outlier")
  local mm = deploy.Observer("minmax"):update(x)
  local scale, zp = mm:affine_params()
  assert_close(scale, 501 / 255, 1e-4)
  assert_true(zp >= -128 and zp <= 127)
end)

test("int8 GEMM binding matches integer matmul at odd sizes", function()
  for _, s in ipairs({{1, 1, 1}, {3, 5, 17}, {7, 9, 33}, {16, 4, 100}}) do
    local a = torch.randint(-128, 128, {s[1], s[3]}):to("int8")
    local b = torch.randint(-128, 128, {s[2], s[3]}):to("int8")
    local c = deploy_internal.int8_gemm(a, b)
    assert_eq(c.dtype, "int32")
    local ref = a:double():matmul(b:double():t())
    assert_eq(c:double():ne(ref):int():sum():item(), 0)
  end
end)

-- Writes a tensor's int8 values / float32 values as raw bytes.
local function write_bytes(path, t, format)
  local f = assert(io.open(path, "wb"))
  local parts = {}
  for i, v in ipairs(t:contiguous():flatten():totable()) do parts[i] = string.pack(format, v) end
  f:write(table.concat(parts))
  f:close()
end

local function read_int8(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  local out = {}
  for i = 1, #s do out[i] = string.unpack("b", s, i) end
  return out
end

local HARNESS = [[
#include <stdio.h>
#include "net.h"
int main(int argc, char **argv) {
  static float xf[NET_INPUT_SIZE];
  static int8_t xq[NET_INPUT_SIZE], y[NET_OUTPUT_SIZE];
  FILE *in = fopen(argv[1], "rb"), *qout = fopen(argv[2], "wb"), *out = fopen(argv[3], "wb");
  (void)argc;
  if (!in || !qout || !out) return 2;
  while (fread(xf, sizeof(float), NET_INPUT_SIZE, in) == NET_INPUT_SIZE) {
    net_quantize_input(xf, xq);
    net_run(xq, y);
    fwrite(xq, 1, NET_INPUT_SIZE, qout);
    fwrite(y, 1, NET_OUTPUT_SIZE, out);
  }
  fclose(in); fclose(qout); fclose(out);
  return 0;
}
]]

test("C export compiles with -std=c99 -Wall -Werror and matches Lumen's int8 outputs exactly", function()
  local t = cnn()
  local q = deploy.quantize(t.model, {calibrate = t.calib})
  local dir = os.tmpname()
  os.remove(dir)
  local budget = deploy.export_c(q, dir, {name = "net", input_shape = {1, 12, 12}, quiet = true})
  assert_eq(budget.weight_bytes, 8 * 9 + 16 * 8 * 9 + 144 * 32 + 32 * 4)
  assert_eq(budget.ram_bytes, 2 * 8 * 12 * 12)
  assert_true(budget.flash_bytes > budget.weight_bytes)
  local h = assert(io.open(dir .. "/net.h")):read("a")
  assert_true(h:find("static const int8_t net_l1_weight%[72%]") ~= nil, "int8 weights in net.h")
  assert_true(h:find("static const int32_t net_l1_multiplier%[8%]") ~= nil, "per-channel multipliers in net.h")
  local f = assert(io.open(dir .. "/main.c", "w")); f:write(HARNESS); f:close()
  local cmd = string.format("cd %s && cc -std=c99 -Wall -Werror -O2 -o net_test main.c net.c 2> cc.log", dir)
  local ok = os.execute(cmd)
  if not ok then error("C compile failed: " .. assert(io.open(dir .. "/cc.log")):read("a")) end
  local x = t.test_x:narrow(1, 1, 200)
  write_bytes(dir .. "/x.bin", x, "f")
  assert_true(os.execute(string.format("%s/net_test %s/x.bin %s/xq.bin %s/y.bin", dir, dir, dir, dir)), "C program failed")
  local xq = q[1](x)
  local c_xq = torch.tensor(read_int8(dir .. "/xq.bin")):reshape(xq:size())
  assert_eq(c_xq:ne(xq:double()):int():sum():item(), 0, "input quantization differs")
  -- Lumen's int8 outputs (before Dequantize) for the same batch.
  local h8 = xq
  for i = 2, #q - 1 do h8 = q[i](h8) end
  local c_y = torch.tensor(read_int8(dir .. "/y.bin")):reshape(h8:size())
  local mismatches = c_y:ne(h8:double()):int():sum():item()
  print(string.format("    C vs Lumen int8 outputs: %d of %d differ; flash %d B, RAM %d B", mismatches, h8:numel(),
    budget.flash_bytes, budget.ram_bytes))
  assert_eq(mismatches, 0)
  os.execute("rm -rf " .. dir)
end)

test("C export of an MLP with per-tensor scales", function()
  torch.manual_seed(3)
  local mlp = nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 3))
  local xs = torch.randn(64, 10)
  local q = deploy.quantize(mlp, {calibrate = {xs}, per_channel = false})
  local dir = os.tmpname()
  os.remove(dir)
  deploy.export_c(q, dir, {name = "net", quiet = true})
  local f = assert(io.open(dir .. "/main.c", "w")); f:write(HARNESS); f:close()
  assert_true(os.execute(string.format("cd %s && cc -std=c99 -Wall -Werror -o net_test main.c net.c", dir)))
  write_bytes(dir .. "/x.bin", xs, "f")
  assert_true(os.execute(string.format("%s/net_test %s/x.bin %s/xq.bin %s/y.bin", dir, dir, dir, dir)))
  local h8 = q[3](q[2](q[1](xs)))
  local c_y = torch.tensor(read_int8(dir .. "/y.bin")):reshape(h8:size())
  assert_eq(c_y:ne(h8:double()):int():sum():item(), 0)
  os.execute("rm -rf " .. dir)
end)

test("save / load round trip keeps int8 and int32 dtypes and the outputs", function()
  local t = cnn()
  local q = deploy.quantize(t.model, {calibrate = t.calib})
  local path = os.tmpname()
  deploy.save(q, path)
  local tensors, metadata = torch.load(path)
  assert_eq(metadata["lumen.deploy.format"], "quantized_sequential/1")
  assert_eq(tensors["2.weight_q"].dtype, "int8")
  assert_eq(tensors["2.bias_q"].dtype, "int32")
  assert_eq(tensors["2.weight_scale"].dtype, "float32")
  local back = deploy.load(path)
  assert_eq(#back, #q)
  assert_eq(back[2].output_zero_point, q[2].output_zero_point)
  assert_eq(back[2].output_scale, q[2].output_scale)
  assert_eq(table.concat(back[2].padding, ","), "1,1")
  local a, b = q(t.test_x), back(t.test_x)
  assert_eq(a:ne(b):int():sum():item(), 0, "loaded model computes different outputs")
  assert_error(function() deploy.load(path .. ".missing") end, "cannot open")
  torch.save(path, {w = torch.zeros(2)})
  assert_error(function() deploy.load(path) end, "is not a quantized model")
  os.remove(path)
end)

test("QAT: fake quantization trains and converts to the same int8 format", function()
  local t = cnn()
  local qat = deploy.prepare_qat(t.model)
  local opt = optim.Adam(qat:parameters(), {lr = 0.002})
  local x, y = bars(400, 7)
  for b = 1, 400, 50 do
    opt:zero_grad()
    F.cross_entropy(qat(x:narrow(1, b, 50)), y:narrow(1, b, 50)):backward()
    opt:step()
  end
  assert_true(qat[2].weight.grad ~= nil, "QAT layers get gradients")
  qat:eval()
  local q = deploy.convert(qat)
  assert_eq(getmetatable(q), deploy.QuantizedSequential)
  assert_eq(q[2].weight_q.dtype, "int8")
  local agree = agreement(q(t.test_x), qat(t.test_x))
  print(string.format("    converted int8 vs fake-quant QAT model agreement %.4f", agree))
  assert_true(agree >= 0.97)
  -- The original model is untouched.
  assert_eq(getmetatable(t.model[1]), nn.Conv2d)
end)

test("fake quantization: straight-through gradient, masked outside the clamp range (gradcheck)", function()
  local scale, zp = 0.05, 10
  local lo, hi = (-128 - zp) * scale, (127 - zp) * scale
  -- Points away from the clamp edges, inside and outside the range.
  local x = torch.tensor({-9, -6.5, -3.2, -0.51, 0.012, 2.7, 5.77, 6.2, 8}, {dtype = "float64"}):requires_grad_()
  local g = torch.tensor({1, 2, 3, 4, 5, 6, 7, 8, 9}, {dtype = "float64"})
  local y = deploy.FakeQuantize.fake_quantize(x, scale, zp)
  -- Forward: dequantize(quantize(x)).
  assert_close(y:detach(), deploy_internal.dequantize(deploy_internal.quantize(x:detach(), scale, zp), scale, zp):double(), 1e-6)
  ;(y * g):sum():backward()
  -- The surrogate clamp(x, lo, hi), whose autograd is checked against finite differences.
  local x2 = x:detach():clone():requires_grad_()
  assert_true(nn.utils.gradcheck(function() return torch.clamp(x2, lo, hi) * g end, {x2}))
  local x3 = x:detach():clone():requires_grad_()
  ;(torch.clamp(x3, lo, hi) * g):sum():backward()
  assert_close(x.grad, x3.grad, 0)
  assert_close(x.grad, {0, 2, 3, 4, 5, 6, 7, 0, 0}, 0)
end)

test("errors: unsupported layer (named with its path), empty calibration, unwritable directory", function()
  local model = nn.Sequential(nn.Linear(4, 4), nn.Sequential(nn.ReLU(), nn.Sigmoid()), nn.Linear(4, 2))
  assert_error(function() deploy.quantize(model, {calibrate = {torch.randn(2, 4)}}) end,
    "[deploy.quantize] unsupported layer Sigmoid at \"2.2\"")
  local ok_model = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2))
  assert_error(function() deploy.quantize(ok_model, {calibrate = {}}) end, "[deploy.quantize] empty calibration set")
  assert_error(function() deploy.quantize(ok_model, {}) end, "option calibrate is required")
  assert_error(function() deploy.quantize(ok_model, {calibrate = {torch.randn(2, 4)}, observer = "magic"}) end,
    "unknown observer \"magic\"")
  assert_error(function() deploy.quantize(ok_model, {calibrate = {torch.randn(2, 4)}, bits = 4}) end, "unknown option \"bits\"")
  assert_error(function() deploy.quantize(nn.Linear(2, 2), {calibrate = {torch.randn(2, 2)}}) end,
    "expected an nn.Sequential model; got Linear")
  assert_error(function() deploy.quantize(nn.Sequential(nn.ReLU(), nn.Linear(2, 2)), {calibrate = {torch.randn(1, 2)}}) end,
    "ReLU at \"1\" must follow a Conv2d or Linear")
  local q = deploy.quantize(ok_model, {calibrate = {torch.randn(8, 4)}})
  assert_error(function() deploy.export_c(q, "/proc/lumen_no_such_dir/x") end, "[deploy.export_c] cannot write")
  assert_error(function() q(torch.randn(2, 5)) end, "QLinear] [qlinear] input (2,5) does not match weight (4,4)")
  assert_error(function() q[2](torch.randn(2, 4)) end, "expected an int8 tensor")
end)

test("dynamic quantization of Linear and LSTM stays close to float", function()
  torch.manual_seed(5)
  local mlp = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 8))
  local x = torch.randn(16, 32)
  local dq = deploy.quantize_dynamic(mlp)
  assert_eq(dq[1].__name, "DynamicLinear")
  assert_eq(mlp[1].__name, "Linear")      -- original untouched
  local ref, got = mlp(x), dq(x)
  local rel = (got - ref):abs():max():item() / ref:abs():max():item()
  assert_true(rel < 0.05, "dynamic MLP relative error " .. rel)
  local lstm = nn.LSTM(6, 12, {batch_first = true, num_layers = 2})
  local seq = torch.randn(3, 7, 6)
  local dl = deploy.quantize_dynamic(lstm)
  assert_eq(dl.__name, "DynamicLSTM")
  local out_f, state_f = lstm(seq)
  local out_q, state_q = dl(seq)
  assert_eq(table.concat(out_q:size(), ","), "3,7,12")
  assert_true((out_q - out_f):abs():max():item() < 0.05, "dynamic LSTM output error")
  assert_true((state_q[2] - state_f[2]):abs():max():item() < 0.05, "dynamic LSTM cell state error")
  -- The prepared layer (packed weights) follows in-place writes: negated int8 weights negate the
  -- product, so the output becomes 2 * bias - before.
  local layer, input = dq[3], torch.randn(4, 64)
  local before = layer(input)
  torch.no_grad(function() layer.weight_q:copy_(-layer.weight_q) end)
  local after = layer(input)
  local expected = layer.bias:reshape(1, 8) * 2 - before
  assert_true((after - expected):abs():max():item() < 1e-4, "DynamicLinear ignored an in-place weight write")
end)

test("INT4 weight-only Linear: packed two per byte, per-group scales, close to float", function()
  torch.manual_seed(6)
  local mlp = nn.Sequential(nn.Linear(70, 40), nn.ReLU(), nn.Linear(40, 5))
  local q = deploy.quantize_int4(mlp, {group_size = 32})
  local fc = q[1]
  assert_eq(fc.__name, "Int4Linear")
  assert_eq(fc.packed.dtype, "uint8")
  assert_eq(table.concat(fc.packed:size(), ","), "40,35")
  assert_eq(table.concat(fc.scales:size(), ","), "40,3")
  -- On-the-fly dequantized matmul equals the float matmul with the unpacked weight.
  local x = torch.randn(9, 70)
  assert_close(fc(x), F.linear(x, fc:dequantized_weight(), mlp[1].bias), 1e-4)
  local w, wq = mlp[1].weight, fc:dequantized_weight()
  assert_true((w - wq):abs():max():item() <= fc.scales:max():item() / 2 + 1e-6)
  local rel = (q(x) - mlp(x)):abs():max():item() / mlp(x):abs():max():item()
  assert_true(rel < 0.15, "int4 relative error " .. rel)
  assert_error(function() deploy.quantize_int4(mlp, {group_size = 3}) end, "group_size must be an even integer")
end)
