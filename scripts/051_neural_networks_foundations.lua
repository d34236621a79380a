-- 051 Neural network foundations: backpropagation written by hand.
--
-- What it teaches: the perceptron and its learning rule; a multi-layer perceptron (MLP) whose
-- forward AND backward passes are written by hand with tensor ops (explicit matmuls, activation
-- derivatives, the softmax-cross-entropy gradient; no autograd); ReLU/sigmoid/tanh and their
-- derivatives; MSE/BCE/CE losses; a float64 gradient check (hand backprop = autograd = finite
-- differences); SGD vs momentum vs Adam written by hand; weight initialization (naive, Xavier,
-- He) in a deep net and what vanishing/exploding activations and gradients look like.
--
-- Domain application (post-silicon validation): parametric test data of devices (Vth, Idsat,
-- Ioff, Rc, Fmax, Iddq, power, temperature) from `data.parametric`:
--   * a power screen (pass/fail) that is linearly separable, learned by a perceptron;
--   * device binning: predict the hard bin (PASS, CONTINUITY, LEAKAGE, DC_PARAM, SPEED,
--     POWER_THERMAL, FUNCTIONAL) from the measurements with the hand-written MLP;
--   * test-time regression: predict each device's test time (the flow stops at the first failing
--     test, so the time depends non-linearly on the measurements), hand MLP vs library nn.
--
-- Run:   lumen scripts/051_neural_networks_foundations.lua [--quick] [--seed N] [--out DIR]
-- Time:  full about 1-2 min, --quick about 10-20 s (2 cores).

local nb = notebook.start{
  id = "051", title = "Neural network foundations",
  key_metrics = {"binning_accuracy", "gradcheck_rel_error", "test_time_r2"},
  config = {
    devices = 15000,          -- parametric devices generated (train + test)
    test_fraction = 0.3,      -- held-out share of the devices
    sites = 4,                -- fabs mixed into the data (non-IID; about 20% of the devices fail)
    hidden = {64, 64},        -- hidden widths of the hand-written MLP (binning and regression)
    batch_size = 128,         -- minibatch size
    epochs = 40,              -- binning epochs per optimizer
    lr_sgd = 0.1,             -- plain SGD learning rate
    lr_momentum = 0.05,       -- SGD with momentum 0.9 (effective step about lr / (1 - 0.9))
    lr_adam = 3e-3,           -- Adam learning rate (betas 0.9, 0.999)
    regression_epochs = 40,   -- test-time regression epochs
    perceptron_devices = 3000, -- devices used by the perceptron
    guard_band = 5,           -- mW around the power limit left out (retested devices): the margin
    perceptron_epochs = 200,  -- cap on perceptron passes over the data
    deep_layers = 16,         -- linear layers in the initialization study (>= 10)
    deep_width = 128,         -- hidden width of that deep net
    deep_batch = 256,         -- batch used to measure activations and gradients
    deep_train_steps = 60,    -- SGD steps trained per initialization (shows which inits learn)
    gradcheck_batch = 16,     -- batch of the float64 gradient check
  },
  quick = {devices = 6000, epochs = 15, regression_epochs = 15, perceptron_devices = 1500,
           deep_width = 64, deep_train_steps = 25},
}
local config = nb.config
local F = nn.functional
local f64 = {dtype = "float64"}

-- %%
-- ## 1. Activation functions and their derivatives
--
-- Written from primitives, then checked against the library's versions (values) and against
-- autograd (derivatives). The derivative is what backprop multiplies by at every layer:
--   relu'(z) = 1[z > 0]            sigmoid'(z) = s (1 - s)          tanh'(z) = 1 - t^2
-- Each `df` takes the pre-activation z and the activation a = f(z) (sigmoid and tanh reuse a).
nb:section("1. Activation functions and their derivatives")

local function sigmoid(z) return 1 / (1 + (-z):exp()) end
local activations = {
  relu = {
    f = function(z) return z:clamp(0) end,
    df = function(z, _) return z:gt(0):to(z.dtype) end,
  },
  sigmoid = {
    f = sigmoid,
    df = function(_, a) return a * (1 - a) end,
  },
  tanh = {
    f = function(z) return 2 * sigmoid(2 * z) - 1 end,   -- tanh(z) = 2 sigmoid(2z) - 1
    df = function(_, a) return 1 - a * a end,
  },
}
local activation_names = {"relu", "sigmoid", "tanh"}
local library_activation = {relu = torch.relu, sigmoid = torch.sigmoid, tanh = torch.tanh}

