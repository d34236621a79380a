import Foundation

/// A curriculum script found in the scripts folder: `NNN_slug.lua`.
struct NotebookScript {
    let id: String
    let slug: String
    let path: String
}

/// `lumen notebooks [IDS...] [--quick] [--out DIR] [--scripts DIR] [--timeout SECONDS]`: runs the
/// curriculum scripts, each in its own `lumen` process, prints a summary table and writes an HTML
/// report. Exit status: 0 all passed, 1 any failed, 2 usage error.
enum NotebookRunner {
    static let usage = """
    usage: lumen notebooks [IDS...] [--quick] [--out DIR] [--scripts DIR] [--timeout SECONDS]

      IDS              run only these scripts (e.g. 051 053); default: all in the scripts folder
      --quick          CI-size runs (each script's quick config)
      --out DIR        report folder (default: report); one subfolder per script
      --scripts DIR    where the NNN_slug.lua scripts are (default: scripts)
      --timeout S      stop a script after S seconds (default: none)
    """

    struct Options {
        var ids: [String] = []
        var quick = false
        var out = "report"
        var scriptsFolder = "scripts"
        var timeout: Double? = nil
    }

    static func main(_ arguments: [String]) -> Int32 {
        let options: Options
        let scripts: [NotebookScript]
        do {
            options = try parse(arguments)
            scripts = try select(options)
        } catch {
            FileHandle.standardError.write(Data("lumen notebooks: \(error)\n".utf8))
            return 2
        }
        var results: [NotebookResult] = []
        for (k, script) in scripts.enumerated() {
            print("[\(k + 1)/\(scripts.count)] \(script.id) \(script.slug)")
            fflush(nil)
            let result = runOne(script, options: options)
            let line = "      \(result.status.rawValue)  \(String(format: "%.1f s", result.seconds))  "
                + (result.status == .pass ? result.keyMetricSummary : result.reason)
            print(line)
            fflush(nil)
            results.append(result)
        }
        printSummary(results)
        do {
            let index = try NotebookReport.write(results, options: options)
            print("report: \(index)")
        } catch {
            FileHandle.standardError.write(Data("lumen notebooks: could not write the report: \(error)\n".utf8))
            return 1
        }
        return results.allSatisfy { $0.status == .pass } ? 0 : 1
    }

    struct UsageError: Error, CustomStringConvertible {
        let description: String
    }

    static func parse(_ arguments: [String]) throws -> Options {
        var options = Options()
        var i = 0
        func value(_ flag: String) throws -> String {
            guard i + 1 < arguments.count else { throw UsageError(description: "\(flag) needs a value\n\(usage)") }
            i += 1
            return arguments[i]
        }
        while i < arguments.count {
            let a = arguments[i]
            switch a {
            case "--quick": options.quick = true
            case "--out": options.out = try value(a)
            case "--scripts": options.scriptsFolder = try value(a)
            case "--timeout":
                let text = try value(a)
                guard let seconds = Double(text), seconds > 0 else {
                    throw UsageError(description: "--timeout expects a positive number of seconds; got \(text)")
                }
                options.timeout = seconds
            case "-h", "--help":
                print(usage)
                exit(0)
            default:
                if a.hasPrefix("-") { throw UsageError(description: "unknown option \(a)\n\(usage)") }
                options.ids.append(a)
            }
            i += 1
        }
        return options
    }

