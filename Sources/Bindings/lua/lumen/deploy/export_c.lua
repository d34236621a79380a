-- deploy.export_c(qmodel, dir, {name = "model", input_shape = {C, H, W} | {features}}):
-- writes a dependency-free C99 integer-only implementation of a quantized model.
--   dir/<name>.h  const int8_t weights, int32_t biases, per-channel int32 multipliers and shifts,
--                 sizes and the input/output quantization constants
--   dir/<name>.c  <name>_run(const int8_t *input, int8_t *output): one sample, int8 in and out,
--                 only int8/int32/int64 arithmetic, the same requantization as the Swift kernels
--                 (bit for bit: SaturatingRoundingDoublingHighMul + RoundingDivideByPOT), plus
--                 <name>_quantize_input / <name>_dequantize_output helpers (float, no libm)
-- Returns a budget table {flash_bytes, ram_bytes, weight_bytes, bias_bytes, requant_bytes,
-- largest_activation, files = {...}} and prints it. input_shape is per sample (no batch dim); it
-- defaults to the first QLinear's in_features for MLPs and is required for convolutional models.
local M = {}

local function shell_quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

local function flat_list(t)
  return t:contiguous():flatten():totable()
end

-- "static const TYPE NAME[N] = {...};" with 16 values a line.
local function c_array(ctype, name, values)
  local lines = {string.format("static const %s %s[%d] = {", ctype, name, math.max(#values, 1))}
  if #values == 0 then values = {0} end
  for i = 1, #values, 16 do
    local row = {}
    for j = i, math.min(i + 15, #values) do row[#row + 1] = string.format("%d", values[j]) end
    lines[#lines + 1] = "  " .. table.concat(row, ", ") .. ","
  end
  lines[#lines + 1] = "};"
  return table.concat(lines, "\n")
end

local RUNTIME = {}
RUNTIME.requantize = [[
/* Fixed-point helpers (gemmlowp / TensorFlow Lite): x * M with M = multiplier * 2^(shift - 31). */
static int32_t lumen_srdhm(int32_t a, int32_t b) {
  int64_t ab, nudge;
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  ab = (int64_t)a * (int64_t)b;
  nudge = ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
  return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

static int32_t lumen_rdbpot(int32_t x, int exponent) {
  int64_t mask = ((int64_t)1 << exponent) - 1, x64 = x;
  int64_t remainder = x64 & mask, threshold = (mask >> 1) + (x64 < 0 ? 1 : 0);
  /* floor division by 2^exponent (no right shift of a negative value) */
  int64_t q = x64 >= 0 ? (x64 >> exponent) : -((-x64 + mask) >> exponent);
  return (int32_t)(q + (remainder > threshold ? 1 : 0));
}

static int8_t lumen_requantize(int32_t acc, int32_t multiplier, int32_t shift, int32_t zero_point, int32_t low) {
  int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
  int64_t shifted = (int64_t)acc * ((int64_t)1 << left);
  int32_t x, v;
  if (shifted > INT32_MAX) shifted = INT32_MAX;
  if (shifted < INT32_MIN) shifted = INT32_MIN;
  x = lumen_rdbpot(lumen_srdhm((int32_t)shifted, multiplier), right);
  v = zero_point + x;
  if (v < low) v = low;
  if (v > 127) v = 127;
  return (int8_t)v;
}
]]

RUNTIME.conv = [[
/* in (C, H, W) -> out (O, OH, OW); weights (O, C/groups, KH, KW). */
static void lumen_conv2d(const int8_t *in, int8_t *out, const int8_t *w, const int32_t *bias,
                         const int32_t *mult, const int32_t *shift, int per_channel,
                         int c, int h, int wd, int o, int kh, int kw, int oh, int ow,
                         int sy, int sx, int py, int px, int dy, int dx, int groups,
                         int32_t zin, int32_t zout, int32_t low) {
  int cg = c / groups, og = o / groups, oc, oy, ox, ci, i, j;
  for (oc = 0; oc < o; oc++) {
    int g = oc / og, m = per_channel ? oc : 0;
    for (oy = 0; oy < oh; oy++) {
      for (ox = 0; ox < ow; ox++) {
        int32_t acc = bias[oc];
        for (ci = 0; ci < cg; ci++) {
          const int8_t *plane = in + (long)(g * cg + ci) * h * wd;
          const int8_t *kern = w + ((long)oc * cg + ci) * kh * kw;
          for (i = 0; i < kh; i++) {
            int y = oy * sy + i * dy - py;
            if (y < 0 || y >= h) continue;
            for (j = 0; j < kw; j++) {
              int x = ox * sx + j * dx - px;
              if (x < 0 || x >= wd) continue;
              acc += ((int32_t)plane[y * wd + x] - zin) * (int32_t)kern[i * kw + j];
            }
          }
        }
        out[((long)oc * oh + oy) * ow + ox] = lumen_requantize(acc, mult[m], shift[m], zout, low);
      }
    }
  }
}
]]

RUNTIME.linear = [[
/* in (K) -> out (N); weights (N, K). */
static void lumen_linear(const int8_t *in, int8_t *out, const int8_t *w, const int32_t *bias,
                         const int32_t *mult, const int32_t *shift, int per_channel, int k, int n,
                         int32_t zin, int32_t zout, int32_t low) {
  int o, p;
  for (o = 0; o < n; o++) {
    int32_t acc = bias[o];
    const int8_t *row = w + (long)o * k;
    int m = per_channel ? o : 0;
    for (p = 0; p < k; p++) acc += ((int32_t)in[p] - zin) * (int32_t)row[p];
    out[o] = lumen_requantize(acc, mult[m], shift[m], zout, low);
  }
}
]]

RUNTIME.pool = [[
/* in (C, H, W) -> out (C, OH, OW); padded positions never win. */
static void lumen_maxpool2d(const int8_t *in, int8_t *out, int c, int h, int w, int kh, int kw,
                            int sy, int sx, int py, int px, int oh, int ow) {
  int ch, oy, ox, y, x;
  for (ch = 0; ch < c; ch++) {
    const int8_t *src = in + (long)ch * h * w;
    int8_t *dst = out + (long)ch * oh * ow;
    for (oy = 0; oy < oh; oy++) {
      for (ox = 0; ox < ow; ox++) {
        int8_t m = -128;
        for (y = oy * sy - py; y < oy * sy - py + kh; y++) {
          if (y < 0 || y >= h) continue;
          for (x = ox * sx - px; x < ox * sx - px + kw; x++) {
            if (x < 0 || x >= w) continue;
            if (src[y * w + x] > m) m = src[y * w + x];
          }
        }
        dst[oy * ow + ox] = m;
      }
    }
  }
}
]]

local function numel(shape)
  local n = 1
  for _, v in ipairs(shape) do n = n * v end
  return n
end

function M.export_c(qmodel, dir, options)
  local op = "deploy.export_c"
  options = options or {}
  if not nn.is_module(qmodel) or qmodel.forward_reference == nil then
    error("[deploy.export_c] expected a quantized model (from deploy.quantize or deploy.convert)", 2)
  end
  if type(dir) ~= "string" or dir == "" then error("[deploy.export_c] expected an output directory path; got " .. type(dir), 2) end
  local name = options.name or "model"
  if type(name) ~= "string" or not name:match("^[%a_][%w_]*$") then
    error(string.format("[%s] name must be a C identifier; got %s", op, tostring(name)), 2)
  end
  local children = qmodel:children()
  local first, last = children[1], children[#children]
  if first == nil or first.__name ~= "Quantize" or last.__name ~= "Dequantize" then
    error("[deploy.export_c] model must start with Quantize and end with Dequantize", 2)
  end
  -- Per-sample input shape, then the shape after every layer (traced with a zero batch).
  local input_shape = options.input_shape
  if input_shape == nil then
    local fc = children[2]
    if fc and fc.__name == "QLinear" then input_shape = {fc.weight_q:size(2)}
    else error("[deploy.export_c] option input_shape ({C, H, W} per sample) is required for this model", 2) end
  end
  local x = torch.zeros({1, table.unpack(input_shape)}, {dtype = "int8"})
  local shapes = {}
  for i = 2, #children - 1 do
    local ok, y = pcall(children[i].forward, children[i], x)
    if not ok then error(string.format("[%s] input_shape {%s} does not fit layer %d (%s): %s", op,
      table.concat(input_shape, ", "), i, children[i].__name, tostring(y)), 2) end
    local s = y:size()
    table.remove(s, 1)
    shapes[i] = {input = x:size(), output = s}
    table.remove(shapes[i].input, 1)
    x = y
  end
  local in_size, out_size = numel(input_shape), numel(x:size()) // 1
  local largest = in_size
  for i = 2, #children - 1 do largest = math.max(largest, numel(shapes[i].output)) end

  local header, body = {}, {}
  local upper = name:upper()
  local budget = {weight_bytes = 0, bias_bytes = 0, requant_bytes = 0, largest_activation = largest}
  header[#header + 1] = string.format([[/* %s.h — generated by Lumen deploy.export_c: int8 weights and integer requantization
 * constants of a quantized model. Inference: %s_run in %s.c (C99, integer only). */
#ifndef %s_H
#define %s_H
#include <stdint.h>

#define %s_INPUT_SIZE %d
#define %s_OUTPUT_SIZE %d
#define %s_ARENA_BYTES %d
#define %s_INPUT_SCALE %.17g
#define %s_INPUT_ZERO_POINT %d
#define %s_OUTPUT_SCALE %.17g
#define %s_OUTPUT_ZERO_POINT %d

/* One sample: int8 input (%s) -> int8 output (%d values). */
void %s_run(const int8_t *input, int8_t *output);
/* q = clamp(round_half_even(x / scale) + zero_point) for the input; x = scale * (q - zero_point) for the output. */
void %s_quantize_input(const float *x, int8_t *q);
void %s_dequantize_output(const int8_t *q, float *x);

/* The model's constants; %s.c defines %s_IMPLEMENTATION before including this header. */
#ifdef %s_IMPLEMENTATION
]], name, name, name, upper, upper, upper, in_size, upper, out_size, upper, 2 * largest, upper, first.scale, upper,
    first.zero_point, upper, last.scale, upper, last.zero_point, table.concat(input_shape, "x"), out_size, name, name, name, name, upper, upper)

  local calls, used = {}, {}
  for i = 2, #children - 1 do
    local m, s = children[i], shapes[i]
    local src = string.format("arena[%d]", (i - 2) % 2 == 0 and 0 or 1)
    local dst = string.format("arena[%d]", (i - 2) % 2 == 0 and 1 or 0)
    if i == 2 then src = "input" end
    local prefix = string.format("%s_l%d", name, i - 1)
    if m.__name == "QConv2d" or m.__name == "QLinear" then
      local mult, shift = deploy_internal.requant_params(m)
      local wv, mv, sv = flat_list(m.weight_q), mult:totable(), shift:totable()
      local bv = m.bias_q and m.bias_q:totable() or {}
      if #bv == 0 then for o = 1, m.weight_q:size(1) do bv[o] = 0 end end
      header[#header + 1] = string.format("\n/* layer %d: %s (from %s) */", i - 1, m.__name, tostring(m.source))
      header[#header + 1] = c_array("int8_t", prefix .. "_weight", wv)
      header[#header + 1] = c_array("int32_t", prefix .. "_bias", bv)
      header[#header + 1] = c_array("int32_t", prefix .. "_multiplier", mv)
      header[#header + 1] = c_array("int32_t", prefix .. "_shift", sv)
      budget.weight_bytes = budget.weight_bytes + #wv
      budget.bias_bytes = budget.bias_bytes + 4 * #bv
      budget.requant_bytes = budget.requant_bytes + 8 * #mv
      local low = m.relu and math.max(-128, m.output_zero_point) or -128
      local per_channel = #mv > 1 and 1 or 0
      used.requantize = true
      if m.__name == "QConv2d" then
        used.conv = true
        local k = m.weight_q:size()
        calls[#calls + 1] = string.format(
          "  lumen_conv2d(%s, %s, %s_weight, %s_bias, %s_multiplier, %s_shift, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d);",
          src, dst, prefix, prefix, prefix, prefix, per_channel, s.input[1], s.input[2], s.input[3], k[1], k[3], k[4],
          s.output[2], s.output[3], m.stride[1], m.stride[2], m.padding[1], m.padding[2], m.dilation[1], m.dilation[2],
          m.groups, m.input_zero_point, m.output_zero_point, low)
      else
        used.linear = true
        calls[#calls + 1] = string.format("  lumen_linear(%s, %s, %s_weight, %s_bias, %s_multiplier, %s_shift, %d, %d, %d, %d, %d, %d);",
          src, dst, prefix, prefix, prefix, prefix, per_channel, m.weight_q:size(2), m.weight_q:size(1),
          m.input_zero_point, m.output_zero_point, low)
      end
    elseif m.__name == "QMaxPool2d" then
      used.pool = true
      calls[#calls + 1] = string.format("  lumen_maxpool2d(%s, %s, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d);", src, dst,
        s.input[1], s.input[2], s.input[3], m.kernel_size[1], m.kernel_size[2], m.stride[1], m.stride[2],
        m.padding[1], m.padding[2], s.output[2], s.output[3])
    elseif m.__name == "QFlatten" then
      calls[#calls + 1] = string.format("  memcpy(%s, %s, %d); /* flatten: same bytes */", dst, src, numel(s.output))
    else
      error(string.format("[%s] layer %d (%s) cannot be exported to C", op, i, m.__name), 2)
    end
  end
  local final = string.format("arena[%d]", (#children - 2) % 2 == 0 and 0 or 1)
  if #children == 2 then final = "input" end
  header[#header + 1] = "\n#endif /* " .. upper .. "_IMPLEMENTATION */\n#endif\n"

  body[#body + 1] = string.format([[/* %s.c — generated by Lumen deploy.export_c. C99, no dependencies beyond <stdint.h>/<string.h>;
 * integer-only inference. Compile: cc -std=c99 -O2 -c %s.c */
#include <string.h>
#define %s_IMPLEMENTATION
#include "%s.h"
]], name, name, upper, name)
  for _, piece in ipairs({"requantize", "conv", "linear", "pool"}) do
    if used[piece] then body[#body + 1] = RUNTIME[piece] end
  end
  body[#body + 1] = string.format([[
/* Ping-pong activation arena: two buffers of the largest activation (%d bytes each). */
static int8_t arena[2][%d];

void %s_run(const int8_t *input, int8_t *output) {
%s
  memcpy(output, %s, %d);
}

void %s_quantize_input(const float *x, int8_t *q) {
  int i;
  for (i = 0; i < %s_INPUT_SIZE; i++) {
    double v = (double)x[i] * %.17g;
    double f, d;
    long long t;
    if (v != v) { q[i] = (int8_t)%s_INPUT_ZERO_POINT; continue; }
    if (v > 1e6) v = 1e6;
    if (v < -1e6) v = -1e6;
    t = (long long)v;
    if ((double)t > v) t -= 1;             /* floor */
    f = (double)t;
    d = v - f;
    if (d > 0.5 || (d == 0.5 && (t %% 2) != 0)) f += 1;   /* round half to even */
    f += %s_INPUT_ZERO_POINT;
    if (f < -128) f = -128;
    if (f > 127) f = 127;
    q[i] = (int8_t)f;
  }
}

void %s_dequantize_output(const int8_t *q, float *x) {
  int i;
  for (i = 0; i < %s_OUTPUT_SIZE; i++) x[i] = (float)(%s_OUTPUT_SCALE * (double)((int32_t)q[i] - %s_OUTPUT_ZERO_POINT));
}
]], largest, largest, name, table.concat(calls, "\n"), final, out_size, name, upper, 1 / first.scale, upper, upper,
    name, upper, upper, upper)

  -- Write the files (creating the directory when missing).
  local probe = io.open(dir, "r")
  if probe then probe:close() else os.execute("mkdir -p " .. shell_quote(dir) .. " 2>/dev/null") end
  local files = {dir .. "/" .. name .. ".h", dir .. "/" .. name .. ".c"}
  for k, text in ipairs({table.concat(header, "\n"), table.concat(body, "\n")}) do
    local f, err = io.open(files[k], "w")
    if not f then error(string.format("[%s] cannot write %s: %s", op, files[k], tostring(err)), 2) end
    f:write(text)
    f:close()
  end
  budget.flash_bytes = budget.weight_bytes + budget.bias_bytes + budget.requant_bytes
  budget.ram_bytes = 2 * largest
  budget.files = files
  budget.input_size, budget.output_size = in_size, out_size
  if not options.quiet then
    print(string.format("[deploy.export_c] %s: flash %d bytes (weights %d, biases %d, requant %d), RAM %d bytes (2 x %d activation arena)",
      files[2], budget.flash_bytes, budget.weight_bytes, budget.bias_bytes, budget.requant_bytes, budget.ram_bytes, largest))
  end
  return budget
end

return M