local grid = torch.linspace(-5, 5, 201, f64)
local value_error, derivative_error = 0, 0
local curves = {}
for _, name in ipairs(activation_names) do
  local act = activations[name]
  local z = grid:clone():requires_grad_()
  local library = library_activation[name](z)
  library:sum():backward()                       -- d/dz of sum f(z) = f'(z) elementwise
  local a = act.f(grid)
  local da = act.df(grid, a)
  value_error = math.max(value_error, (a - library:detach()):abs():max():item())
  derivative_error = math.max(derivative_error, (da - z.grad):abs():max():item())
  curves[#curves + 1] = {name = name, x = grid, y = a}
  curves[#curves + 1] = {name = name .. "'", x = grid, y = da}
end
nb:metric("activation_value_max_error", value_error, "%.2e")
nb:metric("activation_derivative_max_error", derivative_error, "%.2e")
nb:check("hand activations equal torch.relu/sigmoid/tanh", value_error < 1e-12, string.format("%.1e", value_error))
nb:check("hand derivatives equal autograd", derivative_error < 1e-12, string.format("%.1e", derivative_error))
plot.line(nb:figure("activations.png", "ReLU, sigmoid, tanh and their derivatives (')"), curves,
  {title = "Activation functions f(z) and derivatives f'(z)", xlabel = "z", ylabel = "value"})
-- Read the plot: sigmoid' never exceeds 0.25 and tanh' is ~0 for |z| > 3, so a deep stack of
-- saturated sigmoid/tanh units multiplies gradients by small numbers (vanishing gradients);
-- relu' is exactly 1 for active units, which is why ReLU nets train deep.

-- %%
-- ## 2. Losses and their gradients
--
-- For N samples (means over the batch, as PyTorch's default reduction):
--   MSE  L = mean((yhat - y)^2)                           dL/dyhat = 2 (yhat - y) / N
--   BCE  L = -mean(y log p + (1 - y) log(1 - p)), p = sigmoid(z)   dL/dz = (p - y) / N
--   CE   L = -mean(log softmax(z)[y])                     dL/dz = (softmax(z) - onehot(y)) / N
-- The last two are why sigmoid/softmax outputs pair with (B)CE: the gradient is simply
-- "predicted probability minus target". Softmax subtracts the row max first (exp overflow).
nb:section("2. Losses (MSE, BCE, CE) by hand vs nn.functional")

local function mse_loss(yhat, y)
  local diff = yhat - y
  return (diff * diff):mean(), 2 * diff / diff:numel()
end

local function bce_with_logits(z, y)              -- z, y: (N); y in {0, 1}
  local p = sigmoid(z)
  local loss = -(y * p:log() + (1 - y) * (1 - p):log()):mean()
  return loss, (p - y) / z:numel()
end

local function softmax(z)                          -- z: (N, C) -> probabilities (N, C)
  local e = (z - z:amax(2, true)):exp()
  return e / e:sum(2, true)
end

local function softmax_cross_entropy(z, y)        -- z: (N, C) logits, y: (N) int64 classes 1..C
  local n, classes = z:size(1), z:size(2)
  local p = softmax(z)
  local onehot = torch.zeros(n, classes, {dtype = z.dtype}):scatter(2, y:unsqueeze(2), 1)
  local loss = -((p * onehot):sum(2):log()):mean()
  return loss, (p - onehot) / n
end

do
  local n, classes = 32, 5
  local z = torch.randn(n, classes, f64):requires_grad_()
  local y = torch.randint(classes, {n}) + 1
  local zb = torch.randn(n, f64):requires_grad_()
  local yb = torch.randint(2, {n}):double()
  local yhat = torch.randn(n, f64):requires_grad_()
  local target = torch.randn(n, f64)

  local rows, worst = {}, 0
  local function compare(name, hand_loss, hand_grad, library_loss, input)
    library_loss:backward()
    local dl = math.abs(hand_loss:item() - library_loss:item())
    local dg = (hand_grad - input.grad):abs():max():item()
    worst = math.max(worst, dl, dg)
    rows[#rows + 1] = {name, hand_loss:item(), library_loss:item(), string.format("%.1e", dg)}
  end
  local l, g = mse_loss(yhat:detach(), target)
  compare("MSE", l, g, F.mse_loss(yhat, target), yhat)
  l, g = bce_with_logits(zb:detach(), yb)
  compare("BCE", l, g, F.binary_cross_entropy(zb:sigmoid(), yb), zb)
  l, g = softmax_cross_entropy(z:detach(), y)
  compare("CE", l, g, F.cross_entropy(z, y), z)
  nb:table("losses: hand vs library (random inputs)", {"loss", "hand", "library", "max |grad diff|"}, rows)
  nb:check("hand MSE/BCE/CE and their gradients equal the library's", worst < 1e-12, string.format("%.1e", worst))
end

-- %%
-- ## 3. Data: parametric test measurements
--
-- `data.parametric{n, seed, sites}` gives x (n, 8) measurements, hard_bin (n) in 1..7, the spec
-- limits, and each device's test_time (s). Devices from 4 fabs are mixed (each fab has its own
-- corner mix and offsets), which makes about 20% of the devices fail.
-- Features: Ioff and Iddq are log-normal (they span decades), so we take their log; then every
-- feature is standardized with the TRAINING mean and std. Without this, Fmax (~2400 MHz) and Vth
-- (~0.45 V) differ by 4 orders of magnitude and a single learning rate cannot suit both.
nb:section("3. Data: parametric measurements, features, split")

local parametric = data.parametric{n = config.devices, seed = 1000 + nb.seed, sites = config.sites}
local raw = parametric.x:double()                  -- (n, 8) float64
local columns = parametric.columns
local n_devices = raw:size(1)
local n_test = math.floor(n_devices * config.test_fraction)
local n_train = n_devices - n_test
local log_columns = {Ioff = true, Iddq = true}

local feature_columns = {}
for j, name in ipairs(columns) do
  local c = raw[{{}, j}]
  if log_columns[name] then c = c:clamp(1e-3):log() end
  feature_columns[j] = c
end
local features = torch.stack(feature_columns, 2)  -- (n, 8)
local train_rows = {{1, n_train}}
local test_rows = {{n_train + 1, n_devices}}
local mean, std = features[train_rows]:mean(1), features[train_rows]:std(1)
local x_train = (features[train_rows] - mean) / std -- (n_train, 8)
local x_test = (features[test_rows] - mean) / std   -- (n_test, 8)
local bins = parametric.hard_bin                   -- (n) int64, 1..7
local bin_names = parametric.hard_bin_names
local n_classes = #bin_names
local y_train, y_test = bins[train_rows], bins[test_rows]

local bin_counts = {}
for _, b in ipairs(y_test:totable()) do bin_counts[b] = (bin_counts[b] or 0) + 1 end
local count_rows = {}
for k, name in ipairs(bin_names) do count_rows[k] = {k, name, bin_counts[k] or 0} end
nb:table("test-set hard bins", {"bin", "name", "devices"}, count_rows)
local majority_baseline = (bin_counts[1] or 0) / n_test
nb:metric("devices_train", n_train)
nb:metric("devices_test", n_test)
nb:metric("yield", parametric.yield)
nb:metric("binning_baseline_accuracy", majority_baseline)  -- always predicting PASS

-- %%
-- ## 4. The perceptron on a linearly separable pass/fail screen
--
-- Device power is P = 0.25 Fmax + Iddq (dynamic + leakage), and the power test fails devices
-- with P > 750 mW. In the (Fmax, Iddq) plane that screen is a straight line, Iddq = 750 - 0.25
-- Fmax, so pass/fail is linearly separable there. Devices within +-guard_band mW of the limit
-- are left out (in a real flow they go to retest): that gives the margin under which the
-- perceptron convergence theorem guarantees a finite number of mistakes.
--
-- Rule (Rosenblatt): predict sign(w.x + b); on a mistake, w <- w + lr y x, b <- b + lr y.
-- With 2 inputs, plain Lua numbers are clearer than tensors.
nb:section("4. Perceptron: the power screen")

do
  local fmax_col, iddq_col, power_col = 5, 6, 7
  local limit = parametric.high[power_col]       -- 750 mW
  local function screen_set(first, last)
    local pts, labels = {}, {}
    local rows = raw[{{first, last}}]:totable()
    for _, r in ipairs(rows) do
      if math.abs(r[power_col] - limit) >= config.guard_band then
        pts[#pts + 1] = {r[fmax_col], r[iddq_col]}
        labels[#labels + 1] = r[power_col] <= limit and 1 or -1
      end
    end
    return pts, labels
  end
  local pts, labels = screen_set(1, math.min(config.perceptron_devices, n_train))
  local test_pts, test_labels = screen_set(n_train + 1, n_devices)
  -- standardize with the training points' statistics
  local mu, sd = {0, 0}, {0, 0}
  for _, p in ipairs(pts) do for j = 1, 2 do mu[j] = mu[j] + p[j] / #pts end end
  for _, p in ipairs(pts) do for j = 1, 2 do sd[j] = sd[j] + (p[j] - mu[j]) ^ 2 / (#pts - 1) end end
  for j = 1, 2 do sd[j] = math.sqrt(sd[j]) end
  local function standardized(p) return (p[1] - mu[1]) / sd[1], (p[2] - mu[2]) / sd[2] end

  local w1, w2, b, lr = 0.0, 0.0, 0.0, 1.0
  local mistakes_per_epoch, converged_at = {}, nil
  for epoch = 1, config.perceptron_epochs do
    local order = torch.randperm(#pts):totable()
    local mistakes = 0
    for _, i in ipairs(order) do
      local u, v = standardized(pts[i])
      local y = labels[i]
      if y * (w1 * u + w2 * v + b) <= 0 then       -- mistake (or on the boundary): update
        w1, w2, b = w1 + lr * y * u, w2 + lr * y * v, b + lr * y
        mistakes = mistakes + 1
      end
    end
    mistakes_per_epoch[epoch] = mistakes
    if mistakes == 0 then converged_at = epoch; break end
  end
  local correct = 0
  for i, p in ipairs(test_pts) do
    local u, v = standardized(p)
    if (w1 * u + w2 * v + b > 0 and 1 or -1) == test_labels[i] then correct = correct + 1 end
  end
  -- Boundary in raw units: w1 (F - muF)/sdF + w2 (I - muI)/sdI + b = 0 -> slope dI/dF.
  local slope = -(w1 / sd[1]) / (w2 / sd[2])
  local fails = 0
  for _, y in ipairs(labels) do if y < 0 then fails = fails + 1 end end
  print(string.format("perceptron: %d training devices (%d fail the power screen), mistakes per epoch: %s",
    #pts, fails, table.concat(mistakes_per_epoch, " ")))
  nb:metric("perceptron_epochs_to_converge", converged_at or -1)
  nb:metric("perceptron_test_accuracy", correct / #test_pts)
  local intercept = mu[2] - sd[2] / w2 * (b - w1 * mu[1] / sd[1])
  nb:metric("perceptron_boundary_slope", slope)       -- the physics: -0.25 uA of Iddq per MHz of Fmax
  nb:metric("perceptron_boundary_intercept", intercept) -- and 750 at Fmax = 0
  nb:check("perceptron converges (a pass with no mistakes) on the separable screen", converged_at ~= nil,
    converged_at and ("epoch " .. converged_at) or "no convergence")
  nb:check("perceptron test accuracy >= 0.99", correct / #test_pts >= 0.99, string.format("%.4f", correct / #test_pts))
  nb:check("learned boundary slope within 10% of the true -0.25", math.abs(slope + 0.25) < 0.025,
    string.format("%.4f", slope))

  local xs, ys, cls = {}, {}, {}
  for i, p in ipairs(pts) do xs[i], ys[i], cls[i] = p[1], p[2], labels[i] > 0 and 1 or 2 end
  plot.scatter(nb:figure("perceptron_power_screen.png", "Power screen in the (Fmax, Iddq) plane: linearly separable"),
    xs, ys, {classes = cls, class_names = {"pass (P <= 750 mW)", "fail"}, title = string.format(
      "Power screen: perceptron boundary Iddq = %.0f %+.3f Fmax (true 750 - 0.25 Fmax)", intercept, slope),
      xlabel = "Fmax (MHz)", ylabel = "Iddq (uA)"})
end
