import XCTest
@testable import Engine

final class ResizeTests: XCTestCase {
    func testNearest() throws {
        let x = try Tensor([1, 2, 3, 4], shape: [1, 1, 2, 2])
        try assertClose(Functional.upsampleNearest2d(x, scale: (2, 2)),
                        [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4], shape: [1, 1, 4, 4])
        try assertClose(Functional.upsampleNearest2d(x, size: (3, 3)), [1, 1, 2, 1, 1, 2, 3, 3, 4], shape: [1, 1, 3, 3])
        try assertClose(Functional.upsampleNearest2d(x, size: (2, 3)), [1, 1, 2, 3, 3, 4], shape: [1, 1, 2, 3])
        // Downsampling picks floor(i·H/oh).
        let y = try Tensor((0..<16).map(Double.init), shape: [1, 1, 4, 4])
        try assertClose(Functional.upsampleNearest2d(y, size: (2, 2)), [0, 2, 8, 10])
        // Unbatched.
        XCTAssertEqual(try Functional.upsampleNearest2d(x.squeeze(0), scale: (1.5, 2)).shape, [1, 3, 4])
    }

    func testBilinear() throws {
        let x = try Tensor([1, 2, 3, 4], shape: [1, 1, 2, 2])
        // PyTorch: F.interpolate(x, size=(4,4), mode='bilinear', align_corners=False)
        try assertClose(Functional.upsampleBilinear2d(x, size: (4, 4)),
                        [1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4], shape: [1, 1, 4, 4])
        try assertClose(Functional.upsampleBilinear2d(x, size: (3, 3), alignCorners: true),
                        [1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4], shape: [1, 1, 3, 3])
        try assertClose(Functional.upsampleBilinear2d(x, scale: (2, 2)),
                        try Functional.upsampleBilinear2d(x, size: (4, 4)).toDoubles())
        // Same size is the identity; a single output pixel with align_corners reads the corner.
        let y = try leaf([2, 3, 4, 5], seed: 1)
        try assertClose(Functional.upsampleBilinear2d(y, size: (4, 5)), try y.toDoubles())
        try assertClose(Functional.upsampleBilinear2d(y, size: (4, 5), alignCorners: true), try y.toDoubles())
        try assertClose(Functional.upsampleBilinear2d(x, size: (1, 1), alignCorners: true), [1])
        // Downsampling by 2 without align_corners averages 2x2 blocks.
        let y4 = try y.narrow(dim: 3, start: 0, length: 4)
        try assertClose(Functional.upsampleBilinear2d(y4, size: (2, 2)), try Functional.avgPool2d(y4, kernel: (2, 2)).toDoubles())
    }

    func testResizeGradcheck() throws {
        let x = try leaf([2, 2, 3, 4], seed: 2)
        for size in [(6, 8), (5, 7), (2, 3), (3, 9), (1, 1)] {
            try assertGradcheck([x]) { t in try Functional.upsampleNearest2d(t[0], size: size) }
            for align in [false, true] {
                try assertGradcheck([x]) { t in try Functional.upsampleBilinear2d(t[0], size: size, alignCorners: align) }
            }
        }
        try assertGradcheck([x]) { t in try Functional.upsampleNearest2d(t[0], scale: (2, 1.5)) }
        try assertGradcheck([x]) { t in try Functional.upsampleBilinear2d(t[0], scale: (1.7, 0.6)) }
        try assertGradcheck([x]) { t in try Functional.upsampleBilinear2d(t[0].select(dim: 0, index: 0), size: (5, 5)) }
        // Large (parallel) float32 case: backward of nearest ×2 sums 2x2 blocks.
        let big = try Tensor.randn([8, 16, 16, 16], generator: Generator(seed: 2)); try big.setRequiresGrad()
        try Functional.upsampleNearest2d(big, scale: (2, 2)).sum().backward()
        try assertClose(try XCTUnwrap(big.grad), [Double](repeating: 4, count: big.numel))
    }

    func testResizeErrors() {
        let x = { try Tensor.zeros([1, 1, 2, 2]) }
        assertEngineError("upsample_nearest2d", "exactly one of size and scale; got neither") { _ = try Functional.upsampleNearest2d(x()) }
        assertEngineError("upsample_nearest2d", "exactly one of size and scale; got both") {
            _ = try Functional.upsampleNearest2d(x(), size: (2, 2), scale: (2, 2))
        }
        assertEngineError("upsample_bilinear2d", "positive and finite") { _ = try Functional.upsampleBilinear2d(x(), scale: (0, 2)) }
        assertEngineError("upsample_bilinear2d", "expected at least 1x1") { _ = try Functional.upsampleBilinear2d(x(), scale: (0.1, 2)) }
        assertEngineError("upsample_bilinear2d", "output size must be positive") { _ = try Functional.upsampleBilinear2d(x(), size: (0, 2)) }
        assertEngineError("upsample_nearest2d", "floating point input") {
            _ = try Functional.upsampleNearest2d(Tensor.zeros([1, 1, 2, 2], dtype: .int64), size: (4, 4))
        }
    }

