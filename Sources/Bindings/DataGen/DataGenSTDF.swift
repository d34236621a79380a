import CLua
import CLuaShim
import Engine

/// `data.read_stdf(path)` and `data.write_stdf(path, spec)`.
enum DataGenSTDF {
    /// Field `name` of the table at `i` as numbers: a tensor (any shape, row-major) or a list.
    static func numbers(_ lua: Lua, _ i: Int32, _ name: String, _ op: String) throws -> [Double]? {
        try lua.withField(i, name) { () -> [Double]? in
            if let t = lua.optTensor(-1) { return try t.toDoubles() }
            guard lua_type(lua.L, -1) == LUA_TTABLE else {
                throw EngineError(op, "field \(name): expected a tensor or a list of numbers; got \(lua.typeName(-1))")
            }
            let t = lua_absindex(lua.L, -1)
            let n = Int(lua_rawlen(lua.L, t))
            var out: [Double] = []
            out.reserveCapacity(n)
            for k in 0..<n {
                lua_rawgeti(lua.L, t, lua_Integer(k + 1))
                defer { lumen_pop(lua.L, 1) }
                if lua_type(lua.L, -1) == LUA_TBOOLEAN { out.append(lua.boolean(-1) ? 1 : 0); continue }
                out.append(try lua.number(-1, op, "\(name)[\(k + 1)]"))
            }
            return out
        }
    }

    static func integers(_ lua: Lua, _ i: Int32, _ name: String, _ op: String) throws -> [Int]? {
        try numbers(lua, i, name, op).map { list in
            try list.map { v in
                guard v == v.rounded(), abs(v) < 1e15 else { throw EngineError(op, "field \(name): expected integers; got \(v)") }
                return Int(v)
            }
        }
    }

    static func strings(_ lua: Lua, _ i: Int32, _ name: String, _ op: String) throws -> [String]? {
        try lua.withField(i, name) { () -> [String]? in
            guard lua_type(lua.L, -1) == LUA_TTABLE else {
                throw EngineError(op, "field \(name): expected a list of strings; got \(lua.typeName(-1))")
            }
            let t = lua_absindex(lua.L, -1)
            return try (0..<Int(lua_rawlen(lua.L, t))).map { k in
                lua_rawgeti(lua.L, t, lua_Integer(k + 1))
                defer { lumen_pop(lua.L, 1) }
                if lua_type(lua.L, -1) == LUA_TNUMBER, let c = lua_tolstring(lua.L, -1, nil) { return String(cString: c) }
                return try lua.string(-1, op, "\(name)[\(k + 1)]")
            }
        }
    }

    /// A table bin number → name (`{[1] = "PASS", [3] = "LEAKAGE"}` or a list).
    static func binNames(_ lua: Lua, _ i: Int32, _ name: String, _ op: String) throws -> [Int: String] {
        try lua.withField(i, name) { () -> [Int: String]? in
            guard lua_type(lua.L, -1) == LUA_TTABLE else {
                throw EngineError(op, "field \(name): expected a table bin number -> name; got \(lua.typeName(-1))")
            }
            let t = lua_absindex(lua.L, -1)
            var out: [Int: String] = [:]
            lua_pushnil(lua.L)
            while lua_next(lua.L, t) != 0 {
                defer { lumen_pop(lua.L, 1) }
                let bin = try lua.integer(-2, op, "\(name) key")
                out[bin] = try lua.string(-1, op, "\(name)[\(bin)]")
            }
            return out
        } ?? [:]
    }

    /// The list of tests: `tests = {{number=, name=, units=, low=, high=}, ...}`.
    static func tests(_ lua: Lua, _ i: Int32, _ op: String) throws -> [STDFTest] {
        try lua.withField(i, "tests") { () -> [STDFTest] in
            guard lua_type(lua.L, -1) == LUA_TTABLE else {
                throw EngineError(op, "field tests: expected a list of {number=, name=, units=, low=, high=}; got \(lua.typeName(-1))")
            }
            let t = lua_absindex(lua.L, -1)
            return try (0..<Int(lua_rawlen(lua.L, t))).map { k in
                lua_rawgeti(lua.L, t, lua_Integer(k + 1))
                defer { lumen_pop(lua.L, 1) }
                guard lua_type(lua.L, -1) == LUA_TTABLE else {
                    throw EngineError(op, "tests[\(k + 1)]: expected a table {number=, name=, ...}; got \(lua.typeName(-1))")
                }
                let e = lua_absindex(lua.L, -1)
                guard let number = try lua.optionInteger(e, "number", op) else {
                    throw EngineError(op, "tests[\(k + 1)]: missing number")
                }
                return STDFTest(number: number, name: try lua.optionString(e, "name", op) ?? "T\(number)",
                                units: try lua.optionString(e, "units", op) ?? "",
                                low: try lua.optionNumber(e, "low", op), high: try lua.optionNumber(e, "high", op))
            }
        } ?? []
    }

