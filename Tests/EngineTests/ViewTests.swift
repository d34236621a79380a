import XCTest
@testable import Engine

final class ViewTests: XCTestCase {
    let m = try! Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])

    func testViewsShareStorage() throws {
        let v = try m.reshape([3, 2])
        XCTAssertTrue(v.storage === m.storage)
        XCTAssertTrue(try m.t().storage === m.storage)
        XCTAssertTrue(try m.select(dim: 0, index: 1).storage === m.storage)
        XCTAssertTrue(try m.expand([4, 2, 3]).storage === m.storage)
        let fresh = try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        try fresh.select(dim: 1, index: 0).fill(9)
        try assertClose(fresh, [9, 2, 3, 9, 5, 6])
    }

    func testReshapeInfersAndCopiesWhenNeeded() throws {
        XCTAssertEqual(try m.reshape([-1]).shape, [6])
        XCTAssertEqual(try m.reshape([3, -1]).shape, [3, 2])
        let t = try m.t()
        XCTAssertFalse(t.isContiguous)
        try assertClose(t.reshape([6]), [1, 4, 2, 5, 3, 6])
        assertEngineError("view", "not contiguous") { _ = try t.view([6]) }
        assertEngineError("reshape", "invalid for input of size 6") { _ = try self.m.reshape([4, -1]) }
        assertEngineError("reshape", "only one dimension") { _ = try self.m.reshape([-1, -1]) }
    }

    func testTransposePermute() throws {
        try assertClose(m.t(), [1, 4, 2, 5, 3, 6], shape: [3, 2])
        let x = try Tensor((0..<24).map(Double.init), shape: [2, 3, 4])
        let p = try x.permute([2, 0, 1])
        XCTAssertEqual(p.shape, [4, 2, 3])
        XCTAssertEqual(try p.value(at: [3, 1, 2]), try x.value(at: [1, 2, 3]))
        assertEngineError("permute", "repeated") { _ = try x.permute([0, 0, 1]) }
        assertEngineError("transpose", "out of range") { _ = try x.transpose(0, 3) }
    }

    func testSliceNarrowSelect() throws {
        let v = try Tensor((0..<10).map(Double.init), shape: [10])
        try assertClose(v.slice(dim: 0, start: 1, end: 8, step: 3), [1, 4, 7])
        try assertClose(v.slice(dim: 0, start: -3), [7, 8, 9])
        try assertClose(v.slice(dim: 0, start: 20), [])
        try assertClose(v.narrow(dim: 0, start: 2, length: 3), [2, 3, 4])
        try assertClose(m.select(dim: 1, index: -1), [3, 6])
        assertEngineError("narrow", "out of range") { _ = try v.narrow(dim: 0, start: 8, length: 3) }
        assertEngineError("select", "index 2 out of range") { _ = try self.m.select(dim: 0, index: 2) }
        assertEngineError("slice", "step must be positive") { _ = try v.slice(dim: 0, step: 0) }
    }

    func testSqueezeUnsqueezeExpandFlatten() throws {
        let x = try Tensor.zeros([2, 1, 3])
        XCTAssertEqual(try x.squeeze().shape, [2, 3])
        XCTAssertEqual(try x.squeeze(0).shape, [2, 1, 3])
        XCTAssertEqual(try x.unsqueeze(-1).shape, [2, 1, 3, 1])
        XCTAssertEqual(try x.unsqueeze(0).shape, [1, 2, 1, 3])
        let row = try Tensor([1, 2, 3], shape: [3])
        let e = try row.expand([2, 3])
        XCTAssertEqual(e.strides, [0, 1])
        try assertClose(e, [1, 2, 3, 1, 2, 3])
        assertEngineError("expand", "cannot broadcast") { _ = try row.expand([2, 4]) }
        XCTAssertEqual(try Tensor.zeros([2, 3, 4]).flatten(start: 1).shape, [2, 12])
    }

    func testUnfoldWindows() throws {
        let v = try Tensor((0..<6).map(Double.init), shape: [6])
        try assertClose(v.unfold(dim: 0, size: 3, step: 2), [0, 1, 2, 2, 3, 4], shape: [2, 3])
        assertEngineError("unfold") { _ = try v.unfold(dim: 0, size: 7, step: 1) }
    }

    func testViewGradients() throws {
        let x = try leaf([2, 3, 4])
        try assertGradcheck([x]) { try $0[0].transpose(0, 2).mul($0[0].permute([2, 1, 0])) }
        try assertGradcheck([x]) { try $0[0].reshape([6, 4]).t() }
        try assertGradcheck([x]) { try $0[0].slice(dim: 2, start: 1, end: 4, step: 2) }
        try assertGradcheck([x]) { try $0[0].narrow(dim: 1, start: 1, length: 2) }
        try assertGradcheck([x]) { try $0[0].select(dim: -1, index: 2) }
        try assertGradcheck([x]) { try $0[0].unsqueeze(1).squeeze() }
        try assertGradcheck([x]) { try $0[0].select(dim: 1, index: 0).unsqueeze(1).expand([2, 5, 4]) }
        try assertGradcheck([x]) { try $0[0].unfold(dim: 2, size: 2, step: 1) }
        try assertGradcheck([x]) { try $0[0].flatten().contiguous() }
        try assertGradcheck([x]) { try $0[0].t_safe() }
    }
}

extension Tensor {
    /// transpose of the last two dims then clone, for gradcheck of clone over a strided view.
    func t_safe() throws -> Tensor { try transpose(-1, -2).clone() }
}
