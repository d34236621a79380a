-- plot: PNG charts from tensors or Lua tables (global `plot`). Every function takes the output
-- path first and an options table last ({title=, xlabel=, ylabel=, width=, height=}).
--
--   plot.line("loss.png", {train = losses, val = val_losses}, {title = "Loss", logy = true})
--   plot.line("acc.png", accuracy)                           -- one series, x = 1..n
--   plot.scatter("points.png", x, y, {classes = labels, class_names = {"pass", "fail"}})
--   plot.histogram("vth.png", values, {bins = 40})
--   plot.bar("yield.png", {"A", "B"}, {0.91, 0.87})
--   plot.heatmap("confusion.png", matrix, {row_labels = names, col_labels = names, cell_labels = true})
--   plot.images("wafers.png", maps, {titles = names, columns = 8})   -- (N,H,W) or (N,C,H,W)
--   plot.wafer_maps("wm.png", wm.maps, {labels = wm.labels, class_names = wm.classes})  -- see plot_domain.lua
--   plot.boxes("dies.png", im.images, im.boxes, {class_names = im.classes})
local plot = {}
local internal = plot_internal

local function series_list(data)
  if torch.is_tensor(data) or (type(data) == "table" and type(data[1]) == "number") then
    return {{name = "", y = data}}
  end
  if type(data) ~= "table" then error("[plot.line] expected a tensor, a table of numbers or of series; got " .. type(data), 3) end
  if type(data[1]) == "table" and not torch.is_tensor(data[1]) then return data end
  -- {name = values, ...}: one series per key, sorted for a stable legend.
  local names = {}
  for k in pairs(data) do names[#names + 1] = k end
  table.sort(names, function(a, b) return tostring(a) < tostring(b) end)
  local out = {}
  for _, k in ipairs(names) do
    local v = data[k]
    if type(v) == "table" and (v.y or v.x) then out[#out + 1] = {name = tostring(k), x = v.x, y = v.y}
    else out[#out + 1] = {name = tostring(k), y = v} end
  end
  return out
end

local function x_values(series)
  for _, s in ipairs(series) do
    if s.x == nil then
      local n = torch.is_tensor(s.y) and s.y:numel() or #s.y
      local xs = {}
      for i = 1, n do xs[i] = i end
      s.x = xs
    end
  end
  return series
end

function plot.line(path, data, options)
  internal.line(path, x_values(series_list(data)), options or {})
  return path
end

function plot.scatter(path, x, y, options)
  internal.scatter(path, x, y, options or {})
  return path
end

function plot.histogram(path, values, options)
  internal.histogram(path, values, options or {})
  return path
end

function plot.bar(path, labels, values, options)
  internal.bar(path, labels, values, options or {})
  return path
end

function plot.heatmap(path, matrix, options)
  if not torch.is_tensor(matrix) then matrix = torch.tensor(matrix, {dtype = "float64"}) end
  internal.heatmap(path, matrix, options or {})
  return path
end

function plot.images(path, images, options)
  internal.images(path, images, options or {})
  return path
end

require("lumen.plot_domain")(plot)

-- `?plot.name` help in the REPL.
local docs = require "lumen.help"
docs["plot.line"] = "plot.line(path, series, {title=, xlabel=, ylabel=, logy=}) -> path; series: a list/tensor or {name = values, ...}"
docs["plot.scatter"] = "plot.scatter(path, x, y, {classes=, class_names=, title=}) -> path"
docs["plot.histogram"] = "plot.histogram(path, values, {bins=40, title=}) -> path"
docs["plot.bar"] = "plot.bar(path, labels, values, {title=}) -> path"
docs["plot.heatmap"] = "plot.heatmap(path, matrix, {row_labels=, col_labels=, cell_labels=true}) -> path (e.g. a confusion matrix)"
docs["plot.images"] = "plot.images(path, images, {titles=, columns=}) -> path; images (N,H,W) or (N,C,H,W), C = 1 or 3"
docs["plot.wafer_maps"] = "plot.wafer_maps(path, maps, {labels=, class_names=, predictions=, cols=, title=}) -> path\n  grid of wafer maps (off-wafer / pass / fail colours) captioned by class; wrong predictions in red\n  local wm = data.wafer_maps{n = 18, seed = 1}; plot.wafer_maps(\"wm.png\", wm.maps, {labels = wm.labels, class_names = wm.classes})"
docs["plot.boxes"] = "plot.boxes(path, images, boxes, {labels=, scores=, class_names=, cols=}) -> path\n  images with class-coloured boxes ({x1,y1,x2,y2,label=} tables or (K,4) tensors per image)\n  local im = data.die_images{n = 6, seed = 1}; plot.boxes(\"dies.png\", im.images, im.boxes, {class_names = im.classes})"

return plot
