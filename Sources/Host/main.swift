// The `lumen` executable: run Lua scripts and the REPL on the Lumen engine.
import Bindings
import Foundation
import Serve

let version = "0.1.0"

let usage = """
usage: lumen [options] [script.lua [args...]]
       lumen test [files or folders...]
       lumen notebooks [IDS...] [--quick] [--out DIR]
       lumen serve MODEL.lua [--weights FILE] [--port N] ...   (lumen serve --help)

  (no arguments)     start the interactive REPL
  script.lua [args]  run a script; its arguments are in the Lua table `arg`
  -e CODE            run CODE (may be repeated; runs before a script)
  -i                 enter the REPL after running the script / -e code
  test [paths]       run Lua test files (default: Tests/lua)
  notebooks [IDS]    run the curriculum scripts, print a summary, write an HTML report
                     (lumen notebooks --help for its options)
  serve MODEL.lua    serve a model over HTTP (Open Inference Protocol, /predict, /metrics)
  -h, --help         show this help
  -v, --version      show the version

exit status: 0 ok, 1 script error, 2 usage error
"""

/// What the command line asks for.
struct Invocation {
    var code: [String] = []
    var script: String? = nil
    var scriptArguments: [String] = []
    var interactive = false
}

func fail(usage message: String) -> Never {
    FileHandle.standardError.write(Data("lumen: \(message)\n\(usage)\n".utf8))
    exit(2)
}

func parse(_ arguments: [String]) -> Invocation {
    var invocation = Invocation()
    var i = 0
    while i < arguments.count {
        let a = arguments[i]
        switch a {
        case "-h", "--help":
            print(usage)
            exit(0)
        case "-v", "--version":
            print("lumen \(version) (Lua 5.4, OpenBLAS)")
            exit(0)
        case "-e":
            guard i + 1 < arguments.count else { fail(usage: "-e needs an argument") }
            invocation.code.append(arguments[i + 1])
            i += 2
            continue
        case "-i":
            invocation.interactive = true
        case "--":
            if i + 1 < arguments.count {
                invocation.script = arguments[i + 1]
                invocation.scriptArguments = Array(arguments[(i + 2)...])
            }
            return invocation
        default:
            if a.hasPrefix("-") && a != "-" { fail(usage: "unknown option \(a)") }
            invocation.script = a
            invocation.scriptArguments = Array(arguments[(i + 1)...])
            return invocation
        }
        i += 1
    }
    return invocation
}

/// Prints a Lua error (message and traceback) to stderr, in red on a terminal.
func report(_ message: String) {
    let colored = isatty(2) != 0 ? "\u{1B}[31m\(message)\u{1B}[0m" : message
    FileHandle.standardError.write(Data("lumen: \(colored)\n".utf8))
}

func makeState() -> LuaState {
    do { return try LuaState() } catch {
        report("\(error)")
        exit(1)
    }
}

var arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "test" {
    let state = makeState()
    exit(LuaTestRunner.run(state, paths: Array(arguments.dropFirst())))
}
if arguments.first == "notebooks" {
    exit(NotebookRunner.main(Array(arguments.dropFirst())))
}

if arguments.first == "serve" {
    exit(ServeCommand.run(arguments: Array(arguments.dropFirst())))
}

let invocation = parse(arguments)
let state = makeState()
state.installInterruptHandler()
for code in invocation.code {
    if case .error(let message) = state.run(code, chunkName: "=(command line)") {
        report(message)
        exit(1)
    }
}
if let script = invocation.script {
    if case .error(let message) = state.runFile(script, arguments: invocation.scriptArguments) {
        report(message)
        exit(1)
    }
}
if invocation.interactive || (invocation.script == nil && invocation.code.isEmpty) {
    Repl(state: state).run()
}
exit(0)
