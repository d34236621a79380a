-- deploy.distill: knowledge distillation (Hinton, Vinyals & Dean 2015).
--
--   deploy.distill.loss(student_logits, teacher_logits, targets, {T = 4, alpha = 0.7})
--     = alpha * T^2 * KL(softmax(teacher/T) || softmax(student/T)) + (1 - alpha) * CE(student, targets)
--     logits (N, C); targets (N) class labels from 1 (nil: the distillation term alone, alpha = 1).
--     KL is averaged over the batch ("batchmean"); T^2 keeps its gradients on the scale of CE's.
--     The teacher's logits are treated as constants (detached).
--   deploy.distill.fit(student, teacher, loader, {epochs = 1, optimizer =, lr = 1e-3, T = 4, alpha = 0.7})
--     trains `student` on batches (x, y) of `loader` (loader:iter()) against the frozen teacher
--     (eval mode, no gradients); the optimizer defaults to Adam(student:parameters(), {lr}).
--     Returns the mean loss of each epoch.
local F = nn.functional

local distill = {}

local function read(opts)
  opts = opts or {}
  local T, alpha = opts.T or 4, opts.alpha or 0.7
  if type(T) ~= "number" or T <= 0 then error("[distill] T must be a positive number; got " .. tostring(T), 3) end
  if type(alpha) ~= "number" or alpha < 0 or alpha > 1 then
    error("[distill] alpha must be in [0, 1]; got " .. tostring(alpha), 3)
  end
  return T, alpha
end

function distill.loss(student, teacher, targets, opts)
  local T, alpha = read(opts)
  if not torch.is_tensor(student) or not torch.is_tensor(teacher) then
    error("[distill] expected student and teacher logits as tensors", 2)
  end
  if student:dim() ~= 2 or teacher:dim() ~= 2 or student:size(1) ~= teacher:size(1) or student:size(2) ~= teacher:size(2) then
    error(string.format("[distill] student and teacher logits must both be (N, C); got (%s) and (%s)",
      table.concat(student:size(), ","), table.concat(teacher:size(), ",")), 2)
  end
  local log_p_student = F.log_softmax(student / T, 2)
  local log_p_teacher = F.log_softmax(teacher:detach() / T, 2)
  local kl = (log_p_teacher:exp() * (log_p_teacher - log_p_student)):sum() / student:size(1)
  if targets == nil then return kl * (T * T) end
  local soft = kl * (alpha * T * T)
  if alpha == 1 then return soft end
  return soft + F.cross_entropy(student, targets) * (1 - alpha)
end

function distill.fit(student, teacher, loader, opts)
  if not nn.is_module(student) or not nn.is_module(teacher) then error("[distill] fit expects student and teacher modules", 2) end
  if type(loader) ~= "table" or type(loader.iter) ~= "function" then
    error("[distill] fit expects a data loader (with :iter()); got " .. type(loader), 2)
  end
  opts = opts or {}
  local T, alpha = read(opts)
  local epochs = opts.epochs or 1
  local optimizer = opts.optimizer or optim.Adam(student:parameters(), {lr = opts.lr or 1e-3})
  local teacher_mode = teacher.training
  teacher:eval()
  student:train()
  local history = {}
  for epoch = 1, epochs do
    local total, batches = 0, 0
    for x, y in loader:iter() do
      local teacher_logits = torch.no_grad(function() return teacher(x) end)
      local loss = distill.loss(student(x), teacher_logits, y, {T = T, alpha = alpha})
      optimizer:zero_grad()
      loss:backward()
      optimizer:step()
      total, batches = total + loss:item(), batches + 1
    end
    history[epoch] = batches > 0 and total / batches or 0
  end
  teacher:train(teacher_mode)
  return history
end

return distill
