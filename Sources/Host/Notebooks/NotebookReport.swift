import Foundation

/// The browsable report of a `lumen notebooks` run: `<out>/index.html` (one row per script) linking
/// `<out>/<id>/index.html` (output, metrics, checks, tables, figures). Static files with relative
/// links, so it opens from the file system without a server.
enum NotebookReport {
    /// Writes all pages; returns the path of the index.
    static func write(_ results: [NotebookResult], options: NotebookRunner.Options) throws -> String {
        for result in results {
            let page = options.out + "/" + result.script.id + "/index.html"
            try scriptPage(result, outputPath: options.out + "/" + result.script.id + "/output.txt")
                .write(toFile: page, atomically: true, encoding: .utf8)
        }
        let index = options.out + "/index.html"
        try indexPage(results, quick: options.quick).write(toFile: index, atomically: true, encoding: .utf8)
        return index
    }

    static func escape(_ text: String) -> String {
        var s = ""
        s.reserveCapacity(text.count)
        for c in text {
            switch c {
            case "&": s += "&amp;"
            case "<": s += "&lt;"
            case ">": s += "&gt;"
            case "\"": s += "&quot;"
            default: s.append(c)
            }
        }
        return s
    }

    static let style = """
    <style>
    body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1100px;
           color: #222; padding: 0 1em; }
    h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }
    table { border-collapse: collapse; margin: 0.5em 0; } td, th { border: 1px solid #ccc; padding: 4px 10px; }
    th { background: #f3f3f3; text-align: left; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
    .PASS { color: #fff; background: #2e7d32; } .FAIL, .ERROR, .TIMEOUT { color: #fff; background: #c62828; }
    span.status { padding: 2px 8px; border-radius: 4px; font-weight: bold; font-size: 0.9em; }
    pre { background: #f7f7f7; border: 1px solid #e3e3e3; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
    figure { display: inline-block; margin: 0.5em; vertical-align: top; text-align: center; }
    figure img { max-width: 520px; border: 1px solid #ddd; } figcaption { font-size: 0.9em; color: #555; }
    .muted { color: #777; }
    </style>
    """

    static func statusBadge(_ status: NotebookResult.Status) -> String {
        "<span class=\"status \(status.rawValue)\">\(status.rawValue)</span>"
    }

    static func indexPage(_ results: [NotebookResult], quick: Bool) -> String {
        let passed = results.filter { $0.status == .pass }.count
        var html = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Lumen curriculum report</title>\(style)"
            + "</head><body>\n<h1>Lumen curriculum report</h1>\n"
        html += "<p>\(passed)/\(results.count) scripts passed · \(quick ? "quick" : "full") mode · "
            + "\(escape(ISO8601DateFormatter().string(from: Date())))</p>\n"
        html += "<table><tr><th>id</th><th>title</th><th>status</th><th>key metrics</th><th>checks</th>"
            + "<th>figures</th><th>seconds</th></tr>\n"
        for r in results {
            let checks = "\(r.checks.filter(\.passed).count)/\(r.checks.count)"
            let detail = r.status == .pass ? r.keyMetricSummary : r.reason
            html += "<tr><td>\(r.script.id)</td><td><a href=\"\(r.script.id)/index.html\">\(escape(r.title))</a></td>"
                + "<td>\(statusBadge(r.status))</td><td>\(escape(detail))</td><td class=\"num\">\(checks)</td>"
                + "<td class=\"num\">\(r.figures.count)</td>"
                + "<td class=\"num\">\(String(format: "%.1f", r.seconds))</td></tr>\n"
        }
        html += "</table>\n</body></html>\n"
        return html
    }

    static func scriptPage(_ r: NotebookResult, outputPath: String) -> String {
        var html = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>\(r.script.id) \(escape(r.title))</title>"
            + "\(style)</head><body>\n<p><a href=\"../index.html\">← all scripts</a></p>\n"
        html += "<h1>\(r.script.id) · \(escape(r.title)) \(statusBadge(r.status))</h1>\n"
        html += "<p class=\"muted\">\(escape(r.script.path)) · \(String(format: "%.1f", r.seconds)) s · exit status "
            + "\(r.exitCode)\(r.reason.isEmpty ? "" : " · " + escape(r.reason))</p>\n"
        if !r.checks.isEmpty {
            html += "<h2>Outcome checks</h2>\n<table><tr><th>check</th><th>result</th><th>measured</th></tr>\n"
            for c in r.checks {
                let status: NotebookResult.Status = c.passed ? .pass : .fail
                html += "<tr><td>\(escape(c.name))</td><td>\(statusBadge(status))</td><td>\(escape(c.detail))</td></tr>\n"
            }
            html += "</table>\n"
        }
        if !r.figures.isEmpty {
            html += "<h2>Figures</h2>\n"
            for f in r.figures {
                let file = escape(f.file)
                html += "<figure><a href=\"\(file)\"><img src=\"\(file)\" alt=\"\(escape(f.caption))\"></a>"
                    + "<figcaption>\(escape(f.caption))</figcaption></figure>\n"
            }
        }
        if !r.metrics.isEmpty {
            html += "<h2>Metrics</h2>\n<table><tr><th>metric</th><th>value</th></tr>\n"
            for m in r.metrics {
                let key = r.keyMetrics.contains(m.name) ? " <b>(key)</b>" : ""
                html += "<tr><td>\(escape(m.name))\(key)</td><td class=\"num\">\(escape(m.shown))</td></tr>\n"
            }
            html += "</table>\n"
        }
        for t in r.tables {
            html += "<h2>\(escape(t.name))</h2>\n<table><tr>" + t.header.map { "<th>\(escape($0))</th>" }.joined()
                + "</tr>\n"
            for row in t.rows { html += "<tr>" + row.map { "<td>\(escape($0))</td>" }.joined() + "</tr>\n" }
            html += "</table>\n"
        }
        html += "<h2>Output</h2>\n<pre>\(escape(outputTail(outputPath)))</pre>\n</body></html>\n"
        return html
    }

    /// The script's printed output, keeping the last 400 KB of a very long one.
    static func outputTail(_ path: String) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "(no output)" }
        let limit = 400_000
        if data.count <= limit { return String(decoding: data, as: UTF8.self) }
        return "[... \(data.count - limit) earlier bytes omitted ...]\n"
            + String(decoding: data.suffix(limit), as: UTF8.self)
    }
}
