import Dispatch
import Foundation
import Hummingbird

/// `lumen serve MODEL.lua [options]`: loads the model into every worker, then serves HTTP until
/// SIGINT/SIGTERM, finishing the requests in flight before it exits.
public enum ServeCommand {
    /// Runs the command; returns the process exit status (0 after a graceful shutdown, 2 for a
    /// usage or start-up error, reported on stderr before anything listens).
    public static func run(arguments: [String]) -> Int32 {
        if arguments.contains("-h") || arguments.contains("--help") {
            print(ServeOptions.usage)
            return 0
        }
        let options: ServeOptions
        do {
            options = try ServeOptions.parse(arguments)
        } catch {
            return fail("\(error)\n\(ServeOptions.usage)")
        }
        for (what, path) in [("model file", options.modelPath), ("weights file", options.weights)] {
            if let path, !FileManager.default.fileExists(atPath: path) { return fail("\(what) not found: \(path)") }
        }

        let name = options.modelName
        let metrics = ServeMetrics(model: name)
        let queue = BatchQueue(maxBatch: options.maxBatch, windowMilliseconds: options.batchWindowMilliseconds)
        let pool: WorkerPool
        let signature: ModelSignature
        do {
            (pool, signature) = try WorkerPool.start(count: options.workers, modelPath: options.modelPath,
                                                     weights: options.weights, name: name, queue: queue, metrics: metrics)
        } catch {
            return fail("cannot serve \(options.modelPath): \(error)")
        }

        let routes = ServeRoutes(signature: signature, pool: pool, metrics: metrics, maxBodyBytes: options.maxBodyBytes)
        let listening = ListeningFlag()
        let summary = "model \"\(name)\" (\(options.workers) worker\(options.workers == 1 ? "" : "s"), max batch \(options.maxBatch), window \(options.batchWindowMilliseconds) ms)"
        let app = Application(
            router: routes.makeRouter(),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "lumen"),
            onServerRunning: { channel in
                listening.set()
                let port = channel.localAddress?.port ?? options.port
                let host = options.host.contains(":") ? "[\(options.host)]" : options.host
                // Unbuffered, so a parent process reading the pipe sees it at once.
                FileHandle.standardOutput.write(Data("lumen serve: \(summary) listening on http://\(host):\(port)\n".utf8))
            }
        )

        let finished = DispatchSemaphore(value: 0)
        let outcome = ErrorBox()
        Task.detached {
            do { try await app.runService() } catch { outcome.error = error }
            finished.signal()
        }
        finished.wait()
        // The server has stopped taking requests and answered those in flight; let the workers
        // drain anything still queued and stop.
        pool.shutdown()
        if let error = outcome.error {
            if !listening.isSet { return fail("cannot listen on \(options.host):\(options.port): \(error)") }
            FileHandle.standardError.write(Data("lumen serve: \(error)\n".utf8))
            return 1
        }
        print("lumen serve: stopped")
        return 0
    }

    private static func fail(_ message: String) -> Int32 {
        FileHandle.standardError.write(Data("lumen serve: \(message)\n".utf8))
        return 2
    }
}

private final class ListeningFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

private final class ErrorBox: @unchecked Sendable {
    var error: (any Error)?
}
