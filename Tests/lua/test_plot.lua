-- plot writes valid PNG files (signature, IHDR size) and rejects bad input clearly.

local function png_size(path)
  local f = assert(io.open(path, "rb"))
  local bytes = f:read("a")
  f:close()
  assert_eq(bytes:sub(1, 8), "\137PNG\r\n\26\n", "PNG signature")
  assert_eq(bytes:sub(13, 16), "IHDR")
  return string.unpack(">I4", bytes, 17), string.unpack(">I4", bytes, 21), #bytes
end

local dir = os.tmpname()
os.remove(dir)
os.execute("mkdir -p " .. dir)

test("line plots from tensors, tables and named series", function()
  local w, h = png_size(plot.line(dir .. "/one.png", torch.linspace(1, 0, 50)))
  assert_eq(w, 900); assert_eq(h, 600)
  png_size(plot.line(dir .. "/two.png", {train = {3, 2, 1.5, 1.2}, val = torch.tensor({3.2, 2.5, 2, 1.9})},
    {title = "Loss", xlabel = "epoch", ylabel = "loss", logy = true}))
  png_size(plot.line(dir .. "/xy.png", {{name = "sin", x = torch.linspace(0, 6, 40), y = torch.linspace(0, 6, 40):sin()}}))
end)

test("scatter, histogram, bar, heatmap and image grids", function()
  torch.manual_seed(0)
  local x, y = torch.randn(200), torch.randn(200)
  png_size(plot.scatter(dir .. "/scatter.png", x, y, {classes = x:gt(0):long() + 1, class_names = {"neg", "pos"}}))
  png_size(plot.histogram(dir .. "/hist.png", torch.randn(1000), {bins = 25, title = "N(0,1)"}))
  png_size(plot.bar(dir .. "/bar.png", {"lot A", "lot B", "lot C"}, {0.91, 0.87, 0.95}, {title = "Yield"}))
  png_size(plot.heatmap(dir .. "/heat.png", {{5, 1}, {2, 7}}, {row_labels = {"a", "b"}, col_labels = {"a", "b"}, cell_labels = true}))
  png_size(plot.images(dir .. "/grid.png", torch.rand(6, 1, 16, 16), {titles = {"1", "2", "3", "4", "5", "6"}, columns = 3}))
  png_size(plot.images(dir .. "/grid3.png", torch.rand(2, 8, 8)))
end)

test("plot errors name the function and the problem", function()
  assert_error(function() plot.line(dir .. "/x.png", "nope") end, "[plot.line]")
  assert_error(function() plot.scatter(dir .. "/x.png", {1, 2}, {1}) end, "[plot.scatter]")
  assert_error(function() plot.heatmap(dir .. "/x.png", torch.zeros(2, 2, 2)) end, "expected a 2-d matrix")
  assert_error(function() plot.images(dir .. "/x.png", torch.zeros(2, 5, 4, 4)) end, "C = 1 or 3")
  assert_error(function() plot.line("/nonexistent-dir/x.png", {1, 2}) end, "[plot.line]")
  assert_error(function() plot.heatmap(dir .. "/x.png", {{1}}, {colormap = "rainbow"}) end, "unknown colormap")
end)
