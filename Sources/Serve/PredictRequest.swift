import Engine

/// `POST /predict`: plain JSON for curl users, in TensorFlow Serving's two forms.
///
///     {"inputs": [[...]]}                     nested array, batch first -> {"outputs": [[...]]}
///     {"inputs": [...]}                       one sample (declared rank - 1) -> {"outputs": [...]}
///     {"inputs": {"a": [[...]], "b": ...}}    several named inputs -> {"outputs": {"name": ...}}
///     {"instances": [sample, sample, ...]}    a list of samples -> {"predictions": [...]}
///
/// Values use the declared datatype (FP32 when the model declares none).
struct PredictRequest {
    enum Form {
        /// "inputs" given batch first (or, when `single`, one sample without the batch dim).
        case columns(single: Bool)
        /// "instances": one entry per sample.
        case instances
    }

    var inputs: DecodedInputs
    var form: Form

    init(_ body: JSONValue, signature: ModelSignature) throws {
        guard case .object = body else {
            throw ServeError.badRequest("the request body must be a JSON object such as {\"inputs\": [[...]]} or {\"instances\": [...]}; got \(body.typeName)")
        }
        let columns = body["inputs"], rows = body["instances"]
        if columns != nil && rows != nil { throw ServeError.badRequest("give either \"inputs\" or \"instances\", not both") }
        if let columns {
            let named = try PredictRequest.named(columns, signature: signature, what: "\"inputs\"")
            var given: [(name: String, tensor: Tensor)] = []
            var single: Bool? = nil
            for (name, value) in named {
                let spec = signature.inputs?.first(where: { $0.name == name })
                var nested = try NestedNumbers(value, what: "input \"\(name)\"", datatype: spec?.datatype ?? .FP32)
                // One sample without its batch dim: the declared rank minus one.
                let isSingle = spec.map { !$0.shape.isEmpty && nested.shape.count == $0.shape.count - 1 } ?? false
                if let single, single != isSingle {
                    throw ServeError.badRequest("input \"\(name)\": mixes a single sample with batched inputs")
                }
                single = isSingle
                if isSingle { nested.shape.insert(1, at: 0) }
                given.append((name, try makeInputTensor(name: name, shape: nested.shape, values: nested.values,
                                                        datatype: spec?.datatype ?? .FP32, spec: spec)))
            }
            inputs = try arrange(given, signature: signature)
            form = .columns(single: single ?? false)
        } else if let rows {
            guard case .array(let samples) = rows, !samples.isEmpty else {
                throw ServeError.badRequest("\"instances\" must be a non-empty array of samples; got \(rows.typeName)")
            }
            var perInput: [String: (shape: [Int], values: [Double])] = [:]
            var order: [String] = []
            for (i, sample) in samples.enumerated() {
                for (name, value) in try PredictRequest.named(sample, signature: signature, what: "instances[\(i)]") {
                    let spec = signature.inputs?.first(where: { $0.name == name })
                    let nested = try NestedNumbers(value, what: "instances[\(i)] input \"\(name)\"", datatype: spec?.datatype ?? .FP32)
                    if let seen = perInput[name] {
                        guard seen.shape == nested.shape else {
                            throw ServeError.badRequest("instances[\(i)] input \"\(name)\" has shape \(wireShape(nested.shape)) but instances[0] has \(wireShape(seen.shape))")
                        }
                        perInput[name]!.values.append(contentsOf: nested.values)
                    } else {
                        guard i == 0 else { throw ServeError.badRequest("instances[\(i)] has input \"\(name)\" that instances[0] lacks") }
                        perInput[name] = (nested.shape, nested.values)
                        order.append(name)
                    }
                }
            }
            let given = try order.map { name -> (name: String, tensor: Tensor) in
                let spec = signature.inputs?.first(where: { $0.name == name })
                let entry = perInput[name]!
                let shape = [entry.values.count / max(entry.shape.reduce(1, *), 1)] + entry.shape
                guard shape[0] == samples.count else {
                    throw ServeError.badRequest("input \"\(name)\" appears in \(shape[0]) of \(samples.count) instances; every instance needs every input")
                }
                return (name, try makeInputTensor(name: name, shape: shape, values: entry.values, datatype: spec?.datatype ?? .FP32, spec: spec))
            }
            inputs = try arrange(given, signature: signature)
            form = .instances
        } else {
            throw ServeError.badRequest("missing field \"inputs\" (a nested array, batch first) or \"instances\" (an array of samples)")
        }
    }

    /// A value for each input: a bare array feeds a one-input model; an object names its inputs.
    private static func named(_ value: JSONValue, signature: ModelSignature, what: String) throws -> [(String, JSONValue)] {
        if case .object(let fields) = value {
            guard !fields.isEmpty else { throw ServeError.badRequest("\(what) is an empty object; expected input name -> nested array") }
            if let declared = signature.inputs {
                for field in fields where !declared.contains(where: { $0.name == field.key }) {
                    throw ServeError.badRequest("model \"\(signature.name)\" has no input \"\(field.key)\" (its inputs: \(declared.map(\.name).joined(separator: ", ")))")
                }
            }
            return fields.map { ($0.key, $0.value) }
        }
        if let declared = signature.inputs, declared.count > 1 {
            throw ServeError.badRequest("\(what): model \"\(signature.name)\" takes \(declared.count) inputs (\(declared.map(\.name).joined(separator: ", "))); give an object of name -> nested array")
        }
        guard case .array = value else {
            throw ServeError.badRequest("\(what) must be a nested array of numbers; got \(value.typeName)")
        }
        return [(signature.inputs?.first?.name ?? "input", value)]
    }
}
