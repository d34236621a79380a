import Foundation
import Synchronization

/// The server's counters and histograms, rendered for `GET /metrics` in Prometheus' text format
/// (version 0.0.4). Recorded from handlers and worker threads alike, under one lock.
final class ServeMetrics: Sendable {
    /// Cumulative-bucket histogram (Prometheus `le` buckets plus +Inf).
    struct Histogram {
        let bounds: [Double]
        var counts: [Int]
        var sum = 0.0
        var count = 0

        init(bounds: [Double]) {
            self.bounds = bounds
            counts = Array(repeating: 0, count: bounds.count)
        }

        mutating func observe(_ v: Double) {
            for (i, b) in bounds.enumerated() where v <= b { counts[i] += 1 }
            sum += v
            count += 1
        }

        func render(_ name: String, labels: String, into out: inout String) {
            let prefix = labels.isEmpty ? "" : labels + ","
            for (b, c) in zip(bounds, counts) { out += "\(name)_bucket{\(prefix)le=\"\(format(b))\"} \(c)\n" }
            out += "\(name)_bucket{\(prefix)le=\"+Inf\"} \(count)\n"
            let braces = labels.isEmpty ? "" : "{\(labels)}"
            out += "\(name)_sum\(braces) \(format(sum))\n\(name)_count\(braces) \(count)\n"
        }
    }

    private struct RequestKey: Hashable, Comparable {
        let endpoint: String, method: String, status: Int
        static func < (a: RequestKey, b: RequestKey) -> Bool {
            (a.endpoint, a.method, a.status) < (b.endpoint, b.method, b.status)
        }
    }

    private struct State {
        var requests: [RequestKey: Int] = [:]
        var latency: [String: Histogram] = [:]
        var batchSize = Histogram(bounds: [1, 2, 4, 8, 16, 32, 64, 128])
        var forwardSeconds = Histogram(bounds: ServeMetrics.secondsBounds)
        var inferenceErrors = 0
    }

    static let secondsBounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    private let state = Mutex(State())
    let model: String

    init(model: String) { self.model = model }

    /// One answered HTTP request; `endpoint` is the route pattern (e.g. `/v2/models/{name}/infer`).
    func recordRequest(endpoint: String, method: String, status: Int, seconds: Double) {
        state.withLock {
            $0.requests[RequestKey(endpoint: endpoint, method: method, status: status), default: 0] += 1
            $0.latency[endpoint, default: Histogram(bounds: ServeMetrics.secondsBounds)].observe(seconds)
        }
    }

    /// One forward pass over `requests` batched requests.
    func recordBatch(requests: Int, seconds: Double) {
        state.withLock {
            $0.batchSize.observe(Double(requests))
            $0.forwardSeconds.observe(seconds)
        }
    }

    /// Requests answered with a model error (500).
    func recordInferenceError(count: Int = 1) {
        state.withLock { $0.inferenceErrors += count }
    }

    func render(queueDepth: Int) -> String {
        let s = state.withLock { $0 }
        let model = "model=\"\(escape(self.model))\""
        var out = ""
        out += "# HELP lumen_http_requests_total HTTP requests answered, by route, method and status.\n"
        out += "# TYPE lumen_http_requests_total counter\n"
        for (key, n) in s.requests.sorted(by: { $0.key < $1.key }) {
            out += "lumen_http_requests_total{endpoint=\"\(escape(key.endpoint))\",method=\"\(key.method)\",status=\"\(key.status)\"} \(n)\n"
        }
        out += "# HELP lumen_http_request_duration_seconds Time from request to response, by route.\n"
        out += "# TYPE lumen_http_request_duration_seconds histogram\n"
        for (endpoint, h) in s.latency.sorted(by: { $0.key < $1.key }) {
            h.render("lumen_http_request_duration_seconds", labels: "endpoint=\"\(escape(endpoint))\"", into: &out)
        }
        out += "# HELP lumen_batch_size Requests joined into one forward pass.\n"
        out += "# TYPE lumen_batch_size histogram\n"
        s.batchSize.render("lumen_batch_size", labels: model, into: &out)
        out += "# HELP lumen_forward_duration_seconds Time of one batched forward pass (join, model, postprocess).\n"
        out += "# TYPE lumen_forward_duration_seconds histogram\n"
        s.forwardSeconds.render("lumen_forward_duration_seconds", labels: model, into: &out)
        out += "# HELP lumen_inference_errors_total Requests that failed in the model (HTTP 500).\n"
        out += "# TYPE lumen_inference_errors_total counter\n"
        out += "lumen_inference_errors_total{\(model)} \(s.inferenceErrors)\n"
        out += "# HELP lumen_queue_length Requests waiting for a worker.\n"
        out += "# TYPE lumen_queue_length gauge\n"
        out += "lumen_queue_length{\(model)} \(queueDepth)\n"
        return out
    }

    private func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}

/// Prometheus numbers: integers without a fraction, others in Swift's shortest form.
private func format(_ v: Double) -> String {
    v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : "\(v)"
}
