-- Writes the fixture of Tests/serve/test_serve.py and bench/serve_load.py into folder arg[1]:
--   wafer_cnn.safetensors  weights of wafer_cnn.lua after a short training run
--   expected.json          {maps = (40,1,32,32), logits = (40,9), class = (40)} computed here,
--                          in Lua, by the model itself (the server's answers are checked against it)
local json = require "lumen.json"
local out = assert(arg[1], "usage: lumen make_fixture.lua OUT_DIR")
local here = arg[0]:match("^(.*)/[^/]*$") or "."
torch.manual_seed(0)
local spec = dofile(here .. "/wafer_cnn.lua")
local net = spec.model

-- A few Adam steps on generated maps, so the served classes mean something.
local train = data.wafer_maps{n = 512, size = 32, seed = 1}
local opt = optim.Adam(net:parameters(), {lr = 3e-3})
for _ = 1, 3 do
  for i = 1, 512, 64 do
    local x, y = train.maps[{{i, i + 63}}], train.labels[{{i, i + 63}}]
    opt:zero_grad()
    nn.functional.cross_entropy(net(x), y):backward()
    opt:step()
  end
end
torch.save(out .. "/wafer_cnn.safetensors", net:state_dict())

-- Expected answers for maps the model has not seen, through the same pre/postprocess.
net:eval()
local test = data.wafer_maps{n = 40, size = 32, seed = 2}
local result = torch.no_grad(function() return spec.postprocess(net(spec.preprocess(test.maps))) end)
local correct = result.class:eq(test.labels):sum():item()
local f = assert(io.open(out .. "/expected.json", "w"))
f:write(json.encode({maps = test.maps, logits = result.logits, class = result.class, labels = test.labels}))
f:close()
print(string.format("fixture written to %s (test accuracy %d/40)", out, correct))
