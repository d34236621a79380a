import CLua
import CLuaShim
import Engine

/// `plot.*` (lumen/plot.lua wraps these): PNG charts from tensors or Lua tables.
enum PlotBindings {
    /// Numbers at `i`: a tensor (flattened) or a Lua array.
    static func values(_ lua: Lua, _ i: Int32, _ op: String, _ what: String) throws -> [Double] {
        if let t = lua.optTensor(i) { return try t.toDoubles() }
        guard lua_type(lua.L, i) == LUA_TTABLE else {
            throw EngineError(op, "\(what): expected a tensor or a table of numbers; got \(lua.typeName(i))")
        }
        let t = lua_absindex(lua.L, i)
        return try (0..<Int(lua_rawlen(lua.L, t))).map { k in
            lua_rawgeti(lua.L, t, lua_Integer(k + 1))
            defer { lumen_pop(lua.L, 1) }
            return try lua.number(-1, op, "\(what)[\(k + 1)]")
        }
    }

    /// Strings at `i` (a Lua array), nil when absent.
    static func strings(_ lua: Lua, _ i: Int32, _ op: String, _ what: String) throws -> [String]? {
        guard lua_type(lua.L, i) == LUA_TTABLE else { return nil }
        let t = lua_absindex(lua.L, i)
        return (0..<Int(lua_rawlen(lua.L, t))).map { k in
            lua_rawgeti(lua.L, t, lua_Integer(k + 1))
            defer { lumen_pop(lua.L, 1) }
            return String(cString: luaL_tolstring(lua.L, -1, nil)).also { lumen_pop(lua.L, 1) }
        }
    }

    /// Options-table field `name` read by `body` at index -1.
    static func field<R>(_ lua: Lua, _ i: Int32, _ name: String, _ body: () throws -> R?) rethrows -> R? {
        try lua.withField(i, name, body)
    }

    struct Labels {
        var title = "", x = "", y = ""
        var width: Int?, height: Int?
        init(_ lua: Lua, _ i: Int32, _ op: String) throws {
            title = try lua.optionString(i, "title", op) ?? ""
            x = try lua.optionString(i, "xlabel", op) ?? ""
            y = try lua.optionString(i, "ylabel", op) ?? ""
            width = try lua.optionInteger(i, "width", op)
            height = try lua.optionInteger(i, "height", op)
        }
    }

