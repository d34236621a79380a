import Dispatch
import Engine
import Foundation

/// The inference workers: each is a dedicated thread owning one Lua state with its own copy of
/// the model, so no Lua state is ever touched by two threads. Workers pull batches from the
/// shared `BatchQueue`, concatenate the requests along the batch dim, run one forward and cut
/// the outputs back into per-request pieces.
final class WorkerPool: @unchecked Sendable {
    let queue: BatchQueue
    private let metrics: ServeMetrics
    private let stopped = DispatchGroup()

    /// Written by a worker thread before it signals its start-up semaphore.
    private final class StartupOutcome: @unchecked Sendable {
        var result: Result<ModelSignature, StartupError> = .failure(StartupError("worker did not start"))
    }

    private init(queue: BatchQueue, metrics: ServeMetrics) {
        self.queue = queue
        self.metrics = metrics
    }

    /// Starts `count` workers one after another (each loads the model file and weights on its
    /// own thread). The first also checks the model on a sample batch and completes the
    /// signature. Any failure stops the started workers and is thrown.
    static func start(count: Int, modelPath: String, weights: String?, name: String,
                      queue: BatchQueue, metrics: ServeMetrics) throws(StartupError) -> (WorkerPool, ModelSignature) {
        let pool = WorkerPool(queue: queue, metrics: metrics)
        var signature: ModelSignature? = nil
        for index in 0..<max(1, count) {
            let outcome = StartupOutcome()
            let ready = DispatchSemaphore(value: 0)
            pool.stopped.enter()
            let thread = Thread {
                defer { pool.stopped.leave() }
                let model: LuaModel
                do throws(StartupError) {
                    model = try LuaModel(path: modelPath, weights: weights)
                    var found = ModelSignature(name: name, inputs: model.declared.inputs, outputs: model.declared.outputs)
                    if index == 0 { try WorkerPool.check(model, &found) }
                    outcome.result = .success(found)
                } catch {
                    outcome.result = .failure(error)
                    ready.signal()
                    return
                }
                ready.signal()
                while let batch = queue.nextBatch() { pool.run(batch, on: model) }
            }
            thread.name = "lumen-worker-\(index + 1)"
            thread.stackSize = 16 << 20
            thread.start()
            ready.wait()
            switch outcome.result {
            case .success(let found): if signature == nil { signature = found }
            case .failure(let error):
                pool.shutdown()
                throw error
            }
        }
        return (pool, signature!)
    }

    /// Runs the model once on a batch of 2 zero samples when the declared inputs fix every
    /// per-sample size: a model that cannot serve its own declared inputs fails at start-up,
    /// and undeclared outputs get their names, datatypes and shapes from the result.
    private static func check(_ model: LuaModel, _ signature: inout ModelSignature) throws(StartupError) {
        let sample: [Tensor]?
        do { sample = try signature.sampleInputs() } catch { throw StartupError("\(error)") }
        guard let sample else { return }
        let shapes = sample.map { wireShape($0.shape) }.joined(separator: ", ")
        switch model.forward(sample) {
        case .failure(let error):
            throw StartupError("the model fails on a batch of zeros shaped like its declared inputs (\(shapes)): \(error.message)")
        case .success(let outputs):
            var found: [TensorSpec] = []
            for output in outputs {
                guard output.tensor.rank >= 1, output.tensor.shape[0] == 2 else {
                    throw StartupError("output \"\(output.name)\" has shape \(wireShape(output.tensor.shape)) for a batch of 2 samples (\(shapes)); outputs need the batch as their first dim")
                }
                found.append(TensorSpec(name: output.name, datatype: WireType(output.tensor.dtype),
                                        shape: [-1] + output.tensor.shape.dropFirst()))
            }
            if let declared = signature.outputs {
                for (d, f) in zip(declared, found) where d.datatype != f.datatype {
                    throw StartupError("output \"\(d.name)\" is declared \(d.datatype.rawValue) but the model returns \(f.datatype.rawValue)")
                }
            } else {
                signature.outputs = found
            }
        }
    }

    /// One batch on this worker's model; every job in it is finished exactly once.
    private func run(_ batch: [InferenceJob], on model: LuaModel, retry: Bool = true) {
        let started = DispatchTime.now().uptimeNanoseconds
        let total = batch.reduce(0) { $0 + $1.inputs.batch }
        let inputs: [Tensor]
        do {
            inputs = batch.count == 1 ? batch[0].inputs.tensors : try batch[0].inputs.tensors.indices.map { k in
                try Tensor.cat(batch.map { $0.inputs.tensors[k] }, dim: 0)
            }
        } catch {
            fail(batch, ServeError(status: 500, message: "could not join the batch: \(error)"))
            return
        }
        let result = model.forward(inputs)
        metrics.recordBatch(requests: batch.count, seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
        switch result {
        case .failure(let error):
            // One bad request must not fail its batch-mates: retry each alone to isolate it.
            if batch.count > 1 && retry {
                for job in batch { run([job], on: model, retry: false) }
                return
            }
            fail(batch, ServeError(status: 500, message: "the model raised an error: \(error.message)"))
        case .success(let outputs):
            for output in outputs where output.tensor.rank == 0 || output.tensor.shape[0] != total {
                fail(batch, ServeError(status: 500, message: "model output \"\(output.name)\" has shape \(wireShape(output.tensor.shape)) for a batch of \(total) samples; outputs need the batch as their first dim"))
                return
            }
            var offset = 0
            for job in batch {
                let n = job.inputs.batch
                let pieces = Result<[NamedTensor], any Error> {
                    try outputs.map { NamedTensor(name: $0.name, tensor: try $0.tensor.narrow(dim: 0, start: offset, length: n).contiguous()) }
                }
                job.finish(pieces)
                offset += n
            }
        }
    }

    private func fail(_ batch: [InferenceJob], _ error: ServeError) {
        metrics.recordInferenceError(count: batch.count)
        for job in batch { job.finish(.failure(error)) }
    }

    /// Closes the queue, lets the workers finish what is queued, and waits for their threads.
    func shutdown() {
        queue.close()
        stopped.wait()
    }
}
