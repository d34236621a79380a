-- plot.wafer_maps and plot.boxes: files of the expected size, and clear errors naming shapes.

local function png_size(path)
  local f = assert(io.open(path, "rb"))
  local bytes = f:read("a")
  f:close()
  assert_eq(bytes:sub(1, 8), "\137PNG\r\n\26\n", "PNG signature")
  return string.unpack(">I4", bytes, 17), string.unpack(">I4", bytes, 21), #bytes
end

local dir = os.tmpname()
os.remove(dir)
os.execute("mkdir -p " .. dir)

test("wafer map grids: one cell per map, grid width from cols, both encodings", function()
  local wm = data.wafer_maps{n = 9, size = 32, seed = 3}
  -- 32 dies scaled by 4 = 128 pixels per map, 10-pixel gaps: 3 columns -> 3 * 138 + 10.
  local w3, h3 = png_size(plot.wafer_maps(dir .. "/wm3.png", wm.maps, {labels = wm.labels, class_names = wm.classes,
    cols = 3, title = "WM-811K classes"}))
  assert_eq(w3, 424)
  local w9, h9 = png_size(plot.wafer_maps(dir .. "/wm9.png", wm.maps, {labels = wm.labels, class_names = wm.classes, cols = 9}))
  assert_eq(w9, 9 * 138 + 10)
  assert_true(h3 > h9 + 2 * 128, "three rows are taller than one")
  -- Integer codes (as_codes = true) draw the same picture as the 0 / 0.5 / 1 floats.
  local codes = data.wafer_maps{n = 9, size = 32, seed = 3, as_codes = true}
  local _, _, bytes_float = png_size(dir .. "/wm3.png")
  local _, _, bytes_codes = png_size(plot.wafer_maps(dir .. "/codes.png", codes.maps,
    {labels = codes.labels, class_names = codes.classes, cols = 3, title = "WM-811K classes"}))
  assert_eq(bytes_codes, bytes_float)
  -- Predictions: misclassified captions read "true->predicted" in red, so the figure changes.
  local wrong = wm.labels:clone()
  wrong[1] = wrong[1] % 9 + 1
  local _, _, bytes_pred = png_size(plot.wafer_maps(dir .. "/pred.png", wm.maps,
    {labels = wm.labels, predictions = wrong, class_names = wm.classes, cols = 3, title = "WM-811K classes"}))
  assert_true(bytes_pred ~= bytes_float, "a wrong prediction changes the figure")
  -- (N,S,S) maps without labels.
  png_size(plot.wafer_maps(dir .. "/plain.png", wm.maps:squeeze(2)))
end)

test("wafer map errors name the shapes and values", function()
  local wm = data.wafer_maps{n = 4, size = 26, seed = 1}
  assert_error(function() plot.wafer_maps(dir .. "/x.png", wm.maps, {labels = {1, 2}, class_names = wm.classes}) end,
    "expected one label per map (maps of shape (4,1,26,26)); got 2 labels")
  assert_error(function() plot.wafer_maps(dir .. "/x.png", wm.maps, {labels = {1, 2, 3, 12}, class_names = wm.classes}) end,
    "labels[4] is 12; class_names has 9 names")
  assert_error(function() plot.wafer_maps(dir .. "/x.png", torch.zeros(4, 3, 8, 8)) end,
    "expected wafer maps (N,H,W) or (N,C,H,W) with N >= 1 and C = 1; got shape (4,3,8,8)")
  assert_error(function() plot.wafer_maps(dir .. "/x.png", torch.full({1, 2, 2}, 0.3)) end,
    "map 1 has 0.3")
  assert_error(function() plot.wafer_maps(dir .. "/x.png", wm.maps, {predictions = wm.labels}) end, "need labels")
  assert_error(function() plot.wafer_maps(dir .. "/x.png", {1, 2}) end, "[plot.wafer_maps] maps: expected a tensor")
end)

test("boxes on die images: ground truth, predictions with scores, tensors of boxes", function()
  local im = data.die_images{n = 6, size = 64, seed = 2}
  -- 64 pixels scaled by 4 = 256 per image: 3 columns -> 3 * 266 + 10.
  local w, h = png_size(plot.boxes(dir .. "/dies.png", im.images, im.boxes, {class_names = im.classes, cols = 3,
    title = "Die defects"}))
  assert_eq(w, 3 * 266 + 10)
  assert_true(h > 2 * 256, "two rows of images")
  -- Predicted boxes as (K,4) tensors with separate labels and scores.
  local pred, labels, scores = {}, {}, {}
  for i = 1, 6 do
    local rows = {}
    for k, b in ipairs(im.boxes[i]) do rows[k] = {b[1] + 0.5, b[2], b[3], b[4] - 0.5} end
    pred[i] = #rows > 0 and torch.tensor(rows) or torch.zeros(0, 4)
    labels[i], scores[i] = im.labels[i], torch.rand(#rows)
  end
  png_size(plot.boxes(dir .. "/pred.png", im.images, pred, {labels = labels, scores = scores, class_names = im.classes}))
  -- No class names: classes are numbered.
  png_size(plot.boxes(dir .. "/plain.png", im.images:squeeze(2), im.boxes))
end)

test("box errors name the image, the box and the shapes", function()
  local im = data.die_images{n = 2, size = 32, seed = 1}
  local one = {{{2, 2, 5, 5, label = 1}}, {}}
  assert_error(function() plot.boxes(dir .. "/x.png", im.images, {{}}) end,
    "expected one list of boxes per image (images of shape (2,1,32,32)); got 1 lists")
  assert_error(function() plot.boxes(dir .. "/x.png", im.images, {{{5, 2, 3, 4}}, {}}) end,
    "image 1 box 1 (5,2,3,4): expected x1 <= x2 and y1 <= y2")
  assert_error(function() plot.boxes(dir .. "/x.png", im.images, {{}, {{40, 2, 45, 4}}}) end,
    "image 2 box 1 (40,2,45,4) lies outside the 32x32 image")
  assert_error(function() plot.boxes(dir .. "/x.png", im.images, {torch.zeros(2, 3), {}}) end,
    "boxes[1]: expected a (K,4) tensor of x1, y1, x2, y2; got shape (2,3)")
  assert_error(function() plot.boxes(dir .. "/x.png", im.images, one, {class_names = {"a"}, scores = {{0.5, 0.2}, {}}}) end,
    "scores[1] has 2 values; image 1 has 1 boxes")
  assert_error(function() plot.boxes(dir .. "/x.png", im.images, one, {class_names = {"a"}, labels = {{3}, {}}}) end,
    "image 1 box 1 label is 3; class_names has 1 names")
  assert_error(function() plot.boxes(dir .. "/x.png", torch.zeros(2, 5, 8, 8), {{}, {}}) end,
    "C = 1 or 3; got shape (2,5,8,8)")
  assert_error(function() plot.boxes(dir .. "/x.png", torch.zeros(8, 8), {}) end, "got shape (8,8)")
end)
