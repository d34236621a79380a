import CLua
import CLuaShim
import Engine

/// `data.wafer_maps{n=, size=, classes=, seed=, imbalance=, shift=, mixed=, as_codes=}`.
enum DataGenWafer {
    static let op = "wafer_maps"

    /// `classes`: a list of class names (labels then index it) or a count k (the first k of the
    /// canonical nine).
    static func classes(_ o: DataGenOptions) throws -> [WaferPattern] {
        let L = o.lua.L
        switch o.type("classes") {
        case LUA_TNIL:
            return WaferPattern.allCases
        case LUA_TNUMBER:
            let k = try o.integer("classes", 9)
            try o.checkRange("classes", k, 1...9)
            return Array(WaferPattern.allCases.prefix(k))
        case LUA_TTABLE:
            return try o.withField("classes") {
                let t = lua_absindex(L, -1)
                let count = Int(lua_rawlen(L, t))
                guard count > 0 else { throw EngineError(op, "option classes: expected a list of class names; got an empty table") }
                return try (1...count).map { k -> WaferPattern in
                    lua_rawgeti(L, t, lua_Integer(k))
                    defer { lumen_pop(L, 1) }
                    let name = try o.lua.string(-1, op, "classes[\(k)]")
                    guard let p = WaferPattern(name: name) else {
                        throw EngineError(op, "option classes: unknown class \"\(name)\" (expected one of: \(WaferPattern.allCases.map(\.name).joined(separator: ", ")))")
                    }
                    return p
                }
            } ?? WaferPattern.allCases
        default:
            throw EngineError(op, "option classes: expected a list of class names or a count; got \(o.lua.typeName(-1))")
        }
    }

    /// `imbalance`: true (realistic skew), a number (fraction of `none`, the rest skewed
    /// realistically), or weights (a list in class order or a table name → weight).
    static func weights(_ o: DataGenOptions, _ classes: [WaferPattern]) throws -> [Double]? {
        let L = o.lua.L
        let realistic = classes.map(\.realisticWeight)
        switch o.type("imbalance") {
        case LUA_TNIL:
            return nil
        case LUA_TBOOLEAN:
            return try o.bool("imbalance", false) ? realistic : nil
        case LUA_TNUMBER:
            let p = try o.number("imbalance", 0)
            guard p > 0 && p < 1 else { throw EngineError(op, "option imbalance: a number is the fraction of none maps, in (0, 1); got \(p)") }
            guard classes.contains(.none) else { throw EngineError(op, "option imbalance: a fraction needs the none class among classes") }
            let others = zip(classes, realistic).filter { $0.0 != .none }.map(\.1).reduce(0, +)
            return zip(classes, realistic).map { c, w in c == .none ? p : (1 - p) * w / max(others, 1e-12) }
        case LUA_TTABLE:
            return try o.withField("imbalance") {
                let t = lua_absindex(L, -1)
                let count = Int(lua_rawlen(L, t))
                if count > 0 {
                    return try (1...count).map { k -> Double in
                        lua_rawgeti(L, t, lua_Integer(k))
                        defer { lumen_pop(L, 1) }
                        return try o.lua.number(-1, op, "imbalance[\(k)]")
                    }
                }
                var w = [Double](repeating: 0, count: classes.count)
                lua_pushnil(L)
                while lua_next(L, t) != 0 {
                    defer { lumen_pop(L, 1) }
                    let name = try o.lua.string(-2, op, "imbalance key")
                    guard let p = WaferPattern(name: name), let at = classes.firstIndex(of: p) else {
                        throw EngineError(op, "option imbalance: \"\(name)\" is not one of the classes \(classes.map(\.name))")
                    }
                    w[at] = try o.lua.number(-1, op, "imbalance.\(name)")
                }
                return w
            }
        default:
            throw EngineError(op, "option imbalance: expected true, a fraction or a table of weights")
        }
    }

    static let bindings: [BindingEntry] = [
        DataGenBindings.entry(op) { lua in
            let o = try DataGenOptions(lua, op, allowed: ["n", "size", "classes", "seed", "imbalance", "shift", "mixed", "as_codes"])
            var options = WaferMapOptions()
            options.count = try o.integer("n", 1000)
            options.size = try o.integer("size", 32)
            options.classes = try classes(o)
            options.weights = try weights(o, options.classes)
            options.shift = try o.strength("shift", whenTrue: 0.6)
            options.mixed = try o.strength("mixed", whenTrue: 0.5)
            options.asCodes = try o.bool("as_codes", false)
            options.seed = try o.seed()
            let set = try WaferMaps.generate(options)

            DataGenOut.table(lua, fields: 10)
            DataGenOut.set(lua, "maps") { lua.push(set.maps) }
            try DataGenOut.set(lua, "labels") { lua.push(try Bind.oneBased(set.labels)) }
            DataGenOut.set(lua, "multi_hot") { lua.push(set.multiHot) }
            DataGenOut.set(lua, "classes") { DataGenOut.strings(lua, set.classNames) }
            DataGenOut.set(lua, "boxes") {
                DataGenOut.boxes(lua, set.boxes) { (x1: $0.x1, y1: $0.y1, x2: $0.x2, y2: $0.y2, label: $0.label) }
            }
            DataGenOut.set(lua, "patterns") {
                DataGenOut.table(lua, array: set.patterns.count)
                for (i, p) in set.patterns.enumerated() { DataGenOut.set(lua, i + 1) { lua.push(p.map { $0 + 1 }) } }
            }
            DataGenOut.set(lua, "size") { lua.push(options.size) }
            DataGenOut.set(lua, "codes") { DataGenOut.strings(lua, ["off-wafer", "pass", "fail"]) }
            return 1
        },
    ]
}
