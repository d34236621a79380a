import Engine

/// One request's inputs, ready to join a batch: tensors in the model's input order, each with
/// the request's batch as its first dim.
struct DecodedInputs: @unchecked Sendable {
    var names: [String]
    var tensors: [Tensor]
    var batch: Int
    /// Names and per-sample shapes: only requests with equal keys are batched together.
    var key: String

    init(names: [String], tensors: [Tensor]) throws {
        let batch = tensors.first?.shape.first ?? 0
        for (name, t) in zip(names, tensors) where t.shape.first != batch {
            throw ServeError.badRequest("input \"\(name)\" has batch size \(t.shape.first ?? 0) but input \"\(names[0])\" has \(batch); all inputs need the same first dim")
        }
        self.names = names
        self.tensors = tensors
        self.batch = batch
        key = zip(names, tensors).map { "\($0):\($1.dtype.rawValue)\(wireShape(Array($1.shape.dropFirst())))" }.joined(separator: ";")
    }
}

/// `POST /v2/models/{name}/infer` (Open Inference Protocol):
/// `{"id"?, "inputs": [{"name", "shape", "datatype", "data"}], "outputs"?: [{"name"}]}`.
struct InferRequest {
    var id: String?
    var inputs: DecodedInputs
    /// Output names the client asked for (nil: all).
    var requestedOutputs: [String]?

    init(_ body: JSONValue, signature: ModelSignature) throws {
        guard case .object = body else {
            throw ServeError.badRequest("the request body must be a JSON object such as {\"inputs\": [{\"name\": ..., \"shape\": ..., \"datatype\": \"FP32\", \"data\": [...]}]}; got \(body.typeName)")
        }
        switch body["id"] {
        case nil, .null?: id = nil
        case .string(let s)?: id = s
        case let other?: throw ServeError.badRequest("\"id\" must be a string; got \(other.typeName)")
        }
        guard let list = body["inputs"] else {
            throw ServeError.badRequest("missing field \"inputs\" (an array of {\"name\", \"shape\", \"datatype\", \"data\"})")
        }
        guard case .array(let items) = list, !items.isEmpty else {
            throw ServeError.badRequest("\"inputs\" must be a non-empty array of {\"name\", \"shape\", \"datatype\", \"data\"}; got \(list.typeName)")
        }
        var given: [(name: String, tensor: Tensor)] = []
        for (i, item) in items.enumerated() {
            let input = try InferRequest.input(item, index: i, signature: signature)
            if given.contains(where: { $0.name == input.name }) {
                throw ServeError.badRequest("input \"\(input.name)\" is given twice")
            }
            given.append(input)
        }
        inputs = try arrange(given, signature: signature)
        requestedOutputs = try InferRequest.outputNames(body["outputs"], signature: signature)
    }

    /// One element of `inputs`, checked against the model's input of that name.
    private static func input(_ item: JSONValue, index: Int, signature: ModelSignature) throws -> (name: String, tensor: Tensor) {
        let place = "inputs[\(index)]"
        guard case .object = item else { throw ServeError.badRequest("\(place) must be an object; got \(item.typeName)") }
        guard case .string(let name)? = item["name"] else { throw ServeError.badRequest("\(place): missing field \"name\" (a string)") }
        let what = "input \"\(name)\""
        let spec = try signature.inputs.map { inputs -> TensorSpec in
            guard let spec = inputs.first(where: { $0.name == name }) else {
                throw ServeError.badRequest("model \"\(signature.name)\" has no input \"\(name)\" (its inputs: \(inputs.map(\.name).joined(separator: ", ")))")
            }
            return spec
        }
        guard case .string(let typeName)? = item["datatype"] else {
            throw ServeError.badRequest("\(what): missing field \"datatype\" (e.g. \"\(spec?.datatype.rawValue ?? "FP32")\")")
        }
        guard let datatype = WireType(rawValue: typeName) else {
            throw ServeError.badRequest("\(what): unknown datatype \"\(typeName)\" (supported: \(WireType.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        if let spec, spec.datatype != datatype {
            throw ServeError.badRequest("\(what): datatype \(datatype.rawValue) does not match the model's \(spec.datatype.rawValue)")
        }
        guard case .array(let dims)? = item["shape"] else {
            throw ServeError.badRequest("\(what): missing field \"shape\" (an array of sizes, batch first)")
        }
        var shape: [Int] = []
        for (k, d) in dims.enumerated() {
            guard let v = d.double else {
                throw ServeError.badRequest("\(what): shape element \(k + 1) must be a non-negative integer; got \(d.typeName)")
            }
            guard v == v.rounded(), v >= 0, v < 1e15 else {
                throw ServeError.badRequest("\(what): shape element \(k + 1) must be a non-negative integer; got \(JSONWriter.text(v))")
            }
            shape.append(Int(v))
        }
        guard let data = item["data"] else { throw ServeError.badRequest("\(what): missing field \"data\"") }
        let nested = try NestedNumbers(data, what: "\(what) data", datatype: datatype)
        if nested.shape.count > 1 && nested.shape != shape {
            throw ServeError.badRequest("\(what): data is nested as \(wireShape(nested.shape)) but shape is \(wireShape(shape))")
        }
        let tensor = try makeInputTensor(name: name, shape: shape, values: nested.values, datatype: datatype, spec: spec)
        return (name, tensor)
    }

    private static func outputNames(_ value: JSONValue?, signature: ModelSignature) throws -> [String]? {
        guard let value, case .array(let items) = value else {
            if let value, case .null = value { return nil }
            if value != nil { throw ServeError.badRequest("\"outputs\" must be an array of {\"name\": ...}") }
            return nil
        }
        return try items.map { item in
            guard case .string(let name)? = item["name"] else { throw ServeError.badRequest("each element of \"outputs\" needs a \"name\"") }
            if let outputs = signature.outputs, !outputs.contains(where: { $0.name == name }) {
                throw ServeError.badRequest("model \"\(signature.name)\" has no output \"\(name)\" (its outputs: \(outputs.map(\.name).joined(separator: ", ")))")
            }
            return name
        }
    }
}

/// Puts the given inputs in the model's order (every declared input must be present), or keeps
/// the request's order when the model declares none.
func arrange(_ given: [(name: String, tensor: Tensor)], signature: ModelSignature) throws -> DecodedInputs {
    guard let declared = signature.inputs else {
        return try DecodedInputs(names: given.map { $0.name }, tensors: given.map { $0.tensor })
    }
    var tensors: [Tensor] = []
    for spec in declared {
        guard let match = given.first(where: { $0.name == spec.name }) else {
            throw ServeError.badRequest("missing input \"\(spec.name)\" (model \"\(signature.name)\" takes: \(declared.map(\.name).joined(separator: ", ")))")
        }
        tensors.append(match.tensor)
    }
    return try DecodedInputs(names: declared.map(\.name), tensors: tensors)
}
