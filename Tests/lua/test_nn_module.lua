-- nn.Module: classes, registration, traversal, modes, state dicts and printing.

local function names_of(pairs_list)
  local out = {}
  for i, pair in ipairs(pairs_list) do out[i] = pair[1] end
  return table.concat(out, " ")
end

local Net = nn.Module:extend("TestNet")
function Net:init(d, hidden)
  self.fc1 = nn.Linear(d, hidden or 8)
  self.act = nn.ReLU()
  self.fc2 = nn.Linear(hidden or 8, 1)
  self.scale = nn.Parameter(torch.ones(1))
end
function Net:forward(x) return self.fc2(self.act(self.fc1(x))) * self.scale end

test("extend, construct, call and inherit", function()
  local net = Net(4, 3)
  assert_eq(getmetatable(net), Net)
  assert_eq(Net.__index, Net)
  assert_eq(Net.super, nn.Module)
  assert_eq(nn.Module.classes.TestNet, Net)
  assert_eq(net(torch.randn(5, 4)):size(2), 1)
  local Sub = Net:extend("TestSub")
  function Sub:forward(x) return Sub.super.forward(self, x) + 1 end
  local sub = Sub(2)
  assert_eq(Sub.super, Net)
  assert_eq(sub.fc1.in_features, 2)
  torch.no_grad(function() sub.fc2.weight:zero_(); sub.fc2.bias:zero_() end)
  assert_close(sub(torch.randn(3, 2)), {{1}, {1}, {1}})
  assert_true(tostring(Net):find("TestNet") ~= nil)
  assert_error(function() net:extend("X") end, "[extend]")
  assert_error(function() nn.Module:extend(3) end, "class name")
  local Bare = nn.Module:extend("TestBare")
  assert_error(function() Bare()(1) end, "[TestBare] forward is not implemented")
end)

