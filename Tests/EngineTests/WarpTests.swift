import XCTest
@testable import Engine

/// `flip` and the affine warp behind image rotation augmentation.
final class WarpTests: XCTestCase {
    func testFlip() throws {
        let x = try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        try assertClose(x.flip([1]), [3, 2, 1, 6, 5, 4], shape: [2, 3])
        try assertClose(x.flip([0, -1]), [6, 5, 4, 3, 2, 1], shape: [2, 3])
        try assertClose(x.t().flip([0]), [3, 6, 2, 5, 1, 4], shape: [3, 2])   // a transposed view
        XCTAssertTrue(try x.flip([0]).isContiguous)
        try assertClose(x.flip([]), [1, 2, 3, 4, 5, 6])
        let ints = try Tensor([1, 2, 3], shape: [3]).to(.int64)
        XCTAssertEqual(try ints.flip([0]).toInts(), [3, 2, 1])
        let g = try leaf([2, 3, 4], seed: 3)
        try assertGradcheck([g]) { t in try t[0].flip([0, 2]) }
        assertEngineError("flip", "repeated dim") { _ = try x.flip([1, -1]) }
        assertEngineError("flip", "") { _ = try x.flip([2]) }
    }

    func testRotateQuarterTurnsAreExact() throws {
        // rot90 counter-clockwise: [[1,2],[3,4]] -> [[2,4],[1,3]].
        let x = try Tensor([1, 2, 3, 4], shape: [1, 1, 2, 2])
        try assertClose(Functional.rotate2d(x, degrees: [90]), [2, 4, 1, 3])
        try assertClose(Functional.rotate2d(x, degrees: [180]), [4, 3, 2, 1])
        try assertClose(Functional.rotate2d(x, degrees: [-90]), [3, 1, 4, 2])
        try assertClose(Functional.rotate2d(x, degrees: [0]), [1, 2, 3, 4])
        // One angle per image; unbatched input.
        let two = try Tensor([1, 2, 3, 4, 1, 2, 3, 4], shape: [2, 1, 2, 2])
        try assertClose(Functional.rotate2d(two, degrees: [0, 90]), [1, 2, 3, 4, 2, 4, 1, 3])
        XCTAssertEqual(try Functional.rotate2d(x.squeeze(0), degrees: [30]).shape, [1, 2, 2])
    }

    func testWarpAffineShiftAndFill() throws {
        let x = try Tensor((1...9).map(Double.init), shape: [1, 1, 3, 3])
        // Content one pixel right: output column j reads input column j - 1; column 0 is fill.
        try assertClose(Functional.warpAffine2d(x, matrices: [1, 0, -1, 0, 1, 0], fill: -1),
                        [-1, 1, 2, -1, 4, 5, -1, 7, 8])
        // Half a pixel: the average of neighbours, with the fill blended in at the border.
        try assertClose(Functional.warpAffine2d(x, matrices: [1, 0, 0.5, 0, 1, 0], fill: 0),
                        [1.5, 2.5, 1.5, 4.5, 5.5, 3, 7.5, 8.5, 4.5])
    }

    func testWarpGradcheck() throws {
        let x = try leaf([2, 2, 4, 5], seed: 4)
        try assertGradcheck([x]) { t in try Functional.rotate2d(t[0], degrees: [33, -71], fill: 0.5) }
        try assertGradcheck([x]) { t in try Functional.warpAffine2d(t[0], matrices: [0.9, 0.2, 0.3, -0.1, 1.1, -0.4,
                                                                                   1, 0, 0, 0, 1, 0]) }
    }

    func testWarpErrors() {
        let x = { try Tensor.zeros([2, 1, 3, 3]) }
        assertEngineError("warp_affine", "expected 6 affine coefficients per image (12") {
            _ = try Functional.warpAffine2d(x(), matrices: [1, 0, 0, 0, 1, 0])
        }
        assertEngineError("warp_affine", "finite") {
            _ = try Functional.warpAffine2d(x(), matrices: [1, 0, .nan, 0, 1, 0, 1, 0, 0, 0, 1, 0])
        }
        assertEngineError("rotate", "one angle or one per image") { _ = try Functional.rotate2d(x(), degrees: [1, 2, 3]) }
        assertEngineError("warp_affine", "floating point") {
            _ = try Functional.rotate2d(try Tensor.zeros([1, 1, 2, 2], dtype: .int64), degrees: [1])
        }
    }
}
