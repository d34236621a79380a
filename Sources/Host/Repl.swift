import Bindings
import CLuaShim
import CReadline
import Foundation

/// The interactive prompt: GNU readline editing, persistent history, completion, multi-line
/// input, auto-printed values, `?name` help, `:reload`, Ctrl-C and Ctrl-D. The evaluation
/// itself lives in lumen/repl.lua.
struct Repl {
    let state: LuaState

    /// `$LUMEN_HISTORY`, else `~/.lumen_history`.
    static var historyPath: String {
        if let path = ProcessInfo.processInfo.environment["LUMEN_HISTORY"], !path.isEmpty { return path }
        return NSHomeDirectory() + "/.lumen_history"
    }

    func run() {
        Repl.current = state
        lumen_set_idle_interrupt { lumen_readline_interrupt() }
        lumen_completion_install { text in
            guard let text, let state = Repl.current else { return }
            Repl.complete(state, String(cString: text))
        }
        let history = Repl.historyPath
        lumen_history_load(history)
        state.run("repl = require 'lumen.repl'")
        print("Lumen \(version) — Lua 5.4 with tensors. ?name for help, :reload to reload hot modules, Ctrl-D to quit.")
        var buffer = ""
        while true {
            var interrupted: Int32 = 0
            guard let raw = lumen_readline(buffer.isEmpty ? "> " : ">> ", &interrupted) else {
                if interrupted != 0 { buffer = ""; continue }
                print("")
                break
            }
            let line = String(cString: raw)
            free(raw)
            if !line.trimmingCharacters(in: .whitespaces).isEmpty { lumen_history_add(line, history) }
            if buffer.isEmpty, let command = commandOf(line) {
                if command == "quit" { break }
                continue
            }
            // Like IPython's autoreload: changed hot modules reload before each new input runs.
            if buffer.isEmpty { poll() }
            buffer += buffer.isEmpty ? line : "\n" + line
            if buffer.trimmingCharacters(in: .whitespaces).isEmpty { buffer = ""; continue }
            let outcome = state.evaluate("return repl.eval(\(LuaTestRunner.luaString(buffer)))")
            switch outcome {
            case .success(let values) where values.first == "incomplete":
                continue
            case .failure(let error):
                report(error.message)
            default:
                break
            }
            buffer = ""
        }
        lumen_history_trim(history, 10_000)
    }

    /// Handles `?name`, `:reload`, `:quit`, `:help`; returns nil for ordinary input.
    private func commandOf(_ line: String) -> String? {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("?") {
            state.run("repl.help(\(LuaTestRunner.luaString(String(trimmed.dropFirst()))))")
            return "help"
        }
        switch trimmed {
        case ":reload":
            if case .error(let message) = state.run("hot.poll(true)") { report(message) }
            return "reload"
        case ":quit", ":q", ":exit":
            return "quit"
        case ":help":
            print("?name  help on a function   :reload  reload hot modules   :quit  exit (or Ctrl-D)")
            return "help"
        default:
            return nil
        }
    }

    /// Reloads changed hot modules before an input runs; errors are reported, never fatal.
    private func poll() {
        if case .error(let message) = state.run("if hot and hot.poll then hot.poll() end", chunkName: "=(hot reload)") {
            report(message)
        }
    }

    nonisolated(unsafe) static var current: LuaState?

    /// Fills readline's candidates from lumen/repl.lua's `complete`.
    static func complete(_ state: LuaState, _ text: String) {
        guard case .success(let values) = state.evaluate(
            "return table.concat(repl.complete(\(LuaTestRunner.luaString(text))), '\\n')") else { return }
        for candidate in (values.first ?? "").split(separator: "\n") {
            lumen_completion_add(String(candidate))
        }
    }
}
