-- nn.Upsample({size = | scale_factor =, mode = "nearest", align_corners = nil}): resizes
-- (N, C, H, W) input (mode "nearest", "bilinear" or "area") or (N, C, L) input ("nearest",
-- "linear", "area") to size or by scale_factor (a number or {h, w}).
--   nn.Upsample({scale_factor = 2, mode = "bilinear"})     (N,C,8,8) -> (N,C,16,16)
local nn = require "lumen.nn"
local options = require "lumen.nn.functional.options"
local tuple_string = require("lumen.nn.layers._ConvNd").tuple_string

local Upsample = nn.Module:extend("Upsample")

function Upsample:init(opts)
  local o = options.read("Upsample", opts, {size = options.NONE, scale_factor = options.NONE, mode = "nearest",
    align_corners = options.NONE})
  if (o.size == nil) == (o.scale_factor == nil) then
    error("[Upsample] expected exactly one of size and scale_factor", 3)
  end
  self.size, self.scale_factor, self.mode, self.align_corners = o.size, o.scale_factor, o.mode, o.align_corners
end

function Upsample:forward(x)
  return nn.functional.interpolate(x, {size = self.size, scale_factor = self.scale_factor, mode = self.mode,
    align_corners = self.align_corners})
end

function Upsample:extra_repr()
  local s = self.size and "size=" .. tuple_string(self.size) or "scale_factor=" .. tuple_string(self.scale_factor)
  s = s .. ", mode='" .. self.mode .. "'"
  if self.align_corners ~= nil then s = s .. ", align_corners=" .. tostring(self.align_corners) end
  return s
end

return Upsample
