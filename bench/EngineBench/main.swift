// Engine micro-benchmarks (`make bench`). Prints `name value unit` lines; never run by tests.
import CBLAS
import Foundation
import Engine
#if canImport(Glibc)
import Glibc
#endif

/// Seconds per call of `body`: the best of `repeats` timings of `iterations` calls.
func measure(iterations: Int, repeats: Int = 5, _ body: () throws -> Void) rethrows -> Double {
    var best = Double.infinity
    for _ in 0..<repeats {
        var start = timespec(), end = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        for _ in 0..<iterations { try body() }
        clock_gettime(CLOCK_MONOTONIC, &end)
        let seconds = Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) * 1e-9
        best = min(best, seconds / Double(iterations))
    }
    return best
}

func report(_ name: String, _ value: Double, _ unit: String) {
    print(name.padding(toLength: 28, withPad: " ", startingAt: 0), String(format: "%10.3f", value), unit)
}

// Matrix product 1024×1024: the engine against a direct cblas_sgemm call on the same buffers.
let n = 1024
let a = try Tensor.linspace(0, 1, steps: n * n).reshape([n, n]), b = try Tensor.linspace(1, 0, steps: n * n).reshape([n, n])
let flops = 2.0 * Double(n * n * n)
let engineSeconds = try measure(iterations: 5) { _ = try a.matmul(b) }
let out = [Float](repeating: 0, count: n * n)
let av = try a.toFloats(), bv = try b.toFloats()
let blasSeconds = measure(iterations: 5) {
    out.withUnsafeBufferPointer { o in
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1,
                    av, Int32(n), bv, Int32(n), 0, UnsafeMutablePointer(mutating: o.baseAddress!), Int32(n))
    }
}
report("sgemm1024_gflops", flops / engineSeconds / 1e9, "GFLOP/s (engine)")
report("sgemm1024_blas_gflops", flops / blasSeconds / 1e9, "GFLOP/s (direct cblas_sgemm)")
report("sgemm1024_engine_vs_blas", blasSeconds / engineSeconds, "ratio (1.0 = no overhead)")

// Bandwidth: add and sum over 4M float32 (bytes moved: add reads 2 and writes 1 arrays).
let m = 4 * 1024 * 1024
let x = try Tensor.linspace(0, 1, steps: m), y = try Tensor.linspace(1, 2, steps: m)
let addSeconds = try measure(iterations: 20) { _ = try x.add(y) }
let sumSeconds = try measure(iterations: 20) { _ = try x.sum() }
report("add4m_ms", addSeconds * 1e3, "ms")
report("add4m_gbps", Double(3 * 4 * m) / addSeconds / 1e9, "GB/s")
report("sum4m_ms", sumSeconds * 1e3, "ms")
report("sum4m_gbps", Double(4 * m) / sumSeconds / 1e9, "GB/s")

// Per-op overhead: a 4-element add from Swift.
let s1 = try Tensor.ones([4]), s2 = try Tensor.ones([4])
let smallSeconds = try measure(iterations: 200_000) { _ = try s1.add(s2) }
report("op_add4_swift_ns", smallSeconds * 1e9, "ns")
let small = try Tensor.linspace(0, 1, steps: 60000), small2 = try Tensor.linspace(0, 1, steps: 60000)
let smallAdd = try measure(iterations: 200) { _ = try small.add(small2) }
report("add60k_ns_per_elem", smallAdd * 1e9 / 60000, "ns")
let smallMul = try measure(iterations: 200) { _ = try small.mul(scalar: 2) }
report("mulscalar60k_ns_per_elem", smallMul * 1e9 / 60000, "ns")
let smallExp = try measure(iterations: 200) { _ = try small.exp() }
report("exp60k_ns_per_elem", smallExp * 1e9 / 60000, "ns")
do {
    let n = 4 * 1024 * 1024
    let p = UnsafeMutablePointer<Float>.allocate(capacity: n); p.initialize(repeating: 1, count: n)
    let q = UnsafeMutablePointer<Float>.allocate(capacity: n); q.initialize(repeating: 2, count: n)
    let r = UnsafeMutablePointer<Float>.allocate(capacity: n); r.initialize(repeating: 0, count: n)
    let t = measure(iterations: 20) { for i in 0..<n { r[i] = p[i] + q[i] } }
    report("plain_loop_add4m_ms", t * 1e3, "ms (one-thread loop over raw buffers: the machine's floor)")
}
try runConvBenchmarks()
let compareSeconds = try measure(iterations: 200) { _ = try small.gt(scalar: 0.5) }
report("gt60k_ns_per_elem", compareSeconds * 1e9 / 60000, "ns (closure kernel, one thread)")
