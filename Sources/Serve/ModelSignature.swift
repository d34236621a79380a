import Engine

/// Element types of the Open Inference Protocol and the engine dtype each one maps to.
enum WireType: String, Sendable, CaseIterable {
    case FP32, FP64, INT64, INT32, INT8, UINT8, BOOL

    var dtype: DType {
        switch self {
        case .FP32: return .float32
        case .FP64: return .float64
        case .INT64: return .int64
        case .INT32: return .int32
        case .INT8: return .int8
        case .UINT8: return .uint8
        case .BOOL: return .bool
        }
    }

    init(_ dtype: DType) {
        switch dtype {
        case .float32: self = .FP32
        case .float64: self = .FP64
        case .int64: self = .INT64
        case .int32: self = .INT32
        case .int8: self = .INT8
        case .uint8: self = .UINT8
        case .bool: self = .BOOL
        }
    }
}

/// One input or output as the metadata endpoint describes it. `shape` uses -1 for a size that
/// may vary (always the batch, dim 1); an empty shape means "not declared".
struct TensorSpec: Sendable {
    var name: String
    var datatype: WireType
    var shape: [Int]

    func write(to w: inout JSONWriter) {
        w.raw("{")
        w.key("name", first: true)
        w.string(name)
        w.key("datatype")
        w.string(datatype.rawValue)
        w.key("shape")
        w.integers(shape.isEmpty ? [-1] : shape)
        w.raw("}")
    }
}

/// What the model file declares (`inputs`/`outputs` of its table), as `lumen.serving` reports it.
struct DeclaredSignature: Sendable {
    var inputs: [TensorSpec]?
    var outputs: [TensorSpec]?

    init(json: String) throws {
        let value = try JSONReader.parse(Array(json.utf8))
        inputs = try DeclaredSignature.specs(value["inputs"])
        outputs = try DeclaredSignature.specs(value["outputs"])
    }

    private static func specs(_ value: JSONValue?) throws -> [TensorSpec]? {
        guard case .array(let items)? = value else { return nil }
        return try items.map { item in
            guard case .string(let name)? = item["name"], case .string(let type)? = item["datatype"],
                  let datatype = WireType(rawValue: type) else {
                throw StartupError("bad tensor description \(item)")
            }
            var shape: [Int] = []
            if case .array(let dims)? = item["shape"] {
                for case let d? in dims.map(\.double) { shape.append(Int(d)) }
            }
            return TensorSpec(name: name, datatype: datatype, shape: shape)
        }
    }
}

/// The served model's name and tensors, fixed at start-up.
struct ModelSignature: Sendable {
    var name: String
    /// Inputs in the order `forward` takes them; nil when the model file declares none (then a
    /// request's inputs are passed in the order given, with any shape).
    var inputs: [TensorSpec]?
    /// Outputs (declared, or found by the start-up check run); nil when unknown.
    var outputs: [TensorSpec]?

    /// The Open Inference Protocol's model metadata response.
    func metadataJSON() -> [UInt8] {
        var w = JSONWriter()
        w.raw("{")
        w.key("name", first: true)
        w.string(name)
        w.key("versions")
        w.raw("[\"1\"]")
        w.key("platform")
        w.string("lumen")
        for (field, specs) in [("inputs", inputs), ("outputs", outputs)] {
            w.key(field)
            let list = specs ?? [TensorSpec(name: field == "inputs" ? "input" : "output", datatype: .FP32, shape: [])]
            w.raw("[")
            for (i, spec) in list.enumerated() {
                if i > 0 { w.raw(",") }
                spec.write(to: &w)
            }
            w.raw("]")
        }
        w.raw("}")
        return w.bytes
    }

    /// A batch of zeros (2 samples) matching the declared inputs, for the start-up check; nil
    /// when an input has an undeclared or variable per-sample size.
    func sampleInputs() throws -> [Tensor]? {
        guard let inputs else { return nil }
        var tensors: [Tensor] = []
        for spec in inputs {
            guard spec.shape.count >= 1, spec.shape.dropFirst().allSatisfy({ $0 > 0 }) else { return nil }
            tensors.append(try Tensor(shape: [2] + spec.shape.dropFirst(), dtype: spec.datatype.dtype))
        }
        return tensors
    }
}
