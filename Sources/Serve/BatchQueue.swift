import Dispatch
import Foundation

/// One queued request: its inputs and the continuation its HTTP handler awaits.
final class InferenceJob: @unchecked Sendable {
    let inputs: DecodedInputs
    let enqueuedAt: UInt64
    private let continuation: CheckedContinuation<[NamedTensor], any Error>

    init(inputs: DecodedInputs, continuation: CheckedContinuation<[NamedTensor], any Error>) {
        self.inputs = inputs
        self.enqueuedAt = DispatchTime.now().uptimeNanoseconds
        self.continuation = continuation
    }

    /// Resumes the waiting handler (exactly once per job).
    func finish(_ result: Result<[NamedTensor], any Error>) { continuation.resume(with: result) }
}

/// The queue between the HTTP handlers (async) and the worker threads (blocking). A worker
/// takes the oldest request and, for up to `window` after that request arrived, gathers up to
/// `maxBatch` requests with the same per-sample shapes. One worker gathers at a time, so
/// concurrent requests end up in one batch rather than spread thinly over idle workers.
final class BatchQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending: [InferenceJob] = []
    private var gathering = false
    private var closed = false
    let maxBatch: Int
    let windowNanoseconds: UInt64

    init(maxBatch: Int, windowMilliseconds: Double) {
        self.maxBatch = max(1, maxBatch)
        self.windowNanoseconds = UInt64(max(0, windowMilliseconds) * 1_000_000)
    }

    /// Queues `job`; false once the queue is closed (the server is shutting down).
    func submit(_ job: InferenceJob) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if closed { return false }
        pending.append(job)
        condition.broadcast()
        return true
    }

    /// Requests waiting for a worker.
    var depth: Int {
        condition.lock()
        defer { condition.unlock() }
        return pending.count
    }

    /// Blocks until a batch is ready (1...maxBatch jobs with equal keys, oldest first). Returns
    /// nil once the queue is closed and empty.
    func nextBatch() -> [InferenceJob]? {
        condition.lock()
        defer { condition.unlock() }
        while pending.isEmpty || gathering {
            if closed && pending.isEmpty { return nil }
            condition.wait()
        }
        gathering = true
        defer {
            gathering = false
            condition.broadcast()
        }
        let first = pending.removeFirst()
        var batch = [first]
        let deadline = first.enqueuedAt + windowNanoseconds
        while true {
            var i = 0
            while batch.count < maxBatch && i < pending.count {
                if pending[i].inputs.key == first.inputs.key {
                    batch.append(pending.remove(at: i))
                } else {
                    i += 1
                }
            }
            let now = DispatchTime.now().uptimeNanoseconds
            if batch.count >= maxBatch || now >= deadline || closed { break }
            _ = condition.wait(until: Date(timeIntervalSinceNow: Double(deadline - now) / 1e9))
        }
        return batch
    }

    /// Stops accepting jobs; workers drain what is queued, then `nextBatch` returns nil.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