    /// The scripts to run, in id order: all `NNN_*.lua` files, or those whose name starts with a given id.
    static func select(_ options: Options) throws -> [NotebookScript] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: options.scriptsFolder) else {
            throw UsageError(description: "cannot read the scripts folder \(options.scriptsFolder) "
                + "(run from the project root or pass --scripts DIR)")
        }
        let all = names.sorted().compactMap { name -> NotebookScript? in
            guard name.hasSuffix(".lua"), let underscore = name.firstIndex(of: "_") else { return nil }
            let id = String(name[..<underscore])
            guard !id.isEmpty, id.allSatisfy(\.isNumber) else { return nil }
            let slug = String(name[name.index(after: underscore)...].dropLast(4))
            return NotebookScript(id: id, slug: slug, path: options.scriptsFolder + "/" + name)
        }
        if all.isEmpty { throw UsageError(description: "no NNN_slug.lua scripts in \(options.scriptsFolder)") }
        if options.ids.isEmpty { return all }
        return try options.ids.map { id in
            guard let script = all.first(where: { $0.id == id || "\($0.id)_\($0.slug)".hasPrefix(id) }) else {
                throw UsageError(description: "no script with id \(id); available: "
                    + all.map(\.id).joined(separator: " "))
            }
            return script
        }
    }

    /// Path of the running `lumen` executable, so children run the same build.
    static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// Runs one script in a child process with its output going to `<out>/<id>/output.txt`; on a
    /// terminal, one status line shows the elapsed time and the script's latest output line.
    static func runOne(_ script: NotebookScript, options: Options) -> NotebookResult {
        var result = NotebookResult(script: script)
        let folder = options.out + "/" + script.id
        let outputPath = folder + "/output.txt"
        let fileManager = FileManager.default
        try? fileManager.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try? fileManager.removeItem(atPath: folder + "/result.json")
        guard fileManager.createFile(atPath: outputPath, contents: nil),
            let output = FileHandle(forWritingAtPath: outputPath)
        else {
            result.reason = "cannot write \(outputPath)"
            return result
        }
        defer { try? output.close() }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executablePath)
        process.arguments = [script.path] + (options.quick ? ["--quick"] : []) + ["--out", folder]
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        let started = Date()
        do { try process.run() } catch {
            result.reason = "could not start \(executablePath): \(error)"
            return result
        }
        let live = isatty(1) != 0
        var timedOut = false
        while process.isRunning {
            usleep(200_000)
            let elapsed = Date().timeIntervalSince(started)
            if let limit = options.timeout, elapsed > limit {
                timedOut = true
                process.terminate()
                process.waitUntilExit()
                break
            }
            if live { showStatus(elapsed: elapsed, lastLine: lastLine(of: outputPath)) }
        }
        process.waitUntilExit()
        if live { print("\r\u{1B}[K", terminator: "") }
        result.seconds = Date().timeIntervalSince(started)
        result.load(from: folder + "/result.json")
        result.classify(exitCode: process.terminationStatus, timedOut: timedOut)
        return result
    }

    private static func showStatus(elapsed: Double, lastLine: String) {
        let shown = String(lastLine.prefix(70))
        print("\r\u{1B}[K      \(String(format: "%5.1f s", elapsed))  \(shown)", terminator: "")
        fflush(nil)
    }

    /// The last non-empty line of a (growing) file, reading only its tail.
    private static func lastLine(of path: String) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "" }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: size > 4096 ? size - 4096 : 0)
        let tail = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        return tail.split(whereSeparator: \.isNewline).last.map(String.init) ?? ""
    }

    /// One row per script: id, title, status, key metrics, seconds.
    static func printSummary(_ results: [NotebookResult]) {
        let rows = results.map { r in
            [r.script.id, r.title, r.status.rawValue, r.status == .pass ? r.keyMetricSummary : r.reason,
             String(format: "%.1f", r.seconds)]
        }
        let header = ["id", "title", "status", "key metrics", "seconds"]
        var widths = header.map(\.count)
        for row in rows { for (c, cell) in row.enumerated() { widths[c] = max(widths[c], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { c, cell in
                c == cells.count - 1 ? String(repeating: " ", count: widths[c] - cell.count) + cell
                    : cell + String(repeating: " ", count: widths[c] - cell.count)
            }.joined(separator: "  ")
        }
        print("")
        print(line(header))
        print(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        for row in rows { print(line(row)) }
        let passed = results.filter { $0.status == .pass }.count
        let total = results.reduce(0) { $0 + $1.seconds }
        print("\(passed)/\(results.count) passed in \(String(format: "%.1f", total)) s")
    }
}
