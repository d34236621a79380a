import XCTest
import Foundation
@testable import Engine

final class SafetensorsTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "lumen-safetensors-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func path(_ name: String) -> String { directory + "/" + name }

    /// A file image: length prefix (or `length` if given), header text, data bytes.
    private func image(_ header: String, data: [UInt8] = [], length: UInt64? = nil) -> [UInt8] {
        let h = Array(header.utf8)
        let n = length ?? UInt64(h.count)
        return (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * UInt64($0))) } + h + data
    }

    private func assertSameBits(_ a: Tensor, _ b: Tensor, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(a.dtype, b.dtype, file: file, line: line)
        XCTAssertEqual(a.shape, b.shape, file: file, line: line)
        let x = try a.toDoubles().map(\.bitPattern), y = try b.toDoubles().map(\.bitPattern)
        XCTAssertEqual(x, y, file: file, line: line)
    }

    // MARK: Round trips

    func testRoundTripEveryDtypeIncludingScalarsAndEmpty() throws {
        var tensors: [(name: String, tensor: Tensor)] = []
        for dtype in DType.allCases {
            let values: [Double]
            switch dtype {
            case .float32, .float64: values = [1.5, -0.0, .infinity, -.infinity, .nan, 1e-30]
            case .bool: values = [0, 1, 1, 0, 1, 0]
            case .uint8: values = [0, 1, 127, 128, 200, 255]
            default: values = [-128, -1, 0, 1, 100, 127]
            }
            tensors.append(("\(dtype)", try Tensor(values, shape: [2, 3], dtype: dtype)))
            tensors.append(("\(dtype).scalar", try Tensor.scalar(1, dtype: dtype)))
            tensors.append(("\(dtype).empty", try Tensor.zeros([0, 4], dtype: dtype)))
        }
        tensors.append(("big.i64", try Tensor([Double(Int64.max), Double(Int64.min)], shape: [2], dtype: .int64)))
        let file = path("all.safetensors")
        try Safetensors.write(tensors, metadata: [:], to: file)
        let loaded = try Safetensors.read(path: file)
        XCTAssertEqual(loaded.names, tensors.map(\.name))
        XCTAssertEqual(loaded.metadata, [:])
        for (name, t) in tensors {
            let back = try XCTUnwrap(loaded[name], name)
            try assertSameBits(back, t)
        }
        // The in-memory form is the same bytes as the file.
        let bytes = try Safetensors.encode(tensors)
        XCTAssertEqual(bytes, Array(try XCTUnwrap(FileManager.default.contents(atPath: file))))
        let decoded = try Safetensors.decode(bytes)
        XCTAssertEqual(decoded.ordered.map(\.name), tensors.map(\.name))
        XCTAssertEqual((8 + Int(bytes[0]) + Int(bytes[1]) << 8) % 8, 0, "header padded to 8")
    }

    func testNonContiguousInputsAreWrittenRowMajor() throws {
        let base = try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3], dtype: .float64)
        let transposed = try base.t()
        let stepped = try Tensor.arange(0, 10).slice(dim: 0, start: 1, end: 9, step: 3)
        let expanded = try Tensor([7, 8], shape: [2, 1], dtype: .int32).expand([2, 3])
        let file = path("views.safetensors")
        try Safetensors.write(["t": transposed, "s": stepped, "e": expanded], to: file)
        let loaded = try Safetensors.read(path: file)
        XCTAssertEqual(loaded.names, ["e", "s", "t"], "dictionary input is written sorted by name")
        try assertClose(loaded["t"]!, [1, 4, 2, 5, 3, 6], shape: [3, 2])
        try assertClose(loaded["s"]!, [1, 4, 7], shape: [3])
        try assertClose(loaded["e"]!, [7, 7, 7, 8, 8, 8], shape: [2, 3])
        XCTAssertEqual(loaded["e"]!.dtype, .int32)
        XCTAssertTrue(loaded["t"]!.isContiguous)
    }

    func testMetadataAndAwkwardNamesRoundTrip() throws {
        let metadata = ["format": "pt", "note": "quote \" backslash \\ newline \n tab \t", "unicode": "héllo ✓ 🚀", "": "empty key"]
        let tensors: [(name: String, tensor: Tensor)] = [("layer\"1\"\n.weight", try Tensor.ones([2])), ("ünï/cødé", try Tensor.zeros([1]))]
        let bytes = try Safetensors.encode(tensors, metadata: metadata)
        let back = try Safetensors.decode(bytes)
        XCTAssertEqual(back.metadata, metadata)
        XCTAssertEqual(back.names, tensors.map(\.name))
    }

    func testBytesMatchHandWrittenFile() throws {
        let a = try Tensor([1, -2], shape: [2])
        let b = try Tensor([3], shape: [], dtype: .uint8)
        let bytes = try Safetensors.encode([("a", a), ("b", b)], metadata: ["f": "pt"])
        let header = #"{"__metadata__":{"f":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
            + #""b":{"dtype":"U8","shape":[],"data_offsets":[8,9]}}"#
        XCTAssertEqual(header.utf8.count, 131)
        let padded = header + String(repeating: " ", count: 5)  // 8 + 136 is a multiple of 8
        let expected: [UInt8] = [136, 0, 0, 0, 0, 0, 0, 0] + Array(padded.utf8)
            + [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0] + [3]
        XCTAssertEqual(bytes, expected)

        // And a hand-written file (no padding, keys in another order, whitespace) reads back.
        let hand = image(#"{ "b" : {"shape":[], "dtype":"U8", "data_offsets":[8,9]}, "a":{"data_offsets":[0,8],"dtype":"F32","shape":[2]} }"#,
                         data: [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0, 3])
        let file = try Safetensors.decode(hand)
        XCTAssertEqual(file.names, ["b", "a"], "header order is kept")
        try assertClose(file["a"]!, [1, -2], shape: [2])
        try assertClose(file["b"]!, [3], shape: [])
    }

    func testBoolBytesAreNormalized() throws {
        let file = try Safetensors.decode(image(#"{"m":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}}"#, data: [0, 2, 255]))
        XCTAssertEqual(try file["m"]!.toDoubles(), [0, 1, 1])
    }

    func testEmptyFileOfTensors() throws {
        let bytes = try Safetensors.encode([(name: String, tensor: Tensor)]())
        XCTAssertEqual(bytes.count, 16)  // "{}" padded to 8
        XCTAssertEqual(try Safetensors.decode(bytes).names, [])
    }

    // MARK: Writing

    func testWriteReplacesAtomicallyAndLeavesNoTemporaries() throws {
        let file = path("model.safetensors")
        try Safetensors.write([("x", try Tensor.ones([3]))], to: file)
        try Safetensors.write([("y", try Tensor.zeros([2]))], to: file)
        XCTAssertEqual(try Safetensors.read(path: file).names, ["y"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["model.safetensors"])
    }

    func testWriteErrors() throws {
        assertEngineError("safetensors", "cannot create \(directory)/missing/x.safetensors") {
            try Safetensors.write([("x", try Tensor.ones([1]))], to: self.path("missing/x.safetensors"))
        }
        assertEngineError("safetensors", "cannot write \(directory)") {
            try Safetensors.write([("x", try Tensor.ones([1]))], to: self.directory)  // a directory
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), [], "temporary removed")
        assertEngineError("safetensors", "tensor \"x\": duplicate name") {
            _ = try Safetensors.encode([("x", try Tensor.ones([1])), ("x", try Tensor.ones([1]))])
        }
        assertEngineError("safetensors", "reserved for metadata") {
            _ = try Safetensors.encode([("__metadata__", try Tensor.ones([1]))])
        }
    }

    // MARK: Hostile input

    func testReadErrorsNameTheFile() throws {
        let file = path("short.safetensors")
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: file))
        assertEngineError("safetensors", "file is 3 bytes") { _ = try Safetensors.read(path: file) }
        assertEngineError("safetensors", "(in \(file))") { _ = try Safetensors.read(path: file) }
        assertEngineError("safetensors", "cannot open \(path("nope"))") { _ = try Safetensors.read(path: self.path("nope")) }
        assertEngineError("safetensors", "not a regular file") { _ = try Safetensors.read(path: self.directory) }
        let fifo = path("fifo")
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        assertEngineError("safetensors", "not a regular file") { _ = try Safetensors.read(path: fifo) }

        let wrong = path("wrong.safetensors")
        try Data(image(#"{"fc.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}"#, data: [UInt8](repeating: 0, count: 20)))
            .write(to: URL(fileURLWithPath: wrong))
        do {
            _ = try Safetensors.read(path: wrong)
            XCTFail("no error")
        } catch let error as EngineError {
            XCTAssertEqual(error.description,
                           "[safetensors] tensor \"fc.weight\": data_offsets [0,20] size 20 does not match shape (2,3) × F32 = 24 bytes (in \(wrong))")
        }
    }

    /// Each hostile image must fail with a safetensors error containing `fragment`.
    private func assertRejected(_ bytes: [UInt8], _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        assertEngineError("safetensors", fragment, file: file, line: line) { _ = try Safetensors.decode(bytes, source: "test.st") }
    }

    func testTruncatedAndBadLengths() {
        assertRejected([], "file is 0 bytes")
        assertRejected([8, 0, 0, 0, 0, 0, 0], "file is 7 bytes")
        assertRejected(image("{}", length: 100), "header length 100 is larger than the 2 bytes")
        assertRejected(image("{}", length: UInt64.max), "exceeds the 100000000-byte limit")
        assertRejected(image("{}", length: 200_000_000), "exceeds")
        // A valid header whose tensor data was cut off.
        assertRejected(image(#"{"a":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}}"#, data: [0, 0, 0]),
                       "tensor \"a\": data_offsets [0,16] lie outside the 3-byte data buffer")
    }

    func testMalformedHeaders() {
        assertRejected(image(#"{"a": "#), "not valid JSON")
        assertRejected(image(#"{"a":1,}"#), "not valid JSON")
        assertRejected(image(#"{} x"#), "not valid JSON")
        assertRejected(image(""), "not valid JSON")
        assertRejected([3, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0xFF, 0x7D], "not valid UTF-8")
        assertRejected(image("[1,2]"), "header must be a JSON object; got an array")
        assertRejected(image(String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)), "nesting deeper")
        assertRejected(image(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"# + "\u{01}"), "not valid JSON")
        assertRejected(image(#"{"a":"\q"}"#), "invalid escape")
        let longShape = "[" + Array(repeating: "1", count: 2000).joined(separator: ",") + "]"
        assertRejected(image("{\"a\":{\"dtype\":\"F32\",\"shape\":\(longShape),\"data_offsets\":[0,4]}}"),
                       "array longer than 1024 elements")
        // A syntax error wins over an invalid entry before it.
        assertRejected(image(#"{"a":{"dtype":"X"}"#), "not valid JSON")
        assertRejected(image(#"{"a":"\ud800"}"#), "unpaired surrogate")
    }

    func testBadEntries() {
        func entry(_ body: String, data: Int = 4) -> [UInt8] {
            image("{\"w\":\(body)}", data: [UInt8](repeating: 0, count: data))
        }
        assertRejected(entry("[1]"), "tensor \"w\": entry must be an object")
        assertRejected(entry(#"{"shape":[1],"data_offsets":[0,4]}"#), "tensor \"w\": missing \"dtype\"")
        assertRejected(entry(#"{"dtype":"F32","data_offsets":[0,4]}"#), "missing \"shape\"")
        assertRejected(entry(#"{"dtype":"F32","shape":[1]}"#), "missing \"data_offsets\"")
        assertRejected(entry(#"{"dtype":32,"shape":[1],"data_offsets":[0,4]}"#), "dtype must be a string; got a number")
        assertRejected(entry(#"{"dtype":"F16","shape":[2],"data_offsets":[0,4]}"#), "tensor \"w\": unknown dtype \"F16\"")
        assertRejected(entry(#"{"dtype":"F32","shape":"1","data_offsets":[0,4]}"#), "shape must be an array")
        assertRejected(entry(#"{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}"#), "shape entry must be non-negative; got -1")
        assertRejected(entry(#"{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}"#), "shape entry must be a non-negative integer; got 1.5")
        assertRejected(entry(#"{"dtype":"F32","shape":[1e0],"data_offsets":[0,4]}"#), "got 1e0")
        assertRejected(entry(#"{"dtype":"F32","shape":[null],"data_offsets":[0,4]}"#), "got null")
        assertRejected(entry(#"{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,4]}"#), "out of range")
        assertRejected(entry(#"{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,4]}"#), "too many elements")
        assertRejected(entry(#"{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,4]}"#), "× F64 overflows")
        assertRejected(entry(#"{"dtype":"F32","shape":[1],"data_offsets":[0]}"#), "two integers")
        assertRejected(entry(#"{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}"#), "two integers")
        assertRejected(entry(#"{"dtype":"F32","shape":[1],"data_offsets":[4,0]}"#), "data_offsets [4,0] begin after end")
        assertRejected(entry(#"{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}"#), "data_offsets entry must be non-negative")
        assertRejected(entry(#"{"dtype":"F32","shape":[1],"data_offsets":[0,8]}"#), "[0,8] lie outside the 4-byte data buffer")
        assertRejected(entry(#"{"dtype":"F32","shape":[2],"data_offsets":[0,4]}"#), "size 4 does not match shape (2) × F32 = 8 bytes")
        assertRejected(entry(#"{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}"#), "duplicate field \"dtype\"")
        assertRejected(entry(#"{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":1}"#), "unexpected field \"extra\"")
    }

    func testLayoutAcrossTensors() {
        let a = #""a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#
        let data = [UInt8](repeating: 0, count: 16)
        assertRejected(image("{\(a),\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", data: data),
                       "tensor \"b\": data_offsets [4,12] overlap tensor \"a\" [0,8]")
        assertRejected(image("{\(a),\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}", data: data),
                       "tensor \"b\": data_offsets [12,16] leave a gap of 4 bytes after tensor \"a\"")
        assertRejected(image(#"{"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: [UInt8](repeating: 0, count: 8)),
                       "gap of 4 bytes after the start of the data buffer")
        assertRejected(image("{\(a)}", data: data), "8 trailing bytes after the last tensor")
        assertRejected(image("{}", data: [1]), "1 trailing bytes")
        assertRejected(image("{\(a),\(a)}", data: data), "tensor \"a\": duplicate name")
        // Same tensor twice under two names is an overlap too.
        assertRejected(image("{\(a),\"c\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", data: [UInt8](repeating: 0, count: 8)),
                       "overlap")
        // Empty tensors may sit at any boundary.
        let ok = image("{\(a),\"e\":{\"dtype\":\"I64\",\"shape\":[0,3],\"data_offsets\":[8,8]},"
                       + "\"z\":{\"dtype\":\"I64\",\"shape\":[0],\"data_offsets\":[0,0]}}", data: [UInt8](repeating: 0, count: 8))
        XCTAssertEqual(try Safetensors.decode(ok).names, ["a", "e", "z"])
    }

    func testBadMetadata() {
        assertRejected(image(#"{"__metadata__":{"k":1}}"#), "__metadata__ \"k\": value must be a string; got a number")
        assertRejected(image(#"{"__metadata__":["x"]}"#), "\"__metadata__\" must be an object of strings; got an array")
        assertRejected(image(#"{"__metadata__":{"k":"a","k":"b"}}"#), "__metadata__ \"k\": duplicate key")
        assertRejected(image(#"{"__metadata__":{},"__metadata__":{}}"#), "duplicate \"__metadata__\"")
        XCTAssertEqual(try Safetensors.decode(image(#"{"__metadata__":{"k":"v\u00e9"}}"#)).metadata, ["k": "vé"])
    }

    func testRandomCorruptionsNeverCrash() throws {
        let good = try Safetensors.encode([("w", try Tensor.ones([2, 3])), ("b", try Tensor.zeros([3], dtype: .int64)),
                                           ("m", try Tensor.ones([2], dtype: .bool))], metadata: ["k": "v"])
        var rng = Generator(seed: 2024)
        var rejected = 0
        for trial in 0..<3000 {
            var bytes = good
            switch trial % 3 {
            case 0:  // flip a few bytes anywhere
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
            case 1:  // cut the file short
                bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &rng)))
            default:  // change one header character to a JSON-significant one
                let i = Int.random(in: 8..<min(bytes.count, 8 + Int(bytes[0])), using: &rng)
                bytes[i] = Array("{}[],:\"0-9e.".utf8).randomElement(using: &rng)!
            }
            do { _ = try Safetensors.decode(bytes) } catch is EngineError { rejected += 1 }
        }
        XCTAssertGreaterThan(rejected, 2000)
    }
}
