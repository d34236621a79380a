import CLua
import Engine

/// Text corpora: `data.failure_logs`, `data.alarm_messages`, `data.test_programs`,
/// `data.instructions`, `data.parallel_corpus` — each `{n=, seed=, split=}` (split "all",
/// "train" or "test": held-out wording and values).
enum DataGenText {
    static func corpusOptions(_ o: DataGenOptions, defaultCount: Int) throws -> TextCorpusOptions {
        var options = TextCorpusOptions()
        options.count = try o.integer("n", defaultCount)
        let split = try o.string("split", "all")
        guard let s = TextSplit(rawValue: split) else {
            throw EngineError(o.op, "option split: expected \"all\", \"train\" or \"test\"; got \"\(split)\"")
        }
        options.split = s
        options.seed = try o.seed()
        return options
    }

    static func spans(_ lua: Lua, _ list: [[TextSpan]]) {
        DataGenOut.table(lua, array: list.count)
        for (i, spans) in list.enumerated() {
            DataGenOut.set(lua, i + 1) {
                DataGenOut.table(lua, array: spans.count)
                for (k, s) in spans.enumerated() {
                    DataGenOut.set(lua, k + 1) {
                        DataGenOut.table(lua, fields: 3)
                        DataGenOut.set(lua, "start") { lua.push(s.start + 1) }
                        DataGenOut.set(lua, "stop") { lua.push(s.end + 1) }
                        DataGenOut.set(lua, "type") { lua.push(s.type) }
                    }
                }
            }
        }
    }

    static let allowed = ["n", "seed", "split"]

    static let bindings: [BindingEntry] = [
        DataGenBindings.entry("failure_logs") { lua in
            let o = try DataGenOptions(lua, "failure_logs", allowed: allowed)
            let set = try FailureLogs.generate(corpusOptions(o, defaultCount: 1000))
            DataGenOut.table(lua, fields: 12)
            DataGenOut.set(lua, "texts") { DataGenOut.strings(lua, set.texts) }
            try DataGenOut.set(lua, "category") { lua.push(try DataGenOut.ids(set.category)) }
            try DataGenOut.set(lua, "equipment") { lua.push(try DataGenOut.ids(set.equipment)) }
            try DataGenOut.set(lua, "root_cause") { lua.push(try DataGenOut.ids(set.rootCause)) }
            DataGenOut.set(lua, "category_names") { DataGenOut.strings(lua, FailureLogs.categories) }
            DataGenOut.set(lua, "equipment_names") { DataGenOut.strings(lua, FailureLogs.equipment) }
            DataGenOut.set(lua, "root_cause_names") { DataGenOut.strings(lua, FailureLogs.rootCauses) }
            DataGenOut.set(lua, "summaries") { DataGenOut.strings(lua, set.summaries) }
            DataGenOut.set(lua, "entities") { spans(lua, set.entities) }
            try DataGenOut.set(lua, "heldout") { lua.push(try DataGenOut.bools(set.heldOut)) }
            return 1
        },
        DataGenBindings.entry("alarm_messages") { lua in
            let o = try DataGenOptions(lua, "alarm_messages", allowed: allowed)
            let set = try AlarmMessages.generate(corpusOptions(o, defaultCount: 1000))
            DataGenOut.table(lua, fields: 10)
            DataGenOut.set(lua, "texts") { DataGenOut.strings(lua, set.texts) }
            try DataGenOut.set(lua, "severity") { lua.push(try DataGenOut.ids(set.severity)) }
            try DataGenOut.set(lua, "type") { lua.push(try DataGenOut.ids(set.type)) }
            try DataGenOut.set(lua, "equipment") { lua.push(try DataGenOut.ids(set.equipment)) }
            DataGenOut.set(lua, "severity_names") { DataGenOut.strings(lua, AlarmMessages.severities) }
            DataGenOut.set(lua, "type_names") { DataGenOut.strings(lua, AlarmMessages.types) }
            DataGenOut.set(lua, "equipment_names") { DataGenOut.strings(lua, FailureLogs.equipment) }
            DataGenOut.set(lua, "actions") { DataGenOut.strings(lua, set.actions) }
            try DataGenOut.set(lua, "heldout") { lua.push(try DataGenOut.bools(set.heldOut)) }
            return 1
        },
        DataGenBindings.entry("test_programs") { lua in
            let o = try DataGenOptions(lua, "test_programs", allowed: ["n", "seed"])
            var options = TextCorpusOptions()
            options.count = try o.integer("n", 200)
            options.seed = try o.seed()
            let set = try TestPrograms.generate(options)
            DataGenOut.table(lua, fields: 3)
            DataGenOut.set(lua, "texts") { DataGenOut.strings(lua, set.texts) }
            DataGenOut.set(lua, "names") { DataGenOut.strings(lua, set.names) }
            DataGenOut.set(lua, "test_counts") { lua.push(set.testCounts) }
            return 1
        },
        DataGenBindings.entry("instructions") { lua in
            let o = try DataGenOptions(lua, "instructions", allowed: allowed)
            let set = try Instructions.generate(corpusOptions(o, defaultCount: 1000))
            DataGenOut.table(lua, fields: 8)
            DataGenOut.set(lua, "instructions") { DataGenOut.strings(lua, set.instructions) }
            DataGenOut.set(lua, "responses") { DataGenOut.strings(lua, set.responses) }
            DataGenOut.set(lua, "rejected") { DataGenOut.strings(lua, set.rejected) }
            try DataGenOut.set(lua, "unsafe") { lua.push(try DataGenOut.bools(set.unsafe)) }
            try DataGenOut.set(lua, "task") { lua.push(try DataGenOut.ids(set.task)) }
            DataGenOut.set(lua, "task_names") { DataGenOut.strings(lua, Instructions.tasks) }
            try DataGenOut.set(lua, "heldout") { lua.push(try DataGenOut.bools(set.heldOut)) }
            return 1
        },
        DataGenBindings.entry("parallel_corpus") { lua in
            let op = "parallel_corpus"
            let o = try DataGenOptions(lua, op, allowed: allowed + ["target"])
            let name = try o.string("target", "tessic")
            guard let target = ParallelCorpus.Target(rawValue: name) else {
                throw EngineError(op, "option target: expected \"tessic\" or \"legacy\"; got \"\(name)\"")
            }
            let set = try ParallelCorpus.generate(corpusOptions(o, defaultCount: 1000), target: target)
            DataGenOut.table(lua, fields: 6)
            DataGenOut.set(lua, "source") { DataGenOut.strings(lua, set.source) }
            DataGenOut.set(lua, "target") { DataGenOut.strings(lua, set.target) }
            try DataGenOut.set(lua, "pattern") { lua.push(try DataGenOut.ids(set.pattern)) }
            try DataGenOut.set(lua, "heldout") { lua.push(try DataGenOut.bools(set.heldOut)) }
            DataGenOut.set(lua, "source_lang") { lua.push("en") }
            DataGenOut.set(lua, "target_lang") { lua.push(name) }
            return 1
        },
    ]
}
