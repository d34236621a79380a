import CLua
import Engine

/// `data.test_times{lots=, weeks=, products=, testers=, seed=}` and
/// `data.sensor_traces{n=, length=, channels=, seed=, anomaly_rate=, normalize=}`.
enum DataGenSeries {
    static let bindings: [BindingEntry] = [
        DataGenBindings.entry("test_times") { lua in
            let op = "test_times"
            let o = try DataGenOptions(lua, op, allowed: ["lots", "weeks", "products", "testers", "seed"])
            var options = TestTimeOptions()
            options.lots = try o.integer("lots", 2000)
            options.weeks = try o.integer("weeks", 52)
            options.products = try o.integer("products", 4)
            options.testers = try o.integer("testers", 6)
            options.seed = try o.seed()
            let set = try TestTimes.generate(options)
            let lots = set.hours.count
            DataGenOut.table(lua, fields: 16)
            try DataGenOut.set(lua, "times") { lua.push(try DataGenOut.floats(set.hours, shape: [lots])) }
            try DataGenOut.set(lua, "per_unit") { lua.push(try DataGenOut.floats(set.perUnit, shape: [lots])) }
            try DataGenOut.set(lua, "units") { lua.push(try DataGenOut.ids(set.units, plus: 0)) }
            try DataGenOut.set(lua, "day") { lua.push(try DataGenOut.ids(set.day)) }
            try DataGenOut.set(lua, "week") { lua.push(try DataGenOut.ids(set.week)) }
            try DataGenOut.set(lua, "weekday") { lua.push(try DataGenOut.ids(set.weekday)) }
            try DataGenOut.set(lua, "product") { lua.push(try DataGenOut.ids(set.product)) }
            try DataGenOut.set(lua, "tester") { lua.push(try DataGenOut.ids(set.tester)) }
            try DataGenOut.set(lua, "daily") { lua.push(try DataGenOut.floats(set.daily, shape: [set.daily.count])) }
            try DataGenOut.set(lua, "daily_lots") { lua.push(try DataGenOut.ids(set.dailyLots, plus: 0)) }
            try DataGenOut.set(lua, "weekly") { lua.push(try DataGenOut.floats(set.weekly, shape: [set.weekly.count])) }
            DataGenOut.set(lua, "product_names") { DataGenOut.strings(lua, (1...options.products).map { "P\($0)" }) }
            DataGenOut.set(lua, "tester_names") { DataGenOut.strings(lua, (1...options.testers).map { "T\($0)" }) }
            DataGenOut.set(lua, "weekday_names") { DataGenOut.strings(lua, ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]) }
            DataGenOut.set(lua, "tester_changes") {
                DataGenOut.table(lua, array: set.changes.count)
                for (k, c) in set.changes.enumerated() {
                    DataGenOut.set(lua, k + 1) {
                        DataGenOut.table(lua, fields: 3)
                        DataGenOut.set(lua, "week") { lua.push(c.week + 1) }
                        DataGenOut.set(lua, "tester") { lua.push(c.tester + 1) }
                        DataGenOut.set(lua, "factor") { lua.push(c.factor) }
                    }
                }
            }
            return 1
        },
        DataGenBindings.entry("sensor_traces") { lua in
            let op = "sensor_traces"
            let o = try DataGenOptions(lua, op, allowed: ["n", "length", "channels", "seed", "anomaly_rate", "normalize"])
            var options = SensorTraceOptions()
            options.count = try o.integer("n", 500)
            options.length = try o.integer("length", 128)
            options.channels = try o.integer("channels", 6)
            options.anomalyRate = try o.number("anomaly_rate", 0.1)
            options.normalize = try o.bool("normalize", false)
            options.seed = try o.seed()
            let set = try SensorTraces.generate(options)
            DataGenOut.table(lua, fields: 8)
            DataGenOut.set(lua, "x") { lua.push(set.traces) }
            try DataGenOut.set(lua, "anomaly") { lua.push(try DataGenOut.bools(set.kind.map { $0 != 0 })) }
            DataGenOut.set(lua, "step_anomaly") { lua.push(set.stepLabels) }
            try DataGenOut.set(lua, "kind") { lua.push(try DataGenOut.ids(set.kind)) }
            DataGenOut.set(lua, "kind_names") { DataGenOut.strings(lua, SensorTraces.kinds) }
            try DataGenOut.set(lua, "channel") { lua.push(try DataGenOut.ids(set.channel)) }
            DataGenOut.set(lua, "channels") { DataGenOut.strings(lua, set.channelNames) }
            return 1
        },
    ]
}
