import XCTest
@testable import Engine

/// The protobuf wire encoder against known encodings (protobuf.dev's examples), the ONNX graph
/// validation, and exact-count magnitude pruning masks.
final class DeployExportTests: XCTestCase {
    func testVarintsAndKeys() {
        var w = ProtobufWriter()
        w.int64(1, 150)                       // the protobuf docs' example: 08 96 01
        XCTAssertEqual(w.bytes, [0x08, 0x96, 0x01])
        w = ProtobufWriter()
        w.int64(2, 300)
        XCTAssertEqual(w.bytes, [0x10, 0xAC, 0x02])
        w = ProtobufWriter()
        w.int64(1, -1)                        // negative int64: ten bytes, two's complement
        XCTAssertEqual(w.bytes, [0x08] + [UInt8](repeating: 0xFF, count: 9) + [0x01])
    }

    func testLengthDelimitedAndPacked() {
        var w = ProtobufWriter()
        w.string(2, "testing")                // 12 07 74 65 73 74 69 6e 67
        XCTAssertEqual(w.bytes, [0x12, 0x07] + Array("testing".utf8))
        w = ProtobufWriter()
        w.packedInt64(4, [3, 270, 86942])     // the docs' packed example: 22 06 03 8E 02 9E A7 05
        XCTAssertEqual(w.bytes, [0x22, 0x06, 0x03, 0x8E, 0x02, 0x9E, 0xA7, 0x05])
        w = ProtobufWriter()
        w.packedFloat(7, [1.0, -2.0])
        XCTAssertEqual(w.bytes, [0x3A, 0x08, 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0])
        w = ProtobufWriter()
        w.float(2, 0.5)
        XCTAssertEqual(w.bytes, [0x15, 0x00, 0x00, 0x00, 0x3F])
        w = ProtobufWriter()
        w.message(3) { $0.int64(1, 150) }
        XCTAssertEqual(w.bytes, [0x1A, 0x03, 0x08, 0x96, 0x01])
    }

    func testTensorRawDataIsRowMajorLittleEndian() throws {
        let t = try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3]).permute([1, 0])   // non-contiguous view
        let onnx = try OnnxTensor(name: "w", tensor: t)
        XCTAssertEqual(onnx.dims, [3, 2])
        XCTAssertEqual(onnx.dataType, 1)
        let floats = stride(from: 0, to: onnx.rawData.count, by: 4).map { i in
            Float(bitPattern: UInt32(onnx.rawData[i]) | UInt32(onnx.rawData[i + 1]) << 8
                  | UInt32(onnx.rawData[i + 2]) << 16 | UInt32(onnx.rawData[i + 3]) << 24)
        }
        XCTAssertEqual(floats, [1, 4, 2, 5, 3, 6])
    }

    private func model(nodes: [OnnxNode], opset: Int = 17) -> OnnxModel {
        OnnxModel(graphName: "g", opset: opset, nodes: nodes, initializers: [],
                  inputs: [OnnxValueInfo(name: "x", elemType: 1, dims: [.param("batch"), .value(3)])],
                  outputs: [OnnxValueInfo(name: "y", elemType: 1, dims: [.param("batch"), .value(3)])])
    }

    func testModelEncodingAndValidation() throws {
        let relu = OnnxNode(opType: "Relu", name: "relu", inputs: ["x"], outputs: ["y"], attributes: [])
        let bytes = try model(nodes: [relu]).encode()
        XCTAssertEqual(Array(bytes.prefix(2)), [0x08, 0x08])          // ir_version 8 first
        XCTAssertTrue(bytes.count > 40)
        assertEngineError("export_onnx", "reads \"z\"") {
            _ = try model(nodes: [OnnxNode(opType: "Relu", name: "r", inputs: ["z"], outputs: ["y"], attributes: [])]).encode()
        }
        assertEngineError("export_onnx", "graph output \"y\" is not computed") {
            _ = try model(nodes: []).encode()
        }
        assertEngineError("export_onnx", "opset must be between 13 and 21") { _ = try model(nodes: [relu], opset: 9).encode() }
        assertEngineError("export_onnx", "cannot create /nonexistent-dir/m.onnx") {
            try model(nodes: [relu]).write(to: "/nonexistent-dir/m.onnx")
        }
    }

    func testGlobalMagnitudeMasksPruneExactlyTheSmallest() throws {
        let a = try Tensor([0.5, -0.1, 0.2, 0.2], shape: [2, 2])
        let b = try Tensor([-0.3, 0.05, 0.2, 1.0], shape: [4], dtype: .float64)
        let masks = try PruningMasks.magnitude([a, b], amount: 0.5)
        // the four smallest |w|: 0.05, 0.1 and two of the three 0.2s (ties go in order)
        try assertClose(masks[0], [1, 0, 0, 0])
        try assertClose(masks[1], [1, 0, 1, 1])
        XCTAssertEqual(masks[1].dtype, .float64)
        try assertClose(try PruningMasks.magnitude([a], amount: 0)[0], [1, 1, 1, 1])
        try assertClose(try PruningMasks.magnitude([a], amount: 1)[0], [0, 0, 0, 0])
        assertEngineError("prune", "amount must be a fraction") { _ = try PruningMasks.magnitude([a], amount: 1.5) }
        assertEngineError("prune", "needs float32 or float64") {
            _ = try PruningMasks.magnitude([try Tensor([1, 2], shape: [2], dtype: .int64)], amount: 0.5)
        }
    }

    func testQuickselectMatchesSorting() {
        var generator = SplitMix(seed: 3)
        for n in [1, 2, 7, 100, 1001] {
            let values = (0..<n).map { _ in Float(generator.next() % 50) / 7 }
            let sorted = values.sorted()
            for k in Set([0, n / 2, n - 1]) {
                var scratch = values
                XCTAssertEqual(PruningMasks.select(&scratch, k), sorted[k], "n \(n) k \(k)")
            }
        }
    }
}

/// A tiny deterministic generator for test data.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