    static let bindings: [BindingEntry] = [
        // plot_internal.line(path, {{name, x, y}, ...}, options)
        BindingEntry(.namespace("plot_internal", "line")) { lua in
            let op = "plot.line"
            let path = try lua.string(1, op, "path")
            guard lua_type(lua.L, 2) == LUA_TTABLE else { throw EngineError(op, "expected a list of series") }
            var series: [(name: String, xs: [Double], ys: [Double])] = []
            for k in 1...max(1, Int(lua_rawlen(lua.L, 2))) where k <= Int(lua_rawlen(lua.L, 2)) {
                lua_rawgeti(lua.L, 2, lua_Integer(k))
                let name = field(lua, -1, "name") { String(cString: luaL_tolstring(lua.L, -1, nil)).also { lumen_pop(lua.L, 1) } } ?? ""
                let ys = try field(lua, -1, "y") { try values(lua, -1, op, "series \(k) y") } ?? []
                let xs = try field(lua, -1, "x") { try values(lua, -1, op, "series \(k) x") } ?? []
                lumen_pop(lua.L, 1)
                series.append((name, xs, ys))
            }
            let l = try Labels(lua, 3, op)
            try Plot.line(series, title: l.title, xLabel: l.x, yLabel: l.y, logY: lua.optionBool(3, "logy") ?? false,
                          width: l.width ?? Plot.defaultWidth, height: l.height ?? Plot.defaultHeight, to: path)
            return 0
        },
        BindingEntry(.namespace("plot_internal", "scatter")) { lua in
            let op = "plot.scatter"
            let l = try Labels(lua, 4, op)
            let classes = try field(lua, 4, "classes") { try values(lua, -1, op, "classes").map { Int(Int64(fromDouble: $0)) - 1 } }
            let names = try field(lua, 4, "class_names") { try strings(lua, -1, op, "class_names") }
            try Plot.scatter(xs: values(lua, 2, op, "x"), ys: values(lua, 3, op, "y"), classes: classes, classNames: names ?? nil,
                             title: l.title, xLabel: l.x, yLabel: l.y, width: l.width ?? Plot.defaultWidth,
                             height: l.height ?? Plot.defaultHeight, to: lua.string(1, op, "path"))
            return 0
        },
        BindingEntry(.namespace("plot_internal", "histogram")) { lua in
            let op = "plot.histogram"
            let l = try Labels(lua, 3, op)
            try Plot.histogram(values(lua, 2, op, "values"), bins: lua.optionInteger(3, "bins", op) ?? 30, title: l.title,
                               xLabel: l.x, yLabel: l.y.isEmpty ? "count" : l.y, width: l.width ?? Plot.defaultWidth,
                               height: l.height ?? Plot.defaultHeight, to: lua.string(1, op, "path"))
            return 0
        },
        BindingEntry(.namespace("plot_internal", "bar")) { lua in
            let op = "plot.bar"
            let l = try Labels(lua, 4, op)
            guard let labels = try strings(lua, 2, op, "labels") else { throw EngineError(op, "labels: expected a table of strings") }
            try Plot.bar(labels: labels, values: values(lua, 3, op, "values"), title: l.title, xLabel: l.x, yLabel: l.y,
                         width: l.width ?? Plot.defaultWidth, height: l.height ?? Plot.defaultHeight, to: lua.string(1, op, "path"))
            return 0
        },
        BindingEntry(.namespace("plot_internal", "heatmap")) { lua in
            let op = "plot.heatmap"
            let m = try lua.tensor(2, op)
            guard m.rank == 2 else { throw EngineError(op, "expected a 2-d matrix; got shape \(shapeString(m.shape))") }
            let flat = try m.toDoubles(), cols = m.shape[1]
            let rows = (0..<m.shape[0]).map { Array(flat[($0 * cols)..<(($0 + 1) * cols)]) }
            let l = try Labels(lua, 3, op)
            let name = try lua.optionString(3, "colormap", op) ?? "viridis"
            guard let colormap = Colormap(rawValue: name) else {
                throw EngineError(op, "unknown colormap \(name) (expected \(Colormap.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            try Plot.heatmap(rows, title: l.title, xLabel: l.x, yLabel: l.y,
                             rowLabels: field(lua, 3, "row_labels") { try strings(lua, -1, op, "row_labels") } ?? nil,
                             columnLabels: field(lua, 3, "col_labels") { try strings(lua, -1, op, "col_labels") } ?? nil,
                             colormap: colormap, cellLabels: lua.optionBool(3, "cell_labels") ?? false,
                             width: l.width ?? 800, height: l.height ?? 700, to: lua.string(1, op, "path"))
            return 0
        },
        BindingEntry(.namespace("plot_internal", "images")) { lua in
            let op = "plot.images"
            let t = try lua.tensor(2, op)
            guard t.rank == 3 || t.rank == 4, t.rank == 3 || t.shape[1] == 1 || t.shape[1] == 3 else {
                throw EngineError(op, "expected images (N,H,W) or (N,C,H,W) with C = 1 or 3; got shape \(shapeString(t.shape))")
            }
            let n = t.shape[0], channels = t.rank == 4 ? t.shape[1] : 1
            let h = t.shape[t.rank - 2], w = t.shape[t.rank - 1]
            // Channel-major pixels per image (all red, then green, then blue), as the renderer expects.
            let pixels = try t.contiguous().toFloats()
            let size = h * w * channels
            let images = (0..<n).map { Array(pixels[($0 * size)..<(($0 + 1) * size)]) }
            try Plot.imageGrid(images, imageHeight: h, imageWidth: w, channels: channels,
                               titles: field(lua, 3, "titles") { try strings(lua, -1, op, "titles") } ?? nil,
                               columns: lua.optionInteger(3, "columns", op) ?? 8, title: lua.optionString(3, "title", op) ?? "",
                               normalize: lua.optionBool(3, "normalize") ?? true, to: lua.string(1, op, "path"))
            return 0
        },
    ]
}

extension String {
    /// Runs `f` and returns self (to pop the stack after reading a Lua string).
    func also(_ f: () -> Void) -> String { f(); return self }
}