test("constructor arguments are recorded and excluded from children", function()
  local net = Net(4, 3)
  assert_eq(net.__ctor_args.n, 2)
  assert_eq(net.__ctor_args[1], 4)
  assert_eq(net.__ctor_args[2], 3)
  local seq = nn.Sequential(nn.Linear(2, 2))
  assert_eq(seq.__ctor_args.n, 1)
  assert_eq(#seq:children(), 1)
  assert_eq(#seq:parameters(), 2)
end)

test("instances_of lists live instances of a class and its subclasses", function()
  local C = nn.Module:extend("TestCounted")
  local D = C:extend("TestCountedSub")
  local a, b, d = C(), C(), D()
  local list = nn.Module.instances_of(C)
  assert_eq(#list, 3)
  assert_eq(list[1], a)
  assert_eq(list[2], b)
  assert_eq(list[3], d)
  assert_eq(#nn.Module.instances_of(D), 1)
  a, b, list = nil, nil, nil
  collectgarbage(); collectgarbage()
  assert_eq(#nn.Module.instances_of(C), 1)
  assert_error(function() nn.Module.instances_of({}) end, "[instances_of]")
end)

test("extend_hook lets hot reload keep the previous class table", function()
  local Old = nn.Module:extend("TestReloaded")
  function Old:forward() return 1 end
  local live = Old()
  nn.Module.extend_hook = function(_, _, previous) return previous end
  local ok, New = pcall(nn.Module.extend, nn.Module, "TestReloaded")
  nn.Module.extend_hook = nil
  assert_true(ok, tostring(New))
  assert_eq(New, Old)
  function New:forward() return 2 end
  assert_eq(live(), 2)
  assert_eq(nn.Module.classes.TestReloaded, Old)
end)

test("patching a class method changes live instances", function()
  local C = nn.Module:extend("TestPatched")
  function C:forward(x) return x + 1 end
  local c = C()
  assert_close(c(torch.zeros(1)), {1})
  C.forward = function(_, x) return x + 2 end
  assert_close(c(torch.zeros(1)), {2})
end)

test("parameters are registered in assignment order with dotted names", function()
  local net = Net(4, 3)
  assert_eq(names_of(net:named_parameters()), "scale fc1.weight fc1.bias fc2.weight fc2.bias")
  local params = net:parameters()
  assert_eq(#params, 5)
  assert_eq(params[2], net.fc1.weight)
  assert_eq(names_of(net:named_children()), "fc1 act fc2")
  assert_eq(#net:children(), 3)
  assert_eq(names_of(net:named_modules()), " fc1 act fc2")
  assert_eq(#net:modules(), 4)
  assert_eq(names_of(net:named_parameters(false)), "scale")
  assert_eq(net:num_parameters(), 4 * 3 + 3 + 3 + 1 + 1)
end)

test("registration order is deterministic across many fields", function()
  local Wide = nn.Module:extend("TestWide")
  function Wide:init()
    for i = 1, 20 do self["layer" .. i] = nn.Linear(1, 1, {bias = false}) end
  end
  local names = names_of(Wide():named_parameters())
  local expected = {}
  for i = 1, 20 do expected[i] = "layer" .. i .. ".weight" end
  assert_eq(names, table.concat(expected, " "))
end)

test("shared parameters and modules are listed once; plain tensors are attributes", function()
  local Tied = nn.Module:extend("TestTied")
  function Tied:init()
    self.enc = nn.Linear(3, 3)
    self.dec = nn.Linear(3, 3)
    self.dec.weight = self.enc.weight
    self.again = self.enc
    self.mask = torch.ones(3)
  end
  local t = Tied()
  assert_eq(names_of(t:named_parameters()), "enc.weight enc.bias dec.bias")
  assert_eq(#t:children(), 2)
  assert_eq(t:state_dict().mask, nil)
end)

test("reassigning a registered field is seen; nil removes it", function()
  local net = Net(2)
  net.fc2 = nn.Linear(8, 5)
  assert_eq(net.fc2.out_features, 5)
  assert_eq(net:named_parameters()[4][2]:size(1), 5)
  net.scale = nil
  assert_eq(names_of(net:named_parameters()), "fc1.weight fc1.bias fc2.weight fc2.bias")
  net.scale = nn.Parameter(torch.ones(1))
  assert_eq(names_of(net:named_parameters()), "scale fc1.weight fc1.bias fc2.weight fc2.bias")
end)

test("nn.Parameter makes leaves that require grad", function()
  local p = nn.Parameter(torch.zeros(2))
  assert_true(p.requires_grad)
  assert_true(p.is_leaf)
  assert_true(nn.is_parameter(p))
  assert_true(not nn.is_parameter(torch.zeros(2)))
  local frozen = nn.Parameter(torch.zeros(2), false)
  assert_true(not frozen.requires_grad)
  local derived = nn.Parameter(torch.ones(2, {requires_grad = true}) * 2)
  assert_true(derived.is_leaf)
  assert_error(function() nn.Parameter(3) end, "[Parameter]")
end)

test("train and eval propagate to every module", function()
  local net = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(0.5), nn.ReLU()))
  assert_true(net.training)
  assert_eq(net:eval(), net)
  for _, m in ipairs(net:modules()) do assert_eq(m.training, false) end
  net:train()
  for _, m in ipairs(net:modules()) do assert_eq(m.training, true) end
  net:train(false)
  assert_eq(net[2][1].training, false)
end)

test("zero_grad sets gradients to nil", function()
  local net = Net(3)
  net(torch.randn(4, 3)):sum():backward()
  assert_true(net.fc1.weight.grad ~= nil)
  net:zero_grad()
  for _, p in ipairs(net:parameters()) do assert_eq(p.grad, nil) end
end)

test("apply visits children first, then self", function()
  local net = nn.Sequential(nn.Linear(1, 1), nn.Sequential(nn.ReLU()))
  local order = {}
  net:apply(function(m) order[#order + 1] = m.__name end)
  assert_eq(table.concat(order, " "), "Linear ReLU Sequential Sequential")
  net:apply(function(m) if m.weight then nn.init.constant_(m.weight, 0.5) end end)
  assert_close(net[1].weight, {{0.5}})
end)

test("requires_grad_ freezes and unfreezes", function()
  local net = Net(3)
  net.fc1:requires_grad_(false)
  assert_true(not net.fc1.weight.requires_grad)
  assert_eq(net:num_parameters({trainable = true}), 8 + 1 + 1)
  net(torch.randn(2, 3)):sum():backward()
  assert_eq(net.fc1.weight.grad, nil)
  assert_true(net.fc2.weight.grad ~= nil)
  net:requires_grad_()
  assert_true(net.fc1.weight.requires_grad)
end)

test("buffers are registered, saved and not trained", function()
  local M = nn.Module:extend("TestBuffered")
  function M:init()
    self.w = nn.Parameter(torch.ones(2))
    self:register_buffer("count", torch.zeros(1))
    self:register_buffer("scratch", torch.zeros(1), false)
  end
  local m = M()
  assert_eq(names_of(m:named_buffers()), "count scratch")
  assert_eq(#m:parameters(), 1)
  local sd = m:state_dict()
  assert_eq(table.concat(m:state_dict_keys(), " "), "w count")
  assert_true(sd.scratch == nil)
  assert_error(function() m:register_buffer("x", 3) end, "must be a tensor")
end)

test("state_dict is flat, ordered, detached and includes BatchNorm statistics", function()
  local net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
  local sd = net:state_dict()
  assert_eq(select("#", net:state_dict()), 1)
  assert_eq(table.concat(net:state_dict_keys(), " "),
    "1.weight 1.bias 2.weight 2.bias 2.running_mean 2.running_var 2.num_batches_tracked")
  assert_true(not sd["1.weight"].requires_grad)
  assert_close(sd["1.weight"], net[1].weight)
  assert_eq(sd["2.num_batches_tracked"].dtype, "int64")
end)

test("load_state_dict round trip through a safetensors file keeps parameter identity", function()
  local a, b = Net(3), Net(3)
  local path = os.tmpname() .. ".safetensors"
  torch.save(path, a:state_dict())
  local weight = b.fc1.weight
  local missing, unexpected = b:load_state_dict(torch.load(path))
  os.remove(path)
  assert_eq(#missing, 0)
  assert_eq(#unexpected, 0)
  assert_eq(b.fc1.weight, weight)
  assert_true(b.fc1.weight.requires_grad)
  local x = torch.randn(5, 3)
  assert_close(b(x), a(x))
end)

test("load_state_dict reports missing and unexpected keys", function()
  local net = Net(3)
  local sd = net:state_dict()
  sd["fc2.bias"] = nil
  sd["extra.weight"] = torch.zeros(1)
  local err = assert_error(function() net:load_state_dict(sd) end, "[load_state_dict] missing keys: fc2.bias")
  assert_true(err:find("unexpected keys: extra.weight", 1, true) ~= nil, err)
  local before = net.fc1.weight:clone()
  sd["fc1.weight"] = torch.zeros(8, 3)
  assert_error(function() net:load_state_dict(sd) end, "missing keys")
  assert_close(net.fc1.weight, before, 0, "nothing copied after a strict failure")
  local missing, unexpected = net:load_state_dict(sd, {strict = false})
  assert_eq(table.concat(missing, ","), "fc2.bias")
  assert_eq(table.concat(unexpected, ","), "extra.weight")
  assert_close(net.fc1.weight, torch.zeros(8, 3))
end)

test("load_state_dict shape mismatch names the key and both shapes", function()
  local small = nn.Sequential(nn.Linear(3, 4))
  local big = nn.Sequential(nn.Linear(3, 8))
  assert_error(function() big:load_state_dict(small:state_dict()) end,
    "[load_state_dict] 1.weight: checkpoint has shape (4,3), model has (8,3)")
  assert_error(function() big:load_state_dict(small:state_dict(), {strict = false}) end, "checkpoint has shape")
  assert_error(function() big:load_state_dict({["1.weight"] = 5, ["1.bias"] = torch.zeros(8)}) end,
    "1.weight: expected a tensor")
  assert_error(function() big:load_state_dict(3) end, "[load_state_dict]")
end)

test("to(dtype) converts parameters and floating buffers", function()
  local net = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3)):double()
  assert_eq(net[1].weight.dtype, "float64")
  assert_true(nn.is_parameter(net[1].weight))
  assert_true(net[1].weight.requires_grad)
  assert_eq(net[2].running_mean.dtype, "float64")
  assert_eq(net[2].num_batches_tracked.dtype, "int64")
  assert_eq(net(torch.randn(4, 2, {dtype = "float64"})).dtype, "float64")
  net:float()
  assert_eq(net[1].bias.dtype, "float32")
  local tied = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3))
  tied[2].weight = tied[1].weight
  tied:double()
  assert_eq(tied[2].weight, tied[1].weight)
  assert_eq(#tied:parameters(), 3)
end)

test("tostring prints a PyTorch-style tree", function()
  local net = Net(4, 3)
  assert_eq(tostring(net), table.concat({
    "TestNet(",
    "  (fc1): Linear(in_features=4, out_features=3, bias=true)",
    "  (act): ReLU()",
    "  (fc2): Linear(in_features=3, out_features=1, bias=true)",
    ")"}, "\n"))
  local seq = nn.Sequential(nn.Linear(2, 2, {bias = false}), nn.Sequential(nn.Tanh(), nn.Dropout(0.1)))
  assert_eq(tostring(seq), table.concat({
    "Sequential(",
    "  (1): Linear(in_features=2, out_features=2, bias=false)",
    "  (2): Sequential(",
    "    (1): Tanh()",
    "    (2): Dropout(p=0.1)",
    "  )",
    ")"}, "\n"))
end)

test("PyTorch state dicts convert between 0-based and 1-based child names", function()
  local u = nn.utils
  assert_eq(u.shift_indices("layers.0.weight", 1), "layers.1.weight")
  assert_eq(u.shift_indices("10.2.bias", 1), "11.3.bias")
  assert_eq(u.shift_indices("fc1.weight", 1), "fc1.weight")
  local net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
  local pytorch = u.state_dict_to_pytorch(net:state_dict())
  assert_true(pytorch["0.weight"] ~= nil and pytorch["2.bias"] ~= nil)
  assert_error(function() net:load_state_dict(pytorch) end, "nn.utils.state_dict_from_pytorch")
  local missing, unexpected = net:load_state_dict(u.state_dict_from_pytorch(pytorch))
  assert_eq(#missing + #unexpected, 0)
end)

test("sizes given as integral floats are accepted", function()
  local d = 8
  local lin = nn.Linear(d / 2, d / 4)
  assert_eq(math.type(lin.in_features), "integer")
  assert_eq(tostring(lin), "Linear(in_features=4, out_features=2, bias=true)")
  assert_eq(nn.Embedding(4.0, 2.0).num_embeddings, 4)
  assert_error(function() nn.Linear(2.5, 1) end, "[Linear] expected integer sizes")
end)

test("the example of the design document runs", function()
  torch.manual_seed(0)
  local x = torch.randn(64, 4)
  local Net = nn.Module:extend("DesignNet")
  function Net:init(d) self.fc1 = nn.Linear(d, 16); self.fc2 = nn.Linear(16, 1) end
  function Net:forward(x_) return self.fc2(torch.relu(self.fc1(x_))) end
  local net = Net(4)
  nn.functional.mse_loss(net(x), torch.ones(64, 1)):backward()
  assert_true(net.fc1.weight.grad ~= nil)
  local labels = torch.tensor({1, 3, 2}, {dtype = "int64"})
  local ce = nn.functional.cross_entropy(torch.randn(3, 5), labels)
  assert_eq(ce:dim(), 0)
  local path = os.tmpname() .. ".safetensors"
  torch.save(path, net:state_dict())
  net:load_state_dict(torch.load(path))
  os.remove(path)
end)
