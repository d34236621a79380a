-- lumen.data.standardizer: per-column standardization (part of the `data` library; see lumen/data/init.lua).
local data = require "lumen.data.namespace"
local util = require "lumen.data.util"
local is_tensor = torch.is_tensor

--- Per-column standardization (sklearn's StandardScaler: population std; a column whose std is
--- below `eps` (default 1e-12) is divided by 1 instead):
---   local sc = data.Standardizer():fit(x_train)
---   local z = sc:transform(x_test); local back = sc:inverse_transform(z)
--- Columns are the last dim of a 2-D input (rows are samples); a 1-D input is one column.
--- `sc.mean`, `sc.std` hold the fitted tensors; state_dict()/load_state_dict() save them.
local Standardizer = {}
Standardizer.__index = Standardizer
Standardizer.__name = "Standardizer"
data.Standardizer = Standardizer

setmetatable(Standardizer, {__call = function(_, options)
  options = options or {}
  return setmetatable({eps = options.eps or 1e-12}, Standardizer)
end})

local function check_input(self, op, x, fitted)
  if not is_tensor(x) then error(string.format("[Standardizer:%s] expected a tensor; got %s", op, type(x)), 3) end
  if x:dim() < 1 or x:dim() > 2 then
    error(string.format("[Standardizer:%s] expected a 1-D or 2-D tensor (rows of samples); got %d dims", op, x:dim()), 3)
  end
  if fitted then
    if self.mean == nil then error(string.format("[Standardizer:%s] call fit(x) first", op), 3) end
    local cols = x:dim() == 2 and x:size(2) or 1
    if x:dim() ~= self.dims or (x:dim() == 2 and cols ~= self.mean:size(1)) then
      error(string.format("[Standardizer:%s] fitted on %s; got %d-D input with %d columns", op,
        self.dims == 2 and (self.mean:size(1) .. " columns") or "a 1-D tensor", x:dim(), cols), 3)
    end
  end
end

function Standardizer:fit(x)
  check_input(self, "fit", x, false)
  if x:size(1) == 0 then error("[Standardizer:fit] cannot fit on zero rows", 2) end
  local xf = x.dtype == "float64" and x or x:float()
  xf = xf:detach()
  local mean = xf:mean(1)
  local std = ((xf - mean) ^ 2):mean(1):sqrt()
  self.mean = mean
  self.std = torch.where(std:lt(self.eps), torch.ones_like(std), std)
  self.dims = x:dim()
  return self
end

function Standardizer:transform(x)
  check_input(self, "transform", x, true)
  local xf = (x.dtype == "float64" or x.dtype == "float32") and x or x:float()
  return (xf - self.mean) / self.std
end

function Standardizer:inverse_transform(z)
  check_input(self, "inverse_transform", z, true)
  return z * self.std + self.mean
end

function Standardizer:fit_transform(x) return self:fit(x):transform(x) end

function Standardizer:state_dict() return {mean = self.mean, std = self.std} end

function Standardizer:load_state_dict(sd)
  if type(sd) ~= "table" or not is_tensor(sd.mean) or not is_tensor(sd.std) then
    error("[Standardizer:load_state_dict] expected {mean = tensor, std = tensor}", 2)
  end
  self.mean, self.std = sd.mean, sd.std
  self.dims = self.dims or 2
  return self
end

function Standardizer:__tostring()
  if not self.mean then return "Standardizer(not fitted)" end
  return string.format("Standardizer(%d columns)", self.mean:numel())
end
