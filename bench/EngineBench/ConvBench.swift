import Engine
#if canImport(Glibc)
import Glibc
#endif

/// Process CPU seconds per call of `body` (best of `repeats`): steadier than wall time on a
/// machine shared with other jobs, and it shows the cost of both cores' work.
func measureCPU(iterations: Int, repeats: Int = 5, _ body: () throws -> Void) rethrows -> Double {
    var best = Double.infinity
    for _ in 0..<repeats {
        var start = timespec(), end = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &start)
        for _ in 0..<iterations { try body() }
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &end)
        let seconds = Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) * 1e-9
        best = min(best, seconds / Double(iterations))
    }
    return best
}

/// The vision benchmark net on a 32×1×32×32 batch: conv(1→16, 3x3, pad 1) − relu − maxpool 2 −
/// conv(16→32, 3x3, pad 1) − relu − maxpool 2 − conv(32→64, 3x3, pad 1) − relu − global average
/// pool − linear(64→10), forward and forward+backward (wall and CPU time), plus single layers.
func runConvBenchmarks() throws {
    let g = Generator(seed: 1)
    let x = try Tensor.randn([32, 1, 32, 32], generator: g)
    let w1 = try Tensor.randn([16, 1, 3, 3], generator: g).mul(scalar: 0.3), b1 = try Tensor.zeros([16])
    let w2 = try Tensor.randn([32, 16, 3, 3], generator: g).mul(scalar: 0.1), b2 = try Tensor.zeros([32])
    let w3 = try Tensor.randn([64, 32, 3, 3], generator: g).mul(scalar: 0.06), b3 = try Tensor.zeros([64])
    let fc = try Tensor.randn([64, 10], generator: g).mul(scalar: 0.1)
    let params = [w1, b1, w2, b2, w3, b3, fc]
    for p in params { try p.setRequiresGrad() }

    func net() throws -> Tensor {
        var h = try Functional.conv2d(x, w1, bias: b1, padding: (1, 1)).relu()
        h = try Functional.maxPool2d(h, kernel: (2, 2)).values
        h = try Functional.conv2d(h, w2, bias: b2, padding: (1, 1)).relu()
        h = try Functional.maxPool2d(h, kernel: (2, 2)).values
        h = try Functional.conv2d(h, w3, bias: b3, padding: (1, 1)).relu()
        h = try Functional.adaptiveAvgPool2d(h, outputSize: (1, 1)).flatten(start: 1)
        return try h.matmul(fc).pow(scalar: 2).mean()
    }
    func step() throws {
        for p in params { p.grad = nil }
        try net().backward()
    }
    let forward = { _ = try GradMode.withoutGrad { try net() } }
    report("convnet32_forward_ms", try measure(iterations: 20, forward) * 1e3, "ms (no grad)")
    report("convnet32_forward_cpu_ms", try measureCPU(iterations: 20, forward) * 1e3, "ms CPU (both cores)")
    report("convnet32_fwd_bwd_ms", try measure(iterations: 20, step) * 1e3, "ms (forward + backward)")
    report("convnet32_fwd_bwd_cpu_ms", try measureCPU(iterations: 20, step) * 1e3, "ms CPU (both cores)")

    // Single layers of the net (wall time).
    func noGrad(_ body: @escaping () throws -> Tensor) -> () throws -> Void { { _ = try GradMode.withoutGrad(body) } }
    let y1 = try GradMode.withoutGrad { try Functional.conv2d(x, w1, bias: b1, padding: (1, 1)) }
    let h1 = try GradMode.withoutGrad { try Functional.maxPool2d(y1.relu(), kernel: (2, 2)).values }
    report("conv1_1to16_fwd_ms", try measure(iterations: 50, noGrad { try Functional.conv2d(x, w1, bias: b1, padding: (1, 1)) }) * 1e3, "ms")
    report("conv2_16to32_fwd_ms", try measure(iterations: 50, noGrad { try Functional.conv2d(h1, w2, bias: b2, padding: (1, 1)) }) * 1e3, "ms")
    report("relu_32x16x32x32_ms", try measure(iterations: 50, noGrad { try y1.relu() }) * 1e3, "ms")
    report("maxpool_32x16x32x32_ms", try measure(iterations: 50, noGrad { try Functional.maxPool2d(y1, kernel: (2, 2)).values }) * 1e3, "ms")
    let hg = h1.detach(); try hg.setRequiresGrad()
    report("conv2_16to32_fwd_bwd_ms", try measure(iterations: 50) {
        hg.grad = nil; w2.grad = nil; b2.grad = nil
        try Functional.conv2d(hg, w2, bias: b2, padding: (1, 1)).sum().backward()
    } * 1e3, "ms")
}
