import Engine

/// JSON bodies of successful inference responses.
enum ResponseEncoding {
    /// Open Inference Protocol: `{"model_name", "id"?, "outputs": [{"name", "datatype", "shape", "data"}]}`
    /// with `data` flat in row-major order.
    static func infer(model: String, id: String?, outputs: [NamedTensor]) throws -> [UInt8] {
        var w = JSONWriter(capacity: 64 + outputs.reduce(0) { $0 + 12 * $1.tensor.numel })
        w.raw("{")
        w.key("model_name", first: true)
        w.string(model)
        w.key("model_version")
        w.string("1")
        if let id {
            w.key("id")
            w.string(id)
        }
        w.key("outputs")
        w.raw("[")
        for (i, output) in outputs.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{")
            w.key("name", first: true)
            w.string(output.name)
            w.key("datatype")
            w.string(WireType(output.tensor.dtype).rawValue)
            w.key("shape")
            w.integers(output.tensor.shape)
            w.key("data")
            let values = try Values(output.tensor)
            w.raw("[")
            for k in 0..<values.count {
                if k > 0 { w.raw(",") }
                values.write(k, to: &w)
            }
            w.raw("]}")
        }
        w.raw("]}")
        return w.bytes
    }

    /// `/predict`: `{"outputs": nested}` for "inputs" requests, `{"predictions": nested}` for
    /// "instances"; with several outputs, an object of name -> nested (per instance for
    /// "instances"). A single sample sent without its batch dim gets outputs without it too.
    static func predict(_ outputs: [NamedTensor], form: PredictRequest.Form) throws -> [UInt8] {
        var w = JSONWriter(capacity: 64 + outputs.reduce(0) { $0 + 12 * $1.tensor.numel })
        let all = try outputs.map { (name: $0.name, shape: $0.tensor.shape, values: try Values($0.tensor)) }
        switch form {
        case .columns(let single):
            w.raw("{\"outputs\":")
            let dropBatch = single
            if all.count == 1 {
                let o = all[0]
                nested(o.values, shape: dropBatch ? Array(o.shape.dropFirst()) : o.shape, start: 0, into: &w)
            } else {
                w.raw("{")
                for (i, o) in all.enumerated() {
                    w.key(o.name, first: i == 0)
                    nested(o.values, shape: dropBatch ? Array(o.shape.dropFirst()) : o.shape, start: 0, into: &w)
                }
                w.raw("}")
            }
            w.raw("}")
        case .instances:
            w.raw("{\"predictions\":")
            if all.count == 1 {
                nested(all[0].values, shape: all[0].shape, start: 0, into: &w)
            } else {
                // One object per instance: {"name": sample output, ...}.
                let batch = all[0].shape.first ?? 0
                w.raw("[")
                for b in 0..<batch {
                    if b > 0 { w.raw(",") }
                    w.raw("{")
                    for (i, o) in all.enumerated() {
                        w.key(o.name, first: i == 0)
                        let sample = Array(o.shape.dropFirst())
                        nested(o.values, shape: sample, start: b * sample.reduce(1, *), into: &w)
                    }
                    w.raw("}")
                }
                w.raw("]")
            }
            w.raw("}")
        }
        return w.bytes
    }

    /// Writes `values[start...]` as nested arrays of `shape` (a bare number for shape []).
    private static func nested(_ values: Values, shape: [Int], start: Int, into w: inout JSONWriter) {
        guard let outer = shape.first else {
            values.write(start, to: &w)
            return
        }
        let inner = Array(shape.dropFirst())
        let step = inner.reduce(1, *)
        w.raw("[")
        for i in 0..<outer {
            if i > 0 { w.raw(",") }
            if inner.isEmpty { values.write(start + i, to: &w) } else { nested(values, shape: inner, start: start + i * step, into: &w) }
        }
        w.raw("]")
    }

    /// A tensor's elements in row-major order, kept in a type that prints them exactly.
    struct Values {
        enum Storage {
            case float([Float]), double([Double]), integer([Int64]), boolean([Int64])
        }
        let storage: Storage

        init(_ t: Tensor) throws {
            switch t.dtype {
            case .float32: storage = .float(try t.toFloats())
            case .float64: storage = .double(try t.toDoubles())
            case .bool: storage = .boolean(try t.toInts())
            default: storage = .integer(try t.toInts())
            }
        }

        var count: Int {
            switch storage {
            case .float(let v): return v.count
            case .double(let v): return v.count
            case .integer(let v), .boolean(let v): return v.count
            }
        }

        func write(_ k: Int, to w: inout JSONWriter) {
            switch storage {
            case .float(let v): w.number(v[k])
            case .double(let v): w.number(v[k])
            case .integer(let v): w.raw(String(v[k]))
            case .boolean(let v): w.raw(v[k] != 0 ? "true" : "false")
            }
        }
    }
}
