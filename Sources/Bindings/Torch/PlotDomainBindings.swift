import CLua
import CLuaShim
import Engine

/// `plot.wafer_maps` and `plot.boxes` (lumen/plot_domain.lua prepares their arguments): figures
/// of the domain data, wafer bin maps and die images with defect boxes.
enum PlotDomainBindings {
    /// Images at `i`: (N,H,W) or (N,C,H,W) with C = 1 or 3, as one channel-major array each.
    static func images(_ lua: Lua, _ i: Int32, _ op: String, what: String, channels allowed: Set<Int> = [1, 3]) throws
        -> (images: [[Float]], t: Tensor, channels: Int, h: Int, w: Int) {
        let t = try lua.tensor(i, op)
        guard t.rank == 3 || t.rank == 4, t.rank == 3 || allowed.contains(t.shape[1]), t.shape[0] > 0 else {
            let c = allowed.sorted().map(String.init).joined(separator: " or ")
            throw EngineError(op, "expected \(what) (N,H,W) or (N,C,H,W) with N >= 1 and C = \(c); got shape \(shapeString(t.shape))")
        }
        let n = t.shape[0], channels = t.rank == 4 ? t.shape[1] : 1
        let h = t.shape[t.rank - 2], w = t.shape[t.rank - 1], size = channels * h * w
        let flat = try t.contiguous().toFloats()
        return ((0..<n).map { Array(flat[($0 * size)..<(($0 + 1) * size)]) }, t, channels, h, w)
    }

    /// Booleans of the Lua array at `i`, nil when absent.
    static func bools(_ lua: Lua, _ i: Int32) -> [Bool]? {
        guard lua_type(lua.L, i) == LUA_TTABLE else { return nil }
        let t = lua_absindex(lua.L, i)
        return (0..<Int(lua_rawlen(lua.L, t))).map { k in
            lua_rawgeti(lua.L, t, lua_Integer(k + 1))
            defer { lumen_pop(lua.L, 1) }
            return lua_toboolean(lua.L, -1) != 0
        }
    }

    static let bindings: [BindingEntry] = [
        // plot_internal.wafer_maps(path, maps, captions?, highlighted?, {columns=, title=})
        BindingEntry(.namespace("plot_internal", "wafer_maps")) { lua in
            let op = "plot.wafer_maps"
            let m = try images(lua, 2, op, what: "wafer maps", channels: [1])
            let halves = m.t.dtype.isFloatingPoint
            let maps = try m.images.enumerated().map { index, values in
                try Plot.dieStates(values, halves: halves, size: (m.h, m.w), map: index, indexBase: 1, op: op)
            }
            try Plot.waferMaps(maps, size: (m.h, m.w), captions: PlotBindings.strings(lua, 3, op, "captions"),
                               highlighted: bools(lua, 4), columns: lua.optionInteger(5, "columns", op) ?? 6,
                               title: lua.optionString(5, "title", op) ?? "", to: lua.string(1, op, "path"))
            return 0
        },
        // plot_internal.boxes(path, images, rows, class_names, {titles=, columns=, title=, normalize=})
        // rows: flat numbers, 7 per box: image, x1, y1, x2, y2, label (all 1-based), score (NaN: none).
        BindingEntry(.namespace("plot_internal", "boxes")) { lua in
            let op = "plot.boxes"
            let m = try images(lua, 2, op, what: "images")
            let rows = try PlotBindings.values(lua, 3, op, "boxes")
            guard rows.count % 7 == 0 else { throw EngineError(op, "internal: box rows must have 7 numbers each") }
            var boxes = [[Plot.ImageBox]](repeating: [], count: m.images.count)
            for r in Swift.stride(from: 0, to: rows.count, by: 7) {
                let image = Int(rows[r]) - 1
                guard boxes.indices.contains(image) else { throw EngineError(op, "internal: box of image \(image + 1)") }
                let label = rows[r + 5]
                guard label.isFinite, label == label.rounded(), abs(label) < 1e9 else {
                    throw EngineError(op, "image \(image + 1) box \(boxes[image].count + 1): label must be an integer; got \(label)")
                }
                boxes[image].append(Plot.ImageBox(x1: rows[r + 1] - 1, y1: rows[r + 2] - 1, x2: rows[r + 3] - 1, y2: rows[r + 4] - 1,
                                                  label: Int(label) - 1, score: rows[r + 6].isNaN ? nil : rows[r + 6]))
            }
            guard let names = try PlotBindings.strings(lua, 4, op, "class_names") else {
                throw EngineError(op, "class_names: expected a list of strings")
            }
            try Plot.boxes(m.images, imageHeight: m.h, imageWidth: m.w, channels: m.channels, boxes: boxes, classNames: names,
                           titles: PlotBindings.field(lua, 5, "titles") { try PlotBindings.strings(lua, -1, op, "titles") } ?? nil,
                           columns: lua.optionInteger(5, "columns", op) ?? 4, title: lua.optionString(5, "title", op) ?? "",
                           normalize: lua.optionBool(5, "normalize") ?? true, to: lua.string(1, op, "path"))
            return 0
        },
    ]
}
