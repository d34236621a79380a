-- Containers: Sequential, ModuleList, ModuleDict, Residual; child error paths.

local function names_of(pairs_list)
  local out = {}
  for i, pair in ipairs(pairs_list) do out[i] = pair[1] end
  return table.concat(out, " ")
end

test("Sequential chains children, indexes from 1 and grows with add", function()
  local seq = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
  assert_eq(#seq, 2)
  assert_eq(seq[1].out_features, 4)
  assert_eq(seq:add(nn.Linear(4, 2)), seq)
  assert_eq(#seq, 3)
  local x = torch.randn(5, 3)
  local expected = seq[3](seq[2](seq[1](x)))
  assert_close(seq(x), expected)
  assert_eq(names_of(seq:named_parameters()), "1.weight 1.bias 3.weight 3.bias")
  local count = 0
  for i, m in ipairs(seq) do count = count + 1; assert_eq(m, seq[i]) end
  assert_eq(count, 3)
  assert_error(function() nn.Sequential(nn.ReLU(), 3) end, "[Sequential] argument 2 is a number")
  assert_error(function() seq:add({}) end, "add expects a module")
end)

test("Sequential errors name the failing child", function()
  local seq = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(5, 2))
  assert_error(function() seq(torch.randn(2, 3)) end,
    "[Sequential.3 Linear] [linear] input (2,4) has 4 features but weight (2,5) expects 5")
  local err = assert_error(function() seq(torch.randn(2, 3)) end, nil)
  assert_eq(err:find("[Sequential.3 Linear]", 1, true), 1, err)
end)

test("nested Sequential errors merge paths; other containers keep theirs", function()
  local inner = nn.Sequential(nn.ReLU(), nn.Linear(5, 2))
  local outer = nn.Sequential(nn.Linear(3, 4), inner)
  assert_error(function() outer(torch.randn(2, 3)) end, "[Sequential.2.2 Linear] [linear]")
  local Block = nn.Module:extend("TestBlock")
  function Block:init() self.body = nn.Sequential(nn.Linear(2, 2), nn.Linear(3, 3)) end
  function Block:forward(x) return self.body(x) end
  local net = nn.Sequential(nn.Identity(), Block())
  assert_error(function() net(torch.randn(1, 2)) end, "[Sequential.2 TestBlock] [Sequential.2 Linear] [linear]")
  local res = nn.Residual(nn.Linear(3, 3))
  assert_error(function() res(torch.randn(2, 4)) end, "[Residual.fn Linear] [linear]")
  assert_error(function() nn.Sequential(nn.Linear) end, "argument 1 is a table; expected a module")
  local Throws = nn.Module:extend("TestThrower")
  function Throws:forward() error({code = 7}) end
  local ok, e = pcall(nn.Sequential(Throws()), torch.zeros(1))
  assert_true(not ok and type(e) == "table" and e.code == 7, "non-string errors pass through unchanged")
end)

test("ModuleList registers, indexes and iterates", function()
  local list = nn.ModuleList({nn.Linear(2, 2), nn.Linear(2, 3)})
  list:append(nn.Linear(3, 1))
  assert_eq(#list, 3)
  assert_eq(list[3].out_features, 1)
  assert_eq(names_of(list:named_parameters()), "1.weight 1.bias 2.weight 2.bias 3.weight 3.bias")
  local Stack = nn.Module:extend("TestStack")
  function Stack:init() self.layers = nn.ModuleList({nn.Linear(2, 2), nn.Linear(2, 2)}) end
  function Stack:forward(x)
    for _, layer in ipairs(self.layers) do x = layer(x) end
    return x
  end
  local s = Stack()
  assert_eq(names_of(s:named_parameters()), "layers.1.weight layers.1.bias layers.2.weight layers.2.bias")
  local x = torch.randn(3, 2)
  assert_close(s(x), s.layers[2](s.layers[1](x)))
  assert_error(function() list(x) end, "[ModuleList] is not callable")
  assert_error(function() nn.ModuleList({nn.ReLU(), "x"}) end, "element 2 is a string")
end)

test("ModuleDict keeps sorted literal keys, then insertion order", function()
  local d = nn.ModuleDict({proj = nn.Linear(2, 2), act = nn.Tanh(), embed = nn.Embedding(5, 2)})
  assert_eq(table.concat(d:keys(), " "), "act embed proj")
  d:add("zhead", nn.Linear(2, 1))
  d:add("aux", nn.Linear(2, 1))
  assert_eq(table.concat(d:keys(), " "), "act embed proj zhead aux")
  assert_eq(d.proj.in_features, 2)
  assert_eq(#d:values(), 5)
  assert_eq(d:items()[1][1], "act")
  assert_eq(names_of(d:named_parameters()), "embed.weight proj.weight proj.bias zhead.weight zhead.bias aux.weight aux.bias")
  assert_error(function() d:add("forward", nn.ReLU()) end, "clashes")
  assert_error(function() d:add("x", 1) end, "not a module")
  assert_error(function() d(torch.zeros(1)) end, "not callable")
end)

test("Residual adds the wrapped module's output to its input", function()
  local lin = nn.Linear(3, 3)
  local res = nn.Residual(lin)
  local x = torch.randn(4, 3)
  assert_close(res(x), x + lin(x))
  assert_eq(names_of(res:named_parameters()), "fn.weight fn.bias")
  assert_eq(tostring(res), "Residual(\n  (fn): Linear(in_features=3, out_features=3, bias=true)\n)")
  assert_error(function() nn.Residual(3) end, "[Residual] expected a module")
end)

test("a user layer defined in Lua mixes with built-in containers", function()
  local Scale = nn.Module:extend("TestScale")
  function Scale:init(n) self.s = nn.Parameter(torch.full({n}, 2.0)) end
  function Scale:forward(x) return x * self.s end
  function Scale:extra_repr() return "n=" .. self.s:numel() end
  local net = nn.Sequential(nn.Linear(2, 3), Scale(3), nn.ReLU())
  assert_eq(names_of(net:named_parameters()), "1.weight 1.bias 2.s")
  assert_true(tostring(net):find("(2): TestScale(n=3)", 1, true) ~= nil, tostring(net))
  local x = torch.randn(4, 2)
  assert_close(net(x), (net[1](x) * 2):relu())
end)
