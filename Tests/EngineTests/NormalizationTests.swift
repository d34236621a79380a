import XCTest
@testable import Engine

/// Normalization written with plain tensor ops over `dims` (biased variance), as a reference.
func referenceNormalize(_ x: Tensor, dims: [Int], eps: Double) throws -> Tensor {
    let mean = try x.mean(dims: dims, keepdim: true)
    let centered = try x.sub(mean)
    let variance = try centered.mul(centered).mean(dims: dims, keepdim: true)
    return try centered.div(variance.add(scalar: eps).sqrt())
}

final class NormalizationTests: XCTestCase {
    func testBatchNormTrainingMatchesReferenceAndUpdatesRunningStats() throws {
        let x = try leaf([4, 3, 5, 2], seed: 1)
        let w = try leaf([3], seed: 2), b = try leaf([3], seed: 3)
        let rm = try Tensor([0.5, -1, 2], shape: [3], dtype: .float64), rv = try Tensor([1, 2, 3], shape: [3], dtype: .float64)
        let y = try Functional.batchNorm(x, runningMean: rm, runningVar: rv, weight: w, bias: b, training: true, momentum: 0.2)
        let ref = try referenceNormalize(x.detach(), dims: [0, 2, 3], eps: 1e-5)
            .mul(w.detach().reshape([1, 3, 1, 1])).add(b.detach().reshape([1, 3, 1, 1]))
        try assertClose(y, try ref.toDoubles(), shape: [4, 3, 5, 2], rtol: 1e-10, atol: 1e-10)
        // Running stats: 0.8·old + 0.2·batch, with the unbiased batch variance (count 40).
        let mean = try x.detach().mean(dims: [0, 2, 3]).toDoubles()
        let centered = try x.detach().sub(x.detach().mean(dims: [0, 2, 3], keepdim: true))
        let unbiased = try centered.mul(centered).sum(dims: [0, 2, 3]).div(scalar: 39).toDoubles()
        try assertClose(rm, zip([0.5, -1, 2], mean).map { 0.8 * $0 + 0.2 * $1 }, rtol: 1e-12)
        try assertClose(rv, zip([1.0, 2, 3], unbiased).map { 0.8 * $0 + 0.2 * $1 }, rtol: 1e-12)
        // float32 running stats with a float32 input.
        let rmf = try Tensor.zeros([3]), rvf = try Tensor.ones([3])
        _ = try Functional.batchNorm(x.detach().to(.float32), runningMean: rmf, runningVar: rvf, training: true)
        try assertClose(rmf, mean.map { 0.1 * $0 }, rtol: 1e-5)
    }

    func testBatchNormEvalUsesRunningStats() throws {
        let x = try leaf([2, 3, 4], seed: 4)
        let rm = try Tensor([0.1, 0.2, -0.3], shape: [3], dtype: .float64), rv = try Tensor([0.5, 2, 1], shape: [3], dtype: .float64)
        let w = try leaf([3], seed: 5), b = try leaf([3], seed: 6)
        let y = try Functional.batchNorm(x, runningMean: rm, runningVar: rv, weight: w, bias: b, training: false, eps: 1e-3)
        let ref = try x.detach().sub(rm.reshape([1, 3, 1])).div(rv.reshape([1, 3, 1]).add(scalar: 1e-3).sqrt())
            .mul(w.detach().reshape([1, 3, 1])).add(b.detach().reshape([1, 3, 1]))
        try assertClose(y, try ref.toDoubles(), rtol: 1e-10, atol: 1e-10)
        try assertClose(rm, [0.1, 0.2, -0.3])  // unchanged
        try assertGradcheck([x, w, b]) { t in
            try Functional.batchNorm(t[0], runningMean: rm, runningVar: rv, weight: t[1], bias: t[2], training: false, eps: 1e-3)
        }
    }

    func testBatchNormGradcheck() throws {
        for shape in [[4, 3], [3, 2, 5], [2, 3, 3, 4], [1, 2, 3, 3]] {
            let c = shape[1]
            let x = try leaf(shape, seed: UInt64(shape.reduce(0, +))), w = try leaf([c], seed: 7, offset: 1), b = try leaf([c], seed: 8)
            try assertGradcheck([x, w, b]) { t in
                try Functional.batchNorm(t[0], runningMean: nil, runningVar: nil, weight: t[1], bias: t[2], training: true)
            }
            try assertGradcheck([x]) { t in try Functional.batchNorm(t[0], runningMean: nil, runningVar: nil, training: true) }
        }
        // Running stats given in training: same gradient, stats updated once per call.
        let x = try leaf([3, 2, 4], seed: 9)
        let rm = try Tensor.zeros([2], dtype: .float64), rv = try Tensor.ones([2], dtype: .float64)
        try assertGradcheck([x]) { t in try Functional.batchNorm(t[0], runningMean: rm, runningVar: rv, training: true) }
    }

