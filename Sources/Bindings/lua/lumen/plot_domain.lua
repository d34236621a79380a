-- plot.wafer_maps and plot.boxes: figures of the domain data (loaded by lumen.plot).
--
--   local wm = data.wafer_maps{n = 18, seed = 1}
--   plot.wafer_maps("wafers.png", wm.maps, {labels = wm.labels, class_names = wm.classes, cols = 6})
--   plot.wafer_maps("errors.png", maps, {labels = truth, predictions = predicted, class_names = wm.classes})
--
--   local im = data.die_images{n = 8, seed = 1}
--   plot.boxes("dies.png", im.images, im.boxes, {class_names = im.classes})
--   plot.boxes("pred.png", im.images, predicted_boxes, {labels = predicted_labels, scores = predicted_scores,
--              class_names = im.classes})
return function(plot)
  local internal = plot_internal

  local function shape_of(t) return "(" .. table.concat(t.shape, ",") .. ")" end

  -- Element `i` (1-based) of a tensor or Lua list, as a number.
  local function element(list, i)
    if torch.is_tensor(list) then return list[i] end
    return list[i]
  end

  local function length(list, op, what)
    if torch.is_tensor(list) then
      if list:dim() ~= 1 then error(string.format("[%s] %s: expected a 1-d tensor or a list; got shape %s", op, what, shape_of(list)), 4) end
      return list.shape[1]
    end
    if type(list) ~= "table" then error(string.format("[%s] %s: expected a tensor or a list; got %s", op, what, type(list)), 4) end
    return #list
  end

  -- Name of class `k` (1-based) from `names`, or "class k" when no names are given.
  local function class_name(names, k, op, what)
    if math.type(k) ~= "integer" and not (type(k) == "number" and k == math.floor(k)) then
      error(string.format("[%s] %s: expected an integer class; got %s", op, what, tostring(k)), 4)
    end
    k = math.tointeger(k)
    if names == nil then return "class " .. k end
    if names[k] == nil then
      error(string.format("[%s] %s is %d; class_names has %d names (1..%d)", op, what, k, #names, #names), 4)
    end
    return tostring(names[k])
  end

  --- Wafer maps (N,1,S,S) or (N,S,S), floats 0/0.5/1 or codes 0/1/2, in a grid; each map's
  --- class name (labels[i] into class_names) as its caption. With `predictions`, captions of
  --- misclassified maps read "Donut->Loc" (true class -> predicted class) in red. Options: labels, class_names, predictions,
  --- titles (explicit captions), cols, title.
  function plot.wafer_maps(path, maps, options)
    local op = "plot.wafer_maps"
    options = options or {}
    if not torch.is_tensor(maps) then error("[plot.wafer_maps] maps: expected a tensor (N,1,S,S) or (N,S,S); got " .. type(maps), 2) end
    local n = maps.shape[1]
    local captions, highlighted = options.titles, nil
    if options.labels ~= nil then
      local count = length(options.labels, op, "labels")
      if count ~= n then
        error(string.format("[plot.wafer_maps] expected one label per map (maps of shape %s); got %d labels", shape_of(maps), count), 2)
      end
      local predictions = options.predictions
      captions, highlighted = {}, predictions ~= nil and {} or nil
      if predictions ~= nil and length(predictions, op, "predictions") ~= n then
        error(string.format("[plot.wafer_maps] expected one prediction per map (maps of shape %s); got %d predictions",
          shape_of(maps), length(predictions, op, "predictions")), 2)
      end
      for i = 1, n do
        local truth = element(options.labels, i)
        captions[i] = class_name(options.class_names, truth, op, "labels[" .. i .. "]")
        if predictions ~= nil then
          local guess = element(predictions, i)
          local name = class_name(options.class_names, guess, op, "predictions[" .. i .. "]")
          highlighted[i] = guess ~= truth
          if guess ~= truth then captions[i] = captions[i] .. "->" .. name end
        end
      end
    elseif options.predictions ~= nil then
      error("[plot.wafer_maps] predictions need labels (the true classes) too", 2)
    end
    internal.wafer_maps(path, maps, captions, highlighted, {columns = options.cols or options.columns, title = options.title})
    return path
  end

  -- A box as {x1, y1, x2, y2} numbers from a table {x1, y1, x2, y2, label=, score=} or a tensor row.
  local function corners(box, op, where)
    if torch.is_tensor(box) then
      if box:numel() < 4 then error(string.format("[%s] %s: expected 4 corners; got shape %s", op, where, shape_of(box)), 5) end
      return box[1], box[2], box[3], box[4]
    end
    if type(box) ~= "table" or type(box[1]) ~= "number" or type(box[2]) ~= "number"
       or type(box[3]) ~= "number" or type(box[4]) ~= "number" then
      error(string.format("[%s] %s: expected {x1, y1, x2, y2, label=} or a tensor of 4 numbers", op, where), 5)
    end
    return box[1], box[2], box[3], box[4]
  end

  --- Images (N,H,W) or (N,C,H,W) with their boxes drawn: boxes[i] lists image i's boxes, each
  --- {x1, y1, x2, y2, label=k, score=} (1-based inclusive pixel columns x and rows y, as
  --- data.die_images gives them) or a (K,4) tensor. Options: labels[i] / scores[i] (per-box lists
  --- or tensors for image i, overriding box.label / box.score), class_names, titles, cols, title,
  --- normalize (default true: each image stretched to its min..max).
  function plot.boxes(path, images, boxes, options)
    local op = "plot.boxes"
    options = options or {}
    if not torch.is_tensor(images) then error("[plot.boxes] images: expected a tensor (N,H,W) or (N,C,H,W); got " .. type(images), 2) end
    if images:dim() ~= 3 and images:dim() ~= 4 then
      error(string.format("[plot.boxes] expected images (N,H,W) or (N,C,H,W); got shape %s", shape_of(images)), 2)
    end
    local n, h, w = images.shape[1], images.shape[images:dim() - 1], images.shape[images:dim()]
    if type(boxes) ~= "table" or #boxes ~= n then
      error(string.format("[plot.boxes] expected one list of boxes per image (images of shape %s); got %s", shape_of(images),
        type(boxes) == "table" and (#boxes .. " lists") or type(boxes)), 2)
    end
    local names, rows, largest = options.class_names, {}, 1
    for i = 1, n do
      local list = boxes[i]
      local count
      if torch.is_tensor(list) then
        if not (list:dim() == 2 and list.shape[2] == 4) and list:numel() > 0 then
          error(string.format("[plot.boxes] boxes[%d]: expected a (K,4) tensor of x1, y1, x2, y2; got shape %s", i, shape_of(list)), 2)
        end
        count = list:numel() == 0 and 0 or list.shape[1]
      elseif type(list) == "table" then
        count = #list
      else
        error(string.format("[plot.boxes] boxes[%d]: expected a list of boxes or a (K,4) tensor; got %s", i, type(list)), 2)
      end
      local labels = options.labels and options.labels[i]
      local scores = options.scores and options.scores[i]
      for _, extra in ipairs({{labels, "labels"}, {scores, "scores"}}) do
        if extra[1] ~= nil and length(extra[1], op, extra[2] .. "[" .. i .. "]") ~= count then
          error(string.format("[plot.boxes] %s[%d] has %d values; image %d has %d boxes", extra[2], i,
            length(extra[1], op, extra[2]), i, count), 2)
        end
      end
      for k = 1, count do
        local where = string.format("image %d box %d", i, k)
        local box = list[k]
        local x1, y1, x2, y2 = corners(box, op, where)
        local label = labels and element(labels, k) or (type(box) == "table" and box.label) or 1
        local score = scores and element(scores, k) or (type(box) == "table" and box.score) or (0 / 0)
        if not (x1 <= x2 and y1 <= y2) then
          error(string.format("[plot.boxes] %s (%g,%g,%g,%g): expected x1 <= x2 and y1 <= y2", where, x1, y1, x2, y2), 2)
        end
        if x2 < 1 or y2 < 1 or x1 > w or y1 > h then
          error(string.format("[plot.boxes] %s (%g,%g,%g,%g) lies outside the %dx%d image (images of shape %s)", where,
            x1, y1, x2, y2, h, w, shape_of(images)), 2)
        end
        class_name(names, label, op, where .. " label")
        largest = math.max(largest, math.tointeger(label))
        for _, v in ipairs({i, x1, y1, x2, y2, label, score}) do rows[#rows + 1] = v end
      end
    end
    if names == nil then
      names = {}
      for k = 1, largest do names[k] = "class " .. k end
    end
    internal.boxes(path, images, rows, names, {titles = options.titles, columns = options.cols or options.columns,
      title = options.title, normalize = options.normalize})
    return path
  end
end