    // MARK: pad

    func testPadModes() throws {
        let x = try Tensor([1, 2, 3], shape: [1, 3])
        try assertClose(Functional.pad(x, [2, 1]), [0, 0, 1, 2, 3, 0], shape: [1, 6])
        try assertClose(Functional.pad(x, [2, 1], mode: .constant(-1)), [-1, -1, 1, 2, 3, -1])
        try assertClose(Functional.pad(x, [2, 1], mode: .reflect), [3, 2, 1, 2, 3, 2])
        try assertClose(Functional.pad(x, [2, 1], mode: .replicate), [1, 1, 1, 2, 3, 3])
        try assertClose(Functional.pad(x, [2, 1], mode: .circular), [2, 3, 1, 2, 3, 1])
        // Negative constant pads crop.
        try assertClose(Functional.pad(x, [-1, 1]), [2, 3, 0])
        // Two dims: [left, right, top, bottom].
        let y = try Tensor([1, 2, 3, 4], shape: [1, 1, 2, 2])
        try assertClose(Functional.pad(y, [1, 0, 0, 1]), [0, 1, 2, 0, 3, 4, 0, 0, 0], shape: [1, 1, 3, 3])
        try assertClose(Functional.pad(y, [1, 1, 1, 1], mode: .reflect),
                        [4, 3, 4, 3, 2, 1, 2, 1, 4, 3, 4, 3, 2, 1, 2, 1], shape: [1, 1, 4, 4])
        try assertClose(Functional.pad(y, [0, 1, 1, 0], mode: .replicate), [1, 2, 2, 1, 2, 2, 3, 4, 4], shape: [1, 1, 3, 3])
        // Integer tensors pad too (no gradient).
        let z = try Functional.pad(Tensor([5, 6], shape: [2], dtype: .int64), [1, 1], mode: .constant(7))
        XCTAssertEqual(try z.toInts(), [7, 5, 6, 7])
        // Padding a leading dim, non-contiguous input.
        let t = try Tensor((0..<6).map(Double.init), shape: [2, 3]).t()   // (3,2)
        try assertClose(Functional.pad(t, [0, 0, 1, 0]), [0, 0, 0, 3, 1, 4, 2, 5], shape: [4, 2])
    }

    func testPadGradcheck() throws {
        let x = try leaf([2, 3, 4, 5], seed: 3)
        let cases: [([Int], PadMode)] = [
            ([1, 2], .constant(0.5)), ([1, 2, 2, 1], .constant(0)), ([-1, 2, 0, -2], .constant(1)), ([1, 1, 1, 1, 1, 0], .constant(0)),
            ([2, 3, 1, 3], .reflect), ([4, 4], .reflect), ([1, 1, 3, 0, 1, 1], .reflect),
            ([3, 1, 2, 4], .replicate), ([0, 5], .replicate),
            ([2, 5, 4, 1], .circular), ([5, 5, 4, 4], .circular),
        ]
        for (pads, mode) in cases {
            try assertGradcheck([x]) { t in try Functional.pad(t[0], pads, mode: mode) }
        }
        try assertGradcheck([x]) { t in try Functional.pad(t[0].transpose(1, 3), [1, 2, 1, 0], mode: .reflect) }
    }

    func testPadErrors() {
        let x = { try Tensor.zeros([1, 1, 3, 3]) }
        assertEngineError("pad", "even number of pads") { _ = try Functional.pad(x(), [1, 2, 3]) }
        assertEngineError("pad", "even number of pads") { _ = try Functional.pad(Tensor.zeros([3]), [1, 1, 1, 1]) }
        assertEngineError("pad", "reflect padding needs pads in [0, size)") { _ = try Functional.pad(x(), [3, 0], mode: .reflect) }
        assertEngineError("pad", "replicate padding needs non-negative pads") { _ = try Functional.pad(x(), [-1, 0], mode: .replicate) }
        assertEngineError("pad", "circular padding needs pads in [0, size]") { _ = try Functional.pad(x(), [4, 0], mode: .circular) }
        assertEngineError("pad", "negative") { _ = try Functional.pad(x(), [-2, -2]) }
    }
}