    func testBatchNormErrors() {
        assertEngineError("batch_norm", "more than 1 value per channel") {
            _ = try Functional.batchNorm(Tensor.zeros([1, 3]), runningMean: nil, runningVar: nil, training: true)
        }
        assertEngineError("batch_norm", "required in evaluation mode") {
            _ = try Functional.batchNorm(Tensor.zeros([2, 3]), runningMean: nil, runningVar: nil, training: false)
        }
        assertEngineError("batch_norm", "expected weight of shape (3)") {
            _ = try Functional.batchNorm(Tensor.zeros([2, 3]), runningMean: nil, runningVar: nil, weight: Tensor.ones([4]), training: true)
        }
        assertEngineError("batch_norm", "expected running_var of shape (3)") {
            _ = try Functional.batchNorm(Tensor.zeros([2, 3]), runningMean: Tensor.zeros([3]), runningVar: Tensor.zeros([2]))
        }
        assertEngineError("batch_norm", "given together") {
            _ = try Functional.batchNorm(Tensor.zeros([2, 3]), runningMean: Tensor.zeros([3]), runningVar: nil)
        }
        assertEngineError("batch_norm", "at least 2 dims") {
            _ = try Functional.batchNorm(Tensor.zeros([3]), runningMean: nil, runningVar: nil, training: true)
        }
        assertEngineError("batch_norm", "must not require grad") {
            let rm = try Tensor.zeros([3]); try rm.setRequiresGrad()
            _ = try Functional.batchNorm(Tensor.zeros([2, 3]), runningMean: rm, runningVar: Tensor.ones([3]), training: true)
        }
        assertEngineError("batch_norm", "non-empty") {
            _ = try Functional.batchNorm(Tensor.zeros([0, 3]), runningMean: nil, runningVar: nil, training: true)
        }
    }

    func testGroupNorm() throws {
        let x = try leaf([2, 6, 3, 2], seed: 10)
        let w = try leaf([6], seed: 11), b = try leaf([6], seed: 12)
        let y = try Functional.groupNorm(x, groups: 3, weight: w, bias: b)
        let ref = try referenceNormalize(x.detach().reshape([2, 3, 12]), dims: [2], eps: 1e-5).reshape([2, 6, 3, 2])
            .mul(w.detach().reshape([1, 6, 1, 1])).add(b.detach().reshape([1, 6, 1, 1]))
        try assertClose(y, try ref.toDoubles(), rtol: 1e-10, atol: 1e-10)
        for groups in [1, 2, 3, 6] {
            try assertGradcheck([x, w, b]) { t in try Functional.groupNorm(t[0], groups: groups, weight: t[1], bias: t[2]) }
        }
        let z = try leaf([1, 4, 5], seed: 13)
        try assertGradcheck([z]) { t in try Functional.groupNorm(t[0], groups: 2) }
        assertEngineError("group_norm", "divisible by groups=4") { _ = try Functional.groupNorm(Tensor.zeros([2, 6, 3]), groups: 4) }
        assertEngineError("group_norm", "divisible by groups=0") { _ = try Functional.groupNorm(Tensor.zeros([2, 6, 3]), groups: 0) }
    }

    func testInstanceNorm() throws {
        let x = try leaf([2, 3, 4, 3], seed: 14)
        let y = try Functional.instanceNorm(x)
        try assertClose(y, try referenceNormalize(x.detach(), dims: [2, 3], eps: 1e-5).toDoubles(), rtol: 1e-10, atol: 1e-10)
        let w = try leaf([3], seed: 15), b = try leaf([3], seed: 16)
        try assertGradcheck([x, w, b]) { t in try Functional.instanceNorm(t[0], weight: t[1], bias: t[2]) }
        try assertGradcheck([x]) { t in try Functional.instanceNorm(t[0]) }
        assertEngineError("instance_norm", "at least 3 dims") { _ = try Functional.instanceNorm(Tensor.zeros([2, 3])) }
    }

