import CLua
import Engine

/// `data.parametric{n=, seed=, sites=, fab=, outlier_rate=}`.
enum DataGenParametric {
    static let op = "parametric"

    static let bindings: [BindingEntry] = [
        DataGenBindings.entry(op) { lua in
            let o = try DataGenOptions(lua, op, allowed: ["n", "seed", "sites", "fab", "outlier_rate"])
            var options = ParametricOptions()
            options.count = try o.integer("n", 1000)
            options.sites = try o.integer("sites", 1)
            options.fab = try o.integer("fab", 1)
            if o.has("sites") && o.has("fab") {
                throw EngineError(op, "give either sites (devices spread over fabs 1..sites) or fab (one fab), not both")
            }
            options.outlierRate = try o.number("outlier_rate", 0.02)
            options.seed = try o.seed()
            let set = try Parametric.generate(options)

            DataGenOut.table(lua, fields: 20)
            DataGenOut.set(lua, "x") { lua.push(set.values) }
            DataGenOut.set(lua, "columns") { DataGenOut.strings(lua, Parametric.columns) }
            DataGenOut.set(lua, "units") { DataGenOut.strings(lua, Parametric.units) }
            DataGenOut.set(lua, "limits") {
                DataGenOut.table(lua, fields: Parametric.columns.count)
                for (name, l) in zip(Parametric.columns, Parametric.limits) {
                    DataGenOut.set(lua, name) { DataGenOut.numbers(lua, [l.low, l.high]) }
                }
            }
            DataGenOut.set(lua, "low") { DataGenOut.numbers(lua, Parametric.limits.map(\.low)) }
            DataGenOut.set(lua, "high") { DataGenOut.numbers(lua, Parametric.limits.map(\.high)) }
            try DataGenOut.set(lua, "corner") { lua.push(try DataGenOut.ids(set.corner)) }
            DataGenOut.set(lua, "corner_names") { DataGenOut.strings(lua, Parametric.corners) }
            try DataGenOut.set(lua, "site") { lua.push(try DataGenOut.ids(set.site, plus: 0)) }
            try DataGenOut.set(lua, "pass") { lua.push(try DataGenOut.bools(set.pass)) }
            try DataGenOut.set(lua, "soft_bin") { lua.push(try DataGenOut.ids(set.softBin)) }
            try DataGenOut.set(lua, "hard_bin") { lua.push(try DataGenOut.ids(set.hardBin)) }
            DataGenOut.set(lua, "soft_bin_names") { DataGenOut.strings(lua, Parametric.softBins) }
            DataGenOut.set(lua, "hard_bin_names") { DataGenOut.strings(lua, Parametric.hardBins) }
            try DataGenOut.set(lua, "outlier") { lua.push(try DataGenOut.bools(set.outlier)) }
            try DataGenOut.set(lua, "outlier_kind") { lua.push(try DataGenOut.ids(set.outlierKind)) }
            DataGenOut.set(lua, "outlier_kind_names") { DataGenOut.strings(lua, Parametric.outlierKinds) }
            try DataGenOut.set(lua, "test_time") { lua.push(try DataGenOut.floats(set.testTime, shape: [set.testTime.count])) }
            DataGenOut.set(lua, "yield") {
                lua.push(Double(set.pass.filter { $0 }.count) / Double(max(set.pass.count, 1)))
            }
            return 1
        },
    ]
}
