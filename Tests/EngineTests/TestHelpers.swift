import XCTest
@testable import Engine

/// Asserts every element of `t` is within `atol + rtol*|expected|` of `expected` (row-major).
func assertClose(_ t: Tensor, _ expected: [Double], shape: [Int]? = nil, rtol: Double = 1e-5, atol: Double = 1e-6,
                 file: StaticString = #filePath, line: UInt = #line) throws {
    if let shape { XCTAssertEqual(t.shape, shape, "shape", file: file, line: line) }
    let values = try t.toDoubles()
    XCTAssertEqual(values.count, expected.count, "element count", file: file, line: line)
    for (i, (v, e)) in zip(values, expected).enumerated() {
        if e.isNaN { XCTAssertTrue(v.isNaN, "element \(i): \(v) is not NaN", file: file, line: line); continue }
        XCTAssertLessThanOrEqual(abs(v - e), atol + rtol * abs(e), "element \(i): \(v) vs \(e)", file: file, line: line)
    }
}

/// Asserts `body` throws an EngineError for `op` whose message contains `fragment`.
func assertEngineError(_ op: String, _ fragment: String = "", file: StaticString = #filePath, line: UInt = #line,
                       _ body: () throws -> Void) {
    do {
        try body()
        XCTFail("expected [\(op)] error, nothing thrown", file: file, line: line)
    } catch let error as EngineError {
        XCTAssertEqual(error.op, op, "\(error)", file: file, line: line)
        if !fragment.isEmpty {
            XCTAssertTrue(error.description.contains(fragment), "'\(error)' lacks '\(fragment)'", file: file, line: line)
        }
    } catch {
        XCTFail("unexpected error \(error)", file: file, line: line)
    }
}

/// A float64 leaf requiring grad with deterministic values in [-1, 1).
func leaf(_ shape: [Int], seed: UInt64 = 1, offset: Double = 0) throws -> Tensor {
    var s = seed &* 0x9E3779B97F4A7C15 | 1
    let n = shape.reduce(1, *)
    let values = (0..<n).map { _ -> Double in
        s ^= s << 13; s ^= s >> 7; s ^= s << 17
        return Double(s % 2000) / 1000 - 1 + offset
    }
    let t = try Tensor(values, shape: shape, dtype: .float64)
    try t.setRequiresGrad()
    return t
}

/// Runs gradcheck and fails the test with its message on a mismatch.
func assertGradcheck(_ inputs: [Tensor], file: StaticString = #filePath, line: UInt = #line,
                     _ f: ([Tensor]) throws -> Tensor) throws {
    if let problem = try Gradcheck.check(inputs, f) { XCTFail(problem, file: file, line: line) }
}
