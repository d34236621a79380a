import Dispatch
import Engine
import Hummingbird

/// The HTTP API: the Open Inference Protocol (KServe v2) routes, `/predict` for plain JSON and
/// `/metrics` for Prometheus. Handlers run on the server's async tasks; inference is handed to
/// the worker threads through the batch queue.
struct ServeRoutes: Sendable {
    let signature: ModelSignature
    let pool: WorkerPool
    let metrics: ServeMetrics
    let maxBodyBytes: Int

    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: ServeMiddleware(metrics: metrics))
        router.get("/v2") { _, _ in
            json(200, #"{"name":"lumen","version":"\#(serveVersion)","extensions":[]}"#)
        }
        router.get("/v2/health/live") { _, _ in json(200, #"{"live":true}"#) }
        router.get("/v2/health/ready") { _, _ in json(200, #"{"ready":true}"#) }
        router.get("/v2/models/{name}") { _, context in
            try checkModel(context)
            return json(200, signature.metadataJSON())
        }
        router.get("/v2/models/{name}/ready") { _, context in
            try checkModel(context)
            var w = JSONWriter()
            w.raw("{")
            w.key("name", first: true)
            w.string(signature.name)
            w.raw(",\"ready\":true}")
            return json(200, w.bytes)
        }
        router.post("/v2/models/{name}/infer") { request, context in
            try checkModel(context)
            let infer = try InferRequest(try await body(request), signature: signature)
            let outputs = try select(try await run(infer.inputs), infer.requestedOutputs)
            return json(200, try ResponseEncoding.infer(model: signature.name, id: infer.id, outputs: outputs))
        }
        router.post("/predict") { request, _ in
            let predict = try PredictRequest(try await body(request), signature: signature)
            let outputs = try await run(predict.inputs)
            return json(200, try ResponseEncoding.predict(outputs, form: predict.form))
        }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: metrics.render(queueDepth: pool.queue.depth))))
        }
        return router
    }

    private func checkModel(_ context: BasicRequestContext) throws {
        let name = context.parameters.get("name") ?? ""
        guard name == signature.name else {
            throw ServeError(status: 404, message: "unknown model \"\(name)\"; this server serves \"\(signature.name)\"")
        }
    }

    /// The request body parsed as JSON, refusing bodies over `maxBodyBytes` (413).
    private func body(_ request: Request) async throws -> JSONValue {
        let tooLarge = ServeError(status: 413, message: "request body is larger than the limit of \(maxBodyBytes) bytes (--max-body-bytes)")
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxBodyBytes { throw tooLarge }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maxBodyBytes)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw tooLarge
        }
        do {
            return try JSONReader.parse(Array(buffer.readableBytesView), maxDepth: maxJSONDepth)
        } catch let error as JSONError {
            throw ServeError.badRequest("malformed JSON at byte \(error.offset): \(error.message)")
        }
    }

    /// Queues the inputs for the workers and waits for this request's slice of the outputs.
    private func run(_ inputs: DecodedInputs) async throws -> [NamedTensor] {
        try await withCheckedThrowingContinuation { continuation in
            let job = InferenceJob(inputs: inputs, continuation: continuation)
            if !pool.queue.submit(job) {
                job.finish(.failure(ServeError(status: 503, message: "the server is shutting down")))
            }
        }
    }

    private func select(_ outputs: [NamedTensor], _ names: [String]?) throws -> [NamedTensor] {
        guard let names else { return outputs }
        return try names.map { name in
            guard let match = outputs.first(where: { $0.name == name }) else {
                throw ServeError.badRequest("the model has no output \"\(name)\" (its outputs: \(outputs.map(\.name).joined(separator: ", ")))")
            }
            return match
        }
    }
}

let serveVersion = "0.1.0"

/// Deepest JSON nesting a request body may use (the engine reader's default of 64 is tighter than
/// the server has always accepted).
let maxJSONDepth = 128

func json(_ status: Int, _ text: String) -> Response {
    json(status, Array(text.utf8))
}

func json(_ status: Int, _ bytes: [UInt8]) -> Response {
    Response(status: .init(code: status), headers: [.contentType: "application/json"],
             body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
}

/// Turns every failure into a JSON `{"error": ...}` response with the right status, and counts
/// each answered request (route pattern, method, status, latency) for `/metrics`.
struct ServeMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServeMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = DispatchTime.now().uptimeNanoseconds
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as ServeError {
            response = json(error.status, JSONWriter.error(error.message))
        } catch let error as HTTPError where error.status == .notFound {
            response = json(404, JSONWriter.error("no route for \(request.method) \(request.uri.path) (routes: /v2/health/live, /v2/health/ready, /v2/models/{name}, /v2/models/{name}/ready, /v2/models/{name}/infer, /predict, /metrics)"))
        } catch let error as any HTTPResponseError {
            response = json(error.status.code, JSONWriter.error("\(error)"))
        } catch {
            response = json(500, JSONWriter.error("internal error: \(error)"))
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        metrics.recordRequest(endpoint: context.endpointPath ?? "unmatched", method: "\(request.method)",
                              status: response.status.code, seconds: seconds)
        return response
    }
}
