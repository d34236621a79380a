import CBLAS
import Synchronization

/// The vision and normalization kernels, as PyTorch's `torch.nn.functional`: convolution,
/// transposed convolution, pooling, normalization, resizing, padding and `unfold`/`fold`.
///
/// Every function takes PyTorch's arguments with 0-based dims, runs on float32 or float64
/// tensors of any layout, validates its arguments (throwing `EngineError` naming the function),
/// and records its fused backward beside its forward. Pairs are `(height, width)`.
///
///     let y = try Functional.conv2d(x, w, bias: b, padding: (1, 1))   // (N,C,H,W) -> (N,O,H,W)
///     let (p, idx) = try Functional.maxPool2d(y.relu(), kernel: (2, 2))
public enum Functional {}

/// Argument checks shared by the layer kernels.
extension Functional {
    /// `t` as a dense float tensor (self when already contiguous), no graph recording.
    static func dense(_ t: Tensor) throws -> Tensor {
        t.isContiguous ? t : try t.castCopy(to: t.dtype)
    }

    /// Throws unless `t` is float32 or float64.
    static func requireFloat(_ t: Tensor, _ name: String, op: String) throws {
        guard t.dtype.isFloatingPoint else {
            throw EngineError(op, "expected a floating point \(name); got \(t.dtype) of shape \(shapeString(t.shape))")
        }
    }

    /// Throws unless the optional parameter `t` has `input`'s dtype and the given shape.
    static func requireParameter(_ t: Tensor?, _ name: String, shape: [Int], like input: Tensor, op: String,
                                 context: String = "") throws {
        guard let t else { return }
        guard t.shape == shape else {
            throw EngineError(op, "expected \(name) of shape \(shapeString(shape))\(context); got \(shapeString(t.shape))")
        }
        guard t.dtype == input.dtype else {
            throw EngineError(op, "expected \(name) of dtype \(input.dtype) like the input; got \(t.dtype)")
        }
    }

    /// Throws unless every entry of `pair` is at least `minimum`.
    static func requirePair(_ pair: (Int, Int), _ name: String, atLeast minimum: Int, op: String) throws {
        guard pair.0 >= minimum && pair.1 >= minimum else {
            let kind = minimum == 1 ? "positive" : "non-negative"
            throw EngineError(op, "\(name) must be \(kind); got \(pairString(pair))")
        }
    }

    static func pairString(_ p: (Int, Int)) -> String { "(\(p.0),\(p.1))" }

    /// A (C,H,W) input seen as (1,C,H,W) (recorded, so gradients flow), and whether it was.
    static func batched(_ input: Tensor, op: String, what: String = "(N,C,H,W) or (C,H,W)") throws -> (Tensor, Bool) {
        switch input.rank {
        case 4: return (input, false)
        case 3: return (try input.unsqueeze(0), true)
        default: throw EngineError(op, "expected input \(what); got shape \(shapeString(input.shape))")
        }
    }

    /// Runs `body(range)` over `0..<count` items (batch items, planes, channels), split over
    /// both cores when `work` (a rough operation count) is large. Workers stop early on Ctrl-C;
    /// the interrupt is then thrown here.
    static func forItems(_ count: Int, work: Int, op: String, blas: Bool = false, _ body: (Range<Int>) -> Void) throws {
        try forChunks(count, chunks: chunkCount(count, work: work), op: op, blas: blas) { _, range in body(range) }
    }

    /// How many chunks `forChunks` splits `count` items of `work` total operations into.
    static func chunkCount(_ count: Int, work: Int) -> Int {
        count >= 2 && work >= Parallel.elementwiseThreshold ? Swift.min(Parallel.workers, count) : 1
    }

    /// Runs `body(chunk, range)` for `chunks` contiguous ranges of `0..<count` (boundaries fixed
    /// by the sizes, so results are deterministic), concurrently when more than one. When the
    /// items call BLAS (`blas`), BLAS runs single-threaded meanwhile: its own threads would fight
    /// ours for the cores (6x slower on the benchmark net's convolutions). Workers stop early on
    /// Ctrl-C; the interrupt is then thrown here.
    static func forChunks(_ count: Int, chunks: Int, op: String, blas: Bool = false,
                          _ body: (Int, Range<Int>) -> Void) throws {
        let n = Swift.max(1, chunks)
        func chunk(_ c: Int) { body(c, (count * c / n)..<(count * (c + 1) / n)) }
        if n == 1 {
            chunk(0)
        } else if blas {
            Blas.singleThreaded { Parallel.forEach(count: n, chunk) }
        } else {
            Parallel.forEach(count: n, chunk)
        }
        try Interrupt.check(op)
    }
}

