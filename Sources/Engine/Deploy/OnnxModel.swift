/// An ONNX model as plain Swift values, encoded to the ModelProto wire format by
/// `OnnxModel.encode()` (field numbers from onnx/onnx.proto). The graph itself is built by the
/// Lua tracer (lumen/deploy/onnx.lua); this side only validates and serializes it.
public enum OnnxAttributeValue: Sendable {
    case int(Int)
    case float(Float)
    case string(String)
    case ints([Int])
    case floats([Float])
    case strings([String])
    case tensor(OnnxTensor)
}

public struct OnnxAttribute: Sendable {
    public var name: String
    public var value: OnnxAttributeValue
    public init(name: String, value: OnnxAttributeValue) { self.name = name; self.value = value }
}

public struct OnnxNode: Sendable {
    public var opType: String
    public var name: String
    public var inputs: [String]
    public var outputs: [String]
    public var attributes: [OnnxAttribute]
    public init(opType: String, name: String, inputs: [String], outputs: [String], attributes: [OnnxAttribute]) {
        self.opType = opType; self.name = name; self.inputs = inputs; self.outputs = outputs
        self.attributes = attributes
    }
}

/// A constant tensor (initializer or attribute): ONNX data type code, dims and the
/// little-endian element bytes, stored as raw_data.
public struct OnnxTensor: Sendable {
    public var name: String
    public var dataType: Int
    public var dims: [Int]
    public var rawData: [UInt8]

    /// ONNX TensorProto.DataType codes of the engine's dtypes.
    public static func dataType(of dtype: DType) -> Int {
        switch dtype {
        case .float32: return 1
        case .uint8: return 2
        case .int8: return 3
        case .int32: return 6
        case .int64: return 7
        case .bool: return 9
        case .float64: return 11
        }
    }

    /// The tensor's elements, row-major, as ONNX raw_data (little-endian, as the engine stores them).
    public init(name: String, tensor: Tensor) throws {
        let t = tensor.isContiguous ? tensor : try tensor.contiguous()
        let itemSize = t.dtype.itemSize
        let count = t.numel * itemSize
        let start = t.storage.bytes + t.offset * itemSize
        self.name = name
        self.dataType = OnnxTensor.dataType(of: t.dtype)
        self.dims = t.shape
        self.rawData = Array(UnsafeRawBufferPointer(start: start, count: count))
    }

    func encode(_ w: inout ProtobufWriter) {
        w.packedInt64(1, dims)
        w.int64(2, dataType)
        if !name.isEmpty { w.string(8, name) }
        w.bytes(9, rawData)
    }
}

/// A graph input/output: element type and dims, each fixed (`.value`) or symbolic (`.param`,
/// e.g. "batch") or unknown.
public struct OnnxValueInfo: Sendable {
    public enum Dim: Sendable { case value(Int), param(String), unknown }
    public var name: String
    public var elemType: Int
    public var dims: [Dim]
    public init(name: String, elemType: Int, dims: [Dim]) { self.name = name; self.elemType = elemType; self.dims = dims }

    func encode(_ w: inout ProtobufWriter) {
        w.string(1, name)
        w.message(2) { type in                        // TypeProto
            type.message(1) { tensor in               // TypeProto.Tensor
                tensor.int64(1, elemType)
                tensor.message(2) { shape in          // TensorShapeProto
                    for d in dims {
                        shape.message(1) { dim in
                            switch d {
                            case .value(let v): dim.int64(1, v)
                            case .param(let p): dim.string(2, p)
                            case .unknown: break
                            }
                        }
                    }
                }
            }
        }
    }
}

public struct OnnxModel: Sendable {
    public var graphName: String
    public var opset: Int
    public var nodes: [OnnxNode]
    public var initializers: [OnnxTensor]
    public var inputs: [OnnxValueInfo]
    public var outputs: [OnnxValueInfo]
    public var producerVersion = "0.1"

