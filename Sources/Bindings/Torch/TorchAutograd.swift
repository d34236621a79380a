import CLua
import Engine

/// backward, grad mode and autograd flags.
enum TorchAutograd {
    static let bindings: [BindingEntry] = [
        .method("backward") { lua in
            let t = try lua.tensor(1, "backward")
            let gradient = lua.optTensor(2)
            let options: Int32 = gradient == nil ? 2 : 3
            let retain = lua.optionBool(options, "retain_graph") ?? (lua_type(lua.L, options) == LUA_TBOOLEAN && lua.boolean(options))
            try t.backward(gradient: gradient, retainGraph: retain)
            return 0
        },
        .both("detach") { lua in lua.push(try lua.tensor(1, "detach").detach()); return 1 },
        .method("requires_grad_") { lua in
            let t = try lua.tensor(1, "requires_grad_")
            try t.setRequiresGrad(lua.isNoneOrNil(2) ? true : lua.boolean(2))
            lua_settop(lua.L, 1)
            return 1
        },
        .method("retain_grad") { lua in
            try lua.tensor(1, "retain_grad").retainGrad()
            return 0
        },
        .torch("set_grad_enabled") { lua in
            GradMode.setEnabled(lua.boolean(1))
            return 0
        },
        .torch("is_grad_enabled") { lua in
            lua.push(GradMode.isEnabled)
            return 1
        },
        .torch("memory") { lua in
            lua_createtable(lua.L, 0, 2)
            lua.push(MemoryStats.liveBytes)
            lua_setfield(lua.L, -2, "live_bytes")
            lua.push(MemoryStats.peakBytes)
            lua_setfield(lua.L, -2, "peak_bytes")
            return 1
        },
    ]
}