/// Direct BLAS calls on raw pointers (row-major), generic over the float element type.
enum Blas {
    /// Runs `body` (which calls gemm from several of our own threads) with OpenBLAS on one thread.
    static func singleThreaded<R>(_ body: () throws -> R) rethrows -> R {
        try BlasThreads.singleThreaded(body)
    }

    /// C(m×n) = alpha·op(A)(m×k)·op(B)(k×n) + beta·C.
    @inline(__always)
    static func gemm<T: FloatElement>(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int,
                                      _ alpha: T, _ a: UnsafePointer<T>, _ lda: Int,
                                      _ b: UnsafePointer<T>, _ ldb: Int,
                                      _ beta: T, _ c: UnsafeMutablePointer<T>, _ ldc: Int) {
        if m == 0 || n == 0 { return }
        BlasThreads.use(forFlops: 2 * m * n * k)
        let opA = transA ? CblasTrans : CblasNoTrans, opB = transB ? CblasTrans : CblasNoTrans
        if T.self == Float.self {
            cblas_sgemm(CblasRowMajor, opA, opB, Int32(m), Int32(n), Int32(k), Float(alpha),
                        UnsafeRawPointer(a).assumingMemoryBound(to: Float.self), Int32(lda),
                        UnsafeRawPointer(b).assumingMemoryBound(to: Float.self), Int32(ldb), Float(beta),
                        UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self), Int32(ldc))
        } else {
            cblas_dgemm(CblasRowMajor, opA, opB, Int32(m), Int32(n), Int32(k), Double(alpha),
                        UnsafeRawPointer(a).assumingMemoryBound(to: Double.self), Int32(lda),
                        UnsafeRawPointer(b).assumingMemoryBound(to: Double.self), Int32(ldb), Double(beta),
                        UnsafeMutableRawPointer(c).assumingMemoryBound(to: Double.self), Int32(ldc))
        }
    }
}

/// Sums over contiguous runs with four independent Double accumulators: the additions overlap
/// instead of waiting on one another (a single running sum costs the add latency per element).
/// The order is fixed, so results are deterministic.
enum Lanes {
    /// Σ p[i].
    @inline(__always)
    static func sum<T: FloatElement>(_ p: UnsafePointer<T>, _ n: Int) -> Double {
        var a = 0.0, b = 0.0, c = 0.0, d = 0.0
        var i = 0
        while i + 4 <= n {
            a += Double(p[i]); b += Double(p[i + 1]); c += Double(p[i + 2]); d += Double(p[i + 3])
            i += 4
        }
        while i < n { a += Double(p[i]); i += 1 }
        return (a + b) + (c + d)
    }

    /// Σ (p[i] − mean)².
    @inline(__always)
    static func squaredDeviation<T: FloatElement>(_ p: UnsafePointer<T>, _ n: Int, mean m: Double) -> Double {
        var a = 0.0, b = 0.0, c = 0.0, d = 0.0
        var i = 0
        while i + 4 <= n {
            let x0 = Double(p[i]) - m, x1 = Double(p[i + 1]) - m, x2 = Double(p[i + 2]) - m, x3 = Double(p[i + 3]) - m
            a += x0 * x0; b += x1 * x1; c += x2 * x2; d += x3 * x3
            i += 4
        }
        while i < n { let x = Double(p[i]) - m; a += x * x; i += 1 }
        return (a + b) + (c + d)
    }

    /// (Σ g[i], Σ g[i]·(x[i] − mean)).
    @inline(__always)
    static func sumAndDot<T: FloatElement>(_ g: UnsafePointer<T>, _ x: UnsafePointer<T>, _ n: Int,
                                           mean m: Double) -> (Double, Double) {
        var s0 = 0.0, s1 = 0.0, d0 = 0.0, d1 = 0.0
        var i = 0
        while i + 2 <= n {
            let g0 = Double(g[i]), g1 = Double(g[i + 1])
            s0 += g0; s1 += g1
            d0 += g0 * (Double(x[i]) - m); d1 += g1 * (Double(x[i + 1]) - m)
            i += 2
        }
        if i < n { let gv = Double(g[i]); s0 += gv; d0 += gv * (Double(x[i]) - m) }
        return (s0 + s1, d0 + d1)
    }
}
