import Foundation

/// The command line of `lumen serve`.
struct ServeOptions {
    var modelPath = ""
    var weights: String? = nil
    var host = "127.0.0.1"
    var port = 8080
    var workers = 2
    var maxBatch = 8
    var batchWindowMilliseconds = 2.0
    var name: String? = nil
    var maxBodyBytes = 16 << 20

    static let usage = """
    usage: lumen serve MODEL.lua [options]

    Serves the model that MODEL.lua returns (an nn.Module, or a table {model=, preprocess=,
    postprocess=, inputs=, outputs=}) over HTTP: the Open Inference Protocol (KServe v2) under
    /v2, plain JSON at /predict, Prometheus metrics at /metrics.

      --weights FILE         load a safetensors state dict into the model
      --host ADDRESS         address to listen on (default 127.0.0.1)
      --port N               port (default 8080; 0 picks a free one)
      --workers N            inference threads, each with its own Lua state (default 2)
      --max-batch N          requests joined into one forward pass (default 8; 1 = no batching)
      --batch-window-ms N    how long the oldest request waits for others to join (default 2)
      --name NAME            model name in URLs (default: MODEL.lua's file name without .lua)
      --max-body-bytes N     largest request body accepted (default 16777216; larger -> 413)

    exit status: 0 after a graceful shutdown (SIGINT/SIGTERM), 2 for a usage or start-up error
    """

    struct UsageError: Error, CustomStringConvertible {
        let description: String
    }

    static func parse(_ arguments: [String]) throws -> ServeOptions {
        var options = ServeOptions()
        var i = 0
        func value(_ flag: String) throws -> String {
            guard i + 1 < arguments.count else { throw UsageError(description: "\(flag) needs a value") }
            i += 1
            return arguments[i]
        }
        func integer(_ flag: String, _ range: ClosedRange<Int>) throws -> Int {
            let text = try value(flag)
            guard let n = Int(text), range.contains(n) else {
                throw UsageError(description: "\(flag) expects an integer in \(range.lowerBound)...\(range.upperBound); got \"\(text)\"")
            }
            return n
        }
        var model: String? = nil
        while i < arguments.count {
            let a = arguments[i]
            switch a {
            case "--weights": options.weights = try value(a)
            case "--host": options.host = try value(a)
            case "--port": options.port = try integer(a, 0...65535)
            case "--workers": options.workers = try integer(a, 1...64)
            case "--max-batch": options.maxBatch = try integer(a, 1...4096)
            case "--batch-window-ms":
                let text = try value(a)
                guard let ms = Double(text), ms >= 0, ms <= 10_000 else {
                    throw UsageError(description: "--batch-window-ms expects a number of milliseconds in 0...10000; got \"\(text)\"")
                }
                options.batchWindowMilliseconds = ms
            case "--name":
                let name = try value(a)
                let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))
                guard !name.isEmpty, name.unicodeScalars.allSatisfy(allowed.contains) else {
                    throw UsageError(description: "--name must be letters, digits, '-', '_' or '.'; got \"\(name)\"")
                }
                options.name = name
            case "--max-body-bytes": options.maxBodyBytes = try integer(a, 1...(1 << 40))
            default:
                if a.hasPrefix("-") { throw UsageError(description: "unknown option \(a)") }
                if model != nil { throw UsageError(description: "one model file expected; got \(model!) and \(a)") }
                model = a
            }
            i += 1
        }
        guard let model else { throw UsageError(description: "missing MODEL.lua") }
        options.modelPath = model
        return options
    }

    /// The model's name in URLs: `--name`, else the model file's name without its extension.
    var modelName: String {
        name ?? URL(fileURLWithPath: modelPath).deletingPathExtension().lastPathComponent
    }
}
