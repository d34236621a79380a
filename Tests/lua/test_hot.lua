-- Hot reload: in-place method updates keep weights; structural changes migrate parameters;
-- broken files keep the old definition.

local dir = os.tmpname()
os.remove(dir)
os.execute("mkdir -p " .. dir)
package.path = dir .. "/?.lua;" .. package.path

local counter = 0
local function write_module(body)
  -- A new module name per test keeps tests independent.
  local f = io.open(dir .. "/" .. body.name .. ".lua", "w")
  f:write(body.code)
  f:close()
end

local function model_code(forward, init)
  return string.format([[
local M = {}
M.Net = nn.Module:extend("HotNet")
function M.Net:init(d)
  %s
end
function M.Net:forward(x)
  %s
end
return M
]], init or "self.fc = nn.Linear(d, 2)", forward)
end

local function fresh_name()
  counter = counter + 1
  return "hotmodel_" .. counter
end

test("changing forward updates live instances and keeps their weights", function()
  local name = fresh_name()
  write_module{name = name, code = model_code("return self.fc(x)")}
  hot.verbose = false
  local M = hot.require(name)
  local net = M.Net(3)
  local weight = net.fc.weight
  local x = torch.ones(1, 3)
  local before = net(x):sum():item()
  write_module{name = name, code = model_code("return self.fc(x) * 10")}
  local reloaded = hot.poll(true)
  assert_eq(reloaded[1], name)
  assert_true(net.fc.weight == weight, "same parameter tensor")
  assert_close(net(x):sum():item(), 10 * before, 1e-5)
end)

test("a structural change rebuilds instances and keeps matching parameters", function()
  local name = fresh_name()
  write_module{name = name, code = model_code("return self.fc(x)")}
  local M = hot.require(name)
  local net = M.Net(3)
  local kept = net.fc.weight:clone()
  write_module{name = name, code = model_code("return self.out(torch.relu(self.fc(x)))",
    "self.fc = nn.Linear(d, 2); self.out = nn.Linear(2, 1)")}
  hot.poll(true)
  assert_close(net.fc.weight, kept, 0)
  assert_eq(net.out.weight:size(2), 2)
  assert_eq(net(torch.ones(4, 3)):size(2), 1)
end)

test("a reload with a syntax or runtime error keeps the old definition", function()
  local name = fresh_name()
  write_module{name = name, code = model_code("return self.fc(x)")}
  local M = hot.require(name)
  local net = M.Net(3)
  local x = torch.ones(1, 3)
  local expected = net(x):sum():item()
  local function reloaded(list)
    for _, n in ipairs(list) do if n == name then return true end end
    return false
  end
  write_module{name = name, code = "this is not lua"}
  assert_true(not reloaded(hot.poll(true)))
  assert_close(net(x):sum():item(), expected)
  write_module{name = name, code = "error('broken at load')"}
  assert_true(not reloaded(hot.poll(true)))
  assert_close(net(x):sum():item(), expected)
  write_module{name = name, code = model_code("return self.fc(x) * 2")}
  assert_true(reloaded(hot.poll(true)), "a fixed file reloads again")
  assert_close(net(x):sum():item(), 2 * expected, 1e-5)
end)

test("hot.migrate reports kept, added and dropped parameters", function()
  local A = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
  local B = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 5))
  local report = hot.migrate(A, B)
  assert_eq(table.concat(report.kept, ","), "1.bias,1.weight")
  assert_eq(table.concat(report.added, ","), "3.bias,3.weight")
  assert_eq(table.concat(report.dropped, ","), "3.bias,3.weight")
  assert_close(B[1].weight, A[1].weight, 0)
end)

test("hot.require errors clearly for missing modules", function()
  assert_error(function() hot.require("no_such_module_xyz") end, "[hot.require] module 'no_such_module_xyz' not found")
end)
