import XCTest
@testable import Engine

final class CreationTests: XCTestCase {
    func testZerosOnesFull() throws {
        try assertClose(Tensor.zeros([2, 2]), [0, 0, 0, 0], shape: [2, 2])
        try assertClose(Tensor.ones([3]), [1, 1, 1], shape: [3])
        let f = try Tensor.full([2], 7.5, dtype: .float64)
        XCTAssertEqual(f.dtype, .float64)
        try assertClose(f, [7.5, 7.5])
        XCTAssertEqual(try Tensor.full([2], 3.9, dtype: .int64).toInts(), [3, 3])
    }

    func testArangeLinspaceEye() throws {
        let a = try Tensor.arange(0, 5)
        XCTAssertEqual(a.dtype, .int64)
        XCTAssertEqual(try a.toInts(), [0, 1, 2, 3, 4])
        let b = try Tensor.arange(1, 2, step: 0.25)
        XCTAssertEqual(b.dtype, .float32)
        try assertClose(b, [1, 1.25, 1.5, 1.75])
        try assertClose(Tensor.arange(5, 0, step: -2), [5, 3, 1])
        try assertClose(Tensor.linspace(0, 1, steps: 5), [0, 0.25, 0.5, 0.75, 1])
        XCTAssertEqual(try Tensor.linspace(0, 1, steps: 7, dtype: .float64).toDoubles().last, 1)
        try assertClose(Tensor.eye(2, 3), [1, 0, 0, 0, 1, 0], shape: [2, 3])
    }

    func testFromValuesAndItem() throws {
        let t = try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        XCTAssertEqual(try t.value(at: [1, 2]), 6)
        XCTAssertEqual(try t.value(at: [-1, -3]), 4)
        XCTAssertEqual(try Tensor.scalar(3).item(), 3)
        XCTAssertEqual(try Tensor(floats: [1.5, 2.5], shape: [2]).toFloats(), [1.5, 2.5])
    }

    func testDtypeConversions() throws {
        let t = try Tensor([-1.7, 0, 2.5, 300], shape: [4])
        XCTAssertEqual(try t.to(.int64).toInts(), [-1, 0, 2, 300])
        XCTAssertEqual(try t.to(.uint8).toInts(), [0, 0, 2, 255], "saturating conversion")
        XCTAssertEqual(try t.to(.int8).toInts(), [-1, 0, 2, 127])
        XCTAssertEqual(try t.to(.bool).toInts(), [1, 0, 1, 1])
        XCTAssertEqual(try t.to(.float64).toDoubles(), [Double(Float(-1.7)), 0, 2.5, 300])
        XCTAssertEqual(try Tensor([Double.nan], shape: [1]).to(.int32).toInts(), [0], "NaN converts to 0, no trap")
        XCTAssertEqual(DType(name: "double"), .float64)
        XCTAssertEqual(DType(name: "long"), .int64)
        XCTAssertNil(DType(name: "complex"))
    }

    func testCreationErrors() {
        assertEngineError("zeros", "negative") { _ = try Tensor.zeros([2, -1]) }
        assertEngineError("zeros", "too many") { _ = try Tensor.zeros([Int.max, 4]) }
        assertEngineError("arange", "wrong sign") { _ = try Tensor.arange(0, 5, step: -1) }
        assertEngineError("arange", "non-zero") { _ = try Tensor.arange(0, 5, step: 0) }
        assertEngineError("linspace") { _ = try Tensor.linspace(0, 1, steps: -1) }
        assertEngineError("eye") { _ = try Tensor.eye(-2) }
        assertEngineError("tensor", "3 values") { _ = try Tensor([1, 2, 3], shape: [2, 2]) }
        assertEngineError("item", "one-element") { _ = try Tensor.zeros([2]).item() }
        assertEngineError("index", "out of range") { _ = try Tensor.zeros([2]).value(at: [2]) }
    }

    func testEmptyTensors() throws {
        let e = try Tensor.zeros([0, 3])
        XCTAssertEqual(e.numel, 0)
        XCTAssertEqual(try e.sum().item(), 0)
        XCTAssertEqual(try (e + e).shape, [0, 3])
        XCTAssertEqual(try e.t().contiguous().shape, [3, 0])
    }

    func testMemoryIsAccountedAndFreed() throws {
        let before = MemoryStats.liveBytes
        do {
            let big = try Tensor.zeros([1024, 256])
            XCTAssertGreaterThanOrEqual(MemoryStats.liveBytes - before, 1024 * 256 * 4)
            _ = big
        }
        XCTAssertLessThanOrEqual(MemoryStats.liveBytes - before, 0)
    }
}
