import Foundation

/// What one curriculum script reported through `lumen.notebook` (its `<out>/result.json`), plus how
/// its process ended. The runner never parses a script's printed text.
struct NotebookResult {
    struct Metric { var name: String; var shown: String }
    struct Figure { var file: String; var caption: String }
    struct Check { var name: String; var passed: Bool; var detail: String }
    struct Table { var name: String; var header: [String]; var rows: [[String]] }

    enum Status: String {
        case pass = "PASS", fail = "FAIL", error = "ERROR", timeout = "TIMEOUT"
    }

    let script: NotebookScript
    var title: String
    var status: Status = .error
    var reason = ""
    var seconds = 0.0
    var exitCode: Int32 = 0
    var keyMetrics: [String] = []
    var metrics: [Metric] = []
    var figures: [Figure] = []
    var checks: [Check] = []
    var tables: [Table] = []
    var reportedStatus = "missing"

    init(script: NotebookScript) {
        self.script = script
        self.title = script.slug.replacingOccurrences(of: "_", with: " ")
    }

    /// `name=value` for the metrics the script declared as key (all metrics if it declared none, up to 3).
    var keyMetricSummary: String {
        let names = keyMetrics.isEmpty ? metrics.prefix(3).map(\.name) : keyMetrics
        return names.compactMap { name in metrics.first { $0.name == name }.map { "\(name)=\($0.shown)" } }
            .joined(separator: " ")
    }

    /// Reads `result.json`; a missing or unreadable file leaves the defaults (the status logic reports it).
    mutating func load(from path: String) {
        guard let data = FileManager.default.contents(atPath: path),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return }
        if let t = object["title"] as? String { title = t }
        reportedStatus = object["status"] as? String ?? "missing"
        keyMetrics = object["key_metrics"] as? [String] ?? []
        metrics = (object["metrics"] as? [[String: Any]] ?? []).compactMap { m in
            guard let name = m["name"] as? String else { return nil }
            return Metric(name: name, shown: m["shown"].map { "\($0)" } ?? "")
        }
        figures = (object["figures"] as? [[String: Any]] ?? []).compactMap { f in
            guard let file = f["file"] as? String else { return nil }
            return Figure(file: file, caption: f["caption"] as? String ?? file)
        }
        checks = (object["checks"] as? [[String: Any]] ?? []).compactMap { c in
            guard let name = c["name"] as? String else { return nil }
            return Check(name: name, passed: c["passed"] as? Bool ?? false, detail: c["detail"] as? String ?? "")
        }
        tables = (object["tables"] as? [[String: Any]] ?? []).compactMap { t in
            guard let name = t["name"] as? String, let header = t["header"] as? [Any] else { return nil }
            let rows = (t["rows"] as? [[Any]] ?? []).map { $0.map { "\($0)" } }
            return Table(name: name, header: header.map { "\($0)" }, rows: rows)
        }
    }

    /// Decides the status from the exit code and what the script reported.
    mutating func classify(exitCode: Int32, timedOut: Bool) {
        self.exitCode = exitCode
        let failedChecks = checks.filter { !$0.passed }.map(\.name)
        if timedOut {
            status = .timeout
            reason = "stopped after the time limit"
        } else if !failedChecks.isEmpty {
            status = .fail
            reason = "outcome check failed: " + failedChecks.joined(separator: "; ")
        } else if exitCode != 0 {
            status = .error
            reason = "exited with status \(exitCode) (see output)"
        } else if reportedStatus != "passed" {
            status = .error
            reason = reportedStatus == "missing"
                ? "no result.json: the script does not use notebook.start/finish"
                : "the script ended without nb:finish()"
        } else if checks.isEmpty {
            status = .error
            reason = "the script declared no outcome checks"
        } else {
            status = .pass
        }
    }
}