    func testLayerNorm() throws {
        let x = try leaf([3, 4, 5], seed: 17)
        let w = try leaf([4, 5], seed: 18), b = try leaf([4, 5], seed: 19)
        let y = try Functional.layerNorm(x, normalizedShape: [4, 5], weight: w, bias: b)
        let ref = try referenceNormalize(x.detach(), dims: [1, 2], eps: 1e-5).mul(w.detach()).add(b.detach())
        try assertClose(y, try ref.toDoubles(), rtol: 1e-10, atol: 1e-10)
        try assertGradcheck([x, w, b]) { t in try Functional.layerNorm(t[0], normalizedShape: [4, 5], weight: t[1], bias: t[2]) }
        let w1 = try leaf([5], seed: 20), b1 = try leaf([5], seed: 21)
        try assertGradcheck([x, w1, b1]) { t in try Functional.layerNorm(t[0], normalizedShape: [5], weight: t[1], bias: t[2], eps: 1e-3) }
        try assertGradcheck([x]) { t in try Functional.layerNorm(t[0], normalizedShape: [3, 4, 5]) }
        // Non-contiguous input.
        try assertGradcheck([x, w1]) { t in try Functional.layerNorm(t[0].transpose(0, 1).slice(dim: 2, start: 0), normalizedShape: [5], weight: t[1]) }
        // float32 path and a large (parallel) case against the reference.
        let big = try Tensor.randn([64, 256], generator: Generator(seed: 3))
        try assertClose(Functional.layerNorm(big, normalizedShape: [256]),
                        try referenceNormalize(big.to(.float64), dims: [1], eps: 1e-5).toDoubles(), rtol: 1e-4, atol: 1e-5)
        assertEngineError("layer_norm", "trailing dims (4)") { _ = try Functional.layerNorm(x, normalizedShape: [4]) }
        assertEngineError("layer_norm", "expected weight of shape (5)") {
            _ = try Functional.layerNorm(x, normalizedShape: [5], weight: Tensor.ones([4, 5], dtype: .float64))
        }
    }

    /// The float32 row kernels (SIMD lanes, tails, runs over 128, both cores) against the
    /// float64 loops: forward values and every gradient.
    func testLayerNormFloat32RowKernelsMatchFloat64() throws {
        for (rows, n) in [(5, 13), (37, 131), (300, 300), (1024, 128)] {
            for affine in [true, false] {
                let x64 = try Tensor.randn([rows, n], dtype: .float64, generator: Generator(seed: UInt64(rows + n)))
                    .mul(scalar: 3).add(scalar: 5)
                let w64 = try Tensor.randn([n], dtype: .float64, generator: Generator(seed: 7))
                let b64 = try Tensor.randn([n], dtype: .float64, generator: Generator(seed: 8))
                let g64 = try Tensor.randn([rows, n], dtype: .float64, generator: Generator(seed: 9))
                func run(_ type: DType) throws -> [[Double]] {
                    let x = try x64.to(type), w = try w64.to(type), b = try b64.to(type)
                    try x.setRequiresGrad(); try w.setRequiresGrad(); try b.setRequiresGrad()
                    let y = try Functional.layerNorm(x, normalizedShape: [n], weight: affine ? w : nil, bias: affine ? b : nil)
                    try y.backward(gradient: g64.to(type))
                    var out = [try y.toDoubles(), try XCTUnwrap(x.grad).toDoubles()]
                    if affine { out += [try XCTUnwrap(w.grad).toDoubles(), try XCTUnwrap(b.grad).toDoubles()] }
                    return out
                }
                let fast = try run(.float32), reference = try run(.float64)
                for (f, r) in zip(fast, reference) {
                    let scale = r.map { Swift.abs($0) }.max() ?? 1
                    for (a, e) in zip(f, r) { XCTAssertEqual(a, e, accuracy: 1e-4 * scale + 1e-5, "rows \(rows) n \(n) affine \(affine)") }
                }
            }
        }
    }

    func testLargeParallelNormsMatchReference() throws {
        let x = try Tensor.randn([16, 8, 16, 16], dtype: .float64, generator: Generator(seed: 5)); try x.setRequiresGrad()
        let w = try leaf([8], seed: 22), b = try leaf([8], seed: 23)
        let y = try Functional.batchNorm(x, runningMean: nil, runningVar: nil, weight: w, bias: b, training: true)
        let ref = try referenceNormalize(x.detach(), dims: [0, 2, 3], eps: 1e-5).mul(w.detach().reshape([1, 8, 1, 1])).add(b.detach().reshape([1, 8, 1, 1]))
        try assertClose(y, try ref.toDoubles(), rtol: 1e-9, atol: 1e-9)
        // The composite graph's gradients equal the fused ones.
        let g = try Tensor.randn(y.shape, dtype: .float64, generator: Generator(seed: 6))
        try y.backward(gradient: g)
        let fused = try XCTUnwrap(x.grad).toDoubles(), fusedW = try XCTUnwrap(w.grad).toDoubles()
        x.grad = nil; w.grad = nil
        let composite = try referenceNormalize(x, dims: [0, 2, 3], eps: 1e-5).mul(w.reshape([1, 8, 1, 1])).add(b.detach().reshape([1, 8, 1, 1]))
        try composite.backward(gradient: g)
        try assertClose(try XCTUnwrap(x.grad), fused, rtol: 1e-8, atol: 1e-9)
        try assertClose(try XCTUnwrap(w.grad), fusedW, rtol: 1e-8, atol: 1e-9)
        let gn = try Functional.groupNorm(x.detach(), groups: 4)
        try assertClose(gn, try referenceNormalize(x.detach().reshape([16, 4, 512]), dims: [2], eps: 1e-5).toDoubles(), rtol: 1e-9, atol: 1e-9)
    }
}
