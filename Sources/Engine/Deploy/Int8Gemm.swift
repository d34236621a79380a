import CSupport

/// Int8 × int8 → int32 matrix products through the packed int16 GEMM of Sources/CSupport/int8_packed.c
/// (AVX2 when the CPU has it, scalar loops otherwise). Layout "NT": a (m, k) and b (n, k) both
/// row-major, so c[i, j] = Σ_p a[i, p] * b[j, p] — b is a weight matrix (out, in) as stored by
/// Linear/Conv2d. Layers that reuse their weights keep them packed (`QuantizedKernel`); these
/// entry points pack per call.
public enum Int8Gemm {
    public static var usesAVX2: Bool { lumen_cpu_has_avx2() != 0 }

    /// c (m, n) = a (m, k) · bᵀ where b is (n, k); all contiguous.
    public static func gemm(_ a: UnsafePointer<Int8>, _ b: UnsafePointer<Int8>, _ c: UnsafeMutablePointer<Int32>,
                            m: Int, n: Int, k: Int) {
        run(a, b, c, m: m, n: n, k: k, scalar: false)
    }

    /// The portable scalar kernel (same contract), for tests.
    public static func gemmScalar(_ a: UnsafePointer<Int8>, _ b: UnsafePointer<Int8>, _ c: UnsafeMutablePointer<Int32>,
                                  m: Int, n: Int, k: Int) {
        run(a, b, c, m: m, n: n, k: k, scalar: true)
    }

    private static func run(_ a: UnsafePointer<Int8>, _ b: UnsafePointer<Int8>, _ c: UnsafeMutablePointer<Int32>,
                            m: Int, n: Int, k: Int, scalar: Bool) {
        if m == 0 || n == 0 { return }
        if k == 0 { c.initialize(repeating: 0, count: m * n); return }
        let k2 = (k + 1) / 2 * 2
        let a16 = UnsafeMutablePointer<Int16>.allocate(capacity: m * k2)
        let packed = UnsafeMutablePointer<Int16>.allocate(capacity: lumen_s16_packed_size(n, k))
        defer { a16.deallocate(); packed.deallocate() }
        lumen_s8_to_s16_rows(a, k, m, k, a16, k2)
        lumen_s16_pack_b_rows(b, k, n, k, packed)
        if scalar { lumen_s16_gemm_packed_scalar(a16, k2, packed, n, k, c, n, m) }
        else { lumen_s16_gemm_packed(a16, k2, packed, n, k, c, n, m) }
    }

    /// Tensor form: a (m, k) int8, b (n, k) int8 → (m, n) int32.
    public static func matmul(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        let op = "int8_gemm"
        guard a.dtype == .int8, b.dtype == .int8, a.rank == 2, b.rank == 2 else {
            throw EngineError(op, "expected two 2-d int8 tensors; got \(a.dtype) \(shapeString(a.shape)) and \(b.dtype) \(shapeString(b.shape))")
        }
        guard a.shape[1] == b.shape[1] else {
            throw EngineError(op, "inner dimensions differ: \(shapeString(a.shape)) x \(shapeString(b.shape))ᵀ")
        }
        let ac = try a.contiguous(), bc = try b.contiguous()
        let out = try Tensor(shape: [a.shape[0], b.shape[0]], dtype: .int32, zeroed: false, op: op)
        gemm(ac.pointer(Int8.self), bc.pointer(Int8.self), out.pointer(Int32.self), m: a.shape[0], n: b.shape[0], k: a.shape[1])
        return out
    }

    /// Σ_p w[j, p] for each row j of an (n, k) int8 matrix (used to fold the input zero point:
    /// Σ (x - zx) w = Σ x w - zx Σ w).
    public static func rowSums(_ w: UnsafePointer<Int8>, n: Int, k: Int) -> [Int32] {
        (0..<n).map { j in
            var s: Int32 = 0
            for p in 0..<k { s &+= Int32(w[j * k + p]) }
            return s
        }
    }
}