    static let writeFields = ["tests", "results", "hard_bin", "soft_bin", "pass", "x", "y", "site", "part_id", "test_time",
                              "wafer", "wafer_ids", "hard_bin_names", "soft_bin_names", "lot_id", "part_type", "node_name",
                              "tester_type", "job_name", "job_rev", "operator", "temperature", "start_time", "big_endian"]

    static let bindings: [BindingEntry] = [
        DataGenBindings.entry("write_stdf") { lua in
            let op = "write_stdf"
            let path = try lua.string(1, op, "path")
            guard lua_type(lua.L, 2) == LUA_TTABLE else {
                throw EngineError(op, "argument 2: expected a table {tests=, results=, hard_bin=, ...}; got \(lua.typeName(2))")
            }
            lua_pushnil(lua.L)
            while lua_next(lua.L, 2) != 0 {
                defer { lumen_pop(lua.L, 1) }
                let key = lua_type(lua.L, -2) == LUA_TSTRING ? String(cString: lua_tolstring(lua.L, -2, nil)) : "?"
                guard writeFields.contains(key) else {
                    throw EngineError(op, "unknown field \"\(key)\" (expected one of: \(writeFields.joined(separator: ", ")))")
                }
            }
            var s = STDFWriteSpec()
            s.tests = try tests(lua, 2, op)
            guard !s.tests.isEmpty else { throw EngineError(op, "at least one test is needed (field tests, or columns)") }
            guard let results = try numbers(lua, 2, "results", op) else { throw EngineError(op, "missing field results (parts x tests)") }
            if let t = lua.withField(2, "results", { lua.optTensor(-1) }), t.rank != 2 || t.shape[1] != s.tests.count {
                throw EngineError(op, "results must be (parts, \(s.tests.count)) for \(s.tests.count) tests; got \(shapeString(t.shape))")
            }
            s.results = results
            s.hardBin = try integers(lua, 2, "hard_bin", op) ?? []
            s.softBin = try integers(lua, 2, "soft_bin", op) ?? []
            s.pass = try numbers(lua, 2, "pass", op)?.map { $0 != 0 }
            s.x = try integers(lua, 2, "x", op)
            s.y = try integers(lua, 2, "y", op)
            s.site = try integers(lua, 2, "site", op)
            s.partIDs = try strings(lua, 2, "part_id", op)
            s.testTime = try integers(lua, 2, "test_time", op)
            s.wafer = try integers(lua, 2, "wafer", op)?.map { $0 - 1 }
            s.waferIDs = try strings(lua, 2, "wafer_ids", op) ?? []
            s.hardBinNames = try binNames(lua, 2, "hard_bin_names", op)
            s.softBinNames = try binNames(lua, 2, "soft_bin_names", op)
            s.lotID = try lua.optionString(2, "lot_id", op) ?? s.lotID
            s.partType = try lua.optionString(2, "part_type", op) ?? s.partType
            s.nodeName = try lua.optionString(2, "node_name", op) ?? s.nodeName
            s.testerType = try lua.optionString(2, "tester_type", op) ?? s.testerType
            s.jobName = try lua.optionString(2, "job_name", op) ?? s.jobName
            s.jobRev = try lua.optionString(2, "job_rev", op) ?? s.jobRev
            s.operatorName = try lua.optionString(2, "operator", op) ?? s.operatorName
            s.temperature = try lua.optionString(2, "temperature", op) ?? s.temperature
            s.startTime = try lua.optionInteger(2, "start_time", op) ?? s.startTime
            s.bigEndian = lua.optionBool(2, "big_endian") ?? false
            lua.push(try STDFWriter.write(s, to: path))
            return 1
        },
        DataGenBindings.entry("read_stdf") { lua in
            let op = "read_stdf"
            let file = try STDFReader.read(path: lua.string(1, op, "path"))
            let n = file.parts.count, k = file.tests.count
            var results = [Double](repeating: .nan, count: n * k)
            var failed = [Double](repeating: 0, count: n * k)
            for (p, part) in file.parts.enumerated() {
                for (j, v) in part.results { results[p * k + j] = v }
                for j in part.failedTests { failed[p * k + j] = 1 }
            }
            DataGenOut.table(lua, fields: 24)
            DataGenOut.set(lua, "mir") {
                DataGenOut.table(lua, fields: file.mir.count)
                for (key, value) in file.mir.sorted(by: { $0.key < $1.key }) { DataGenOut.set(lua, key) { lua.push(value) } }
            }
            DataGenOut.set(lua, "tests") {
                DataGenOut.table(lua, array: k)
                for (j, t) in file.tests.enumerated() {
                    DataGenOut.set(lua, j + 1) {
                        DataGenOut.table(lua, fields: 5)
                        DataGenOut.set(lua, "number") { lua.push(t.number) }
                        DataGenOut.set(lua, "name") { lua.push(t.name) }
                        DataGenOut.set(lua, "units") { lua.push(t.units) }
                        if let low = t.low { DataGenOut.set(lua, "low") { lua.push(low) } }
                        if let high = t.high { DataGenOut.set(lua, "high") { lua.push(high) } }
                    }
                }
            }
            try DataGenOut.set(lua, "test_numbers") { lua.push(try DataGenOut.ids(file.tests.map(\.number), plus: 0)) }
            DataGenOut.set(lua, "test_names") { DataGenOut.strings(lua, file.tests.map(\.name)) }
            try DataGenOut.set(lua, "results") { lua.push(try Tensor(results, shape: [n, k], dtype: .float32)) }
            try DataGenOut.set(lua, "test_failed") { lua.push(try Tensor(failed, shape: [n, k], dtype: .bool)) }
            try DataGenOut.set(lua, "pass") { lua.push(try DataGenOut.bools(file.parts.map(\.pass))) }
            try DataGenOut.set(lua, "hard_bin") { lua.push(try DataGenOut.ids(file.parts.map(\.hardBin), plus: 0)) }
            try DataGenOut.set(lua, "soft_bin") { lua.push(try DataGenOut.ids(file.parts.map(\.softBin), plus: 0)) }
            try DataGenOut.set(lua, "x") { lua.push(try DataGenOut.ids(file.parts.map(\.x), plus: 0)) }
            try DataGenOut.set(lua, "y") { lua.push(try DataGenOut.ids(file.parts.map(\.y), plus: 0)) }
            try DataGenOut.set(lua, "site") { lua.push(try DataGenOut.ids(file.parts.map(\.site), plus: 0)) }
            try DataGenOut.set(lua, "head") { lua.push(try DataGenOut.ids(file.parts.map(\.head), plus: 0)) }
            try DataGenOut.set(lua, "test_time") { lua.push(try DataGenOut.floats(file.parts.map { Double($0.testTime) }, shape: [n])) }
            try DataGenOut.set(lua, "wafer") { lua.push(try DataGenOut.ids(file.parts.map(\.wafer))) }
            DataGenOut.set(lua, "wafer_ids") { DataGenOut.strings(lua, file.waferIDs) }
            DataGenOut.set(lua, "part_id") { DataGenOut.strings(lua, file.parts.map(\.partID)) }
            for (field, bins) in [("hard_bins", file.hardBins), ("soft_bins", file.softBins)] {
                DataGenOut.set(lua, field) {
                    DataGenOut.table(lua, array: bins.count)
                    for (j, b) in bins.enumerated() {
                        DataGenOut.set(lua, j + 1) {
                            DataGenOut.table(lua, fields: 6)
                            DataGenOut.set(lua, "bin") { lua.push(b.number) }
                            DataGenOut.set(lua, "count") { lua.push(b.count) }
                            DataGenOut.set(lua, "pass") { lua.push(b.passFail == "P") }
                            DataGenOut.set(lua, "name") { lua.push(b.name) }
                            DataGenOut.set(lua, "head") { lua.push(b.head) }
                            DataGenOut.set(lua, "site") { lua.push(b.site) }
                        }
                    }
                }
            }
            DataGenOut.set(lua, "record_counts") {
                DataGenOut.table(lua, fields: file.recordCounts.count)
                for (key, value) in file.recordCounts.sorted(by: { $0.key < $1.key }) { DataGenOut.set(lua, key) { lua.push(value) } }
            }
            DataGenOut.set(lua, "skipped") { lua.push(file.skipped) }
            DataGenOut.set(lua, "incomplete_parts") { lua.push(file.incompleteParts) }
            DataGenOut.set(lua, "cpu_type") { lua.push(file.cpuType) }
            DataGenOut.set(lua, "version") { lua.push(file.version) }
            return 1
        },
    ]
}