    public init(graphName: String, opset: Int, nodes: [OnnxNode], initializers: [OnnxTensor],
                inputs: [OnnxValueInfo], outputs: [OnnxValueInfo]) {
        self.graphName = graphName; self.opset = opset; self.nodes = nodes; self.initializers = initializers
        self.inputs = inputs; self.outputs = outputs
    }

    /// The IR version that goes with the opset (onnx/docs/Versioning.md): 8 up to opset 17,
    /// 9 for 18–19, 10 for 20–21.
    public var irVersion: Int { opset <= 17 ? 8 : (opset <= 19 ? 9 : 10) }

    static let op = "export_onnx"

    /// Checks that every node input is defined (graph input, initializer or earlier output) and
    /// every name is produced once, so a broken graph is reported here and not by a runtime.
    public func validate() throws {
        guard (13...21).contains(opset) else {
            throw EngineError(Self.op, "opset must be between 13 and 21; got \(opset)")
        }
        var defined = Set<String>([""])
        for i in inputs { defined.insert(i.name) }
        for t in initializers {
            guard defined.insert(t.name).inserted else { throw EngineError(Self.op, "value \"\(t.name)\" is defined twice") }
        }
        for n in nodes {
            for i in n.inputs where !defined.contains(i) {
                throw EngineError(Self.op, "node \(n.name) (\(n.opType)) reads \"\(i)\", which no earlier node, input or initializer defines")
            }
            for o in n.outputs {
                guard defined.insert(o).inserted else {
                    throw EngineError(Self.op, "node \(n.name) (\(n.opType)) redefines value \"\(o)\"")
                }
            }
        }
        for o in outputs where !defined.contains(o.name) {
            throw EngineError(Self.op, "graph output \"\(o.name)\" is not computed by the graph")
        }
    }

    /// The ModelProto bytes.
    public func encode() throws -> [UInt8] {
        try validate()
        var w = ProtobufWriter()
        w.int64(1, irVersion)                        // ir_version
        w.string(2, "lumen")                         // producer_name
        w.string(3, producerVersion)                 // producer_version
        w.message(7) { g in encodeGraph(&g) }        // graph
        w.message(8) { o in                          // opset_import (default domain)
            o.string(1, "")
            o.int64(2, opset)
        }
        return w.bytes
    }

    private func encodeGraph(_ g: inout ProtobufWriter) {
        for n in nodes { g.message(1) { encodeNode(n, &$0) } }
        g.string(2, graphName)
        for t in initializers { g.message(5) { t.encode(&$0) } }
        for i in inputs { g.message(11) { i.encode(&$0) } }
        for o in outputs { g.message(12) { o.encode(&$0) } }
    }

    private func encodeNode(_ n: OnnxNode, _ w: inout ProtobufWriter) {
        for i in n.inputs { w.string(1, i) }
        for o in n.outputs { w.string(2, o) }
        w.string(3, n.name)
        w.string(4, n.opType)
        for a in n.attributes {
            w.message(5) { a_ in
                a_.string(1, a.name)
                switch a.value {                     // AttributeProto: value field + type (field 20)
                case .float(let f): a_.float(2, f); a_.int64(20, 1)
                case .int(let i): a_.int64(3, i); a_.int64(20, 2)
                case .string(let s): a_.string(4, s); a_.int64(20, 3)
                case .tensor(let t): a_.message(5) { t.encode(&$0) }; a_.int64(20, 4)
                case .floats(let fs): a_.packedFloat(7, fs); a_.int64(20, 6)
                case .ints(let xs): a_.packedInt64(8, xs); a_.int64(20, 7)
                case .strings(let ss): for s in ss { a_.string(9, s) }; a_.int64(20, 8)
                }
            }
        }
    }

    /// Writes the model to `path` atomically (a temporary file renamed into place).
    public func write(to path: String) throws {
        let bytes = try encode()
        try FileIO.writeAtomically(path: path, op: Self.op) { try $0.write(bytes) }
    }
}
