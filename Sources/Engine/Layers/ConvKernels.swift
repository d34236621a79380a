/// The three products every (transposed) convolution is made of, per batch item and group, as
/// im2col + gemm. With `geo` describing the image side (Cg channels per group, H×W) and the
/// column side (L = oh·ow positions), and a weight of shape (G·og, Cg·kh·kw):
///
/// - `forward`:        out[n,g]  (og, L)     = W[g] · im2col(image[n,g])
/// - `backwardData`:   image[n,g] (Cg,H,W)  = col2im(W[g]ᵀ · grad[n,g])
/// - `backwardWeight`: gW[g]     (og, Cg·kk) = Σₙ grad[n,g] · im2col(image[n,g])ᵀ
///
/// A convolution's forward is `forward`, its backward `backwardData` and `backwardWeight`; a
/// transposed convolution swaps the roles. Operands are dense tensors of one float dtype. Work
/// is split over batch items (each task writes its own items); the weight gradient sums
/// per-chunk partials in chunk order, so results are deterministic.
enum ConvKernels {
    /// True when the columns are the image itself (1x1 kernel, stride 1, no padding).
    static func isPointwise(_ geo: ConvGeometry) -> Bool {
        geo.kh == 1 && geo.kw == 1 && geo.sh == 1 && geo.sw == 1 && geo.ph == 0 && geo.pw == 0
            && geo.oh == geo.height && geo.ow == geo.width
    }

    /// One column buffer per chunk, allocated up front so an oversized problem throws instead
    /// of failing inside a worker (none needed for pointwise kernels or an empty batch).
    static func columnBuffers(chunks: Int, geo: ConvGeometry, direct: Bool, batch n: Int, dtype: DType,
                              op: String) throws -> Storage {
        let count = direct || n == 0 ? 0 : try Shape.numel([chunks, geo.columnSize], op: op)
        return try Storage(count: count, dtype: dtype, zeroed: false)
    }

    /// out (N, G·og, oh, ow) = per-group W · im2col(image), plus `bias` (G·og) when given.
    static func forward(image: Tensor, weight: Tensor, bias: Tensor?, into out: Tensor,
                        batch n: Int, groups: Int, og: Int, geo: ConvGeometry, op: String) throws {
        func run<T: FloatElement>(_: T.Type) throws {
            let px = image.pointer(T.self), pw = weight.pointer(T.self), py = out.pointer(T.self)
            let pb = bias?.pointer(T.self)
            let rows = geo.columnRows, L = geo.positions, direct = isPointwise(geo)
            let chunks = Functional.chunkCount(n, work: n * groups * og * rows * L)
            let scratch = try columnBuffers(chunks: chunks, geo: geo, direct: direct, batch: n, dtype: out.dtype, op: op)
            try Functional.forChunks(n, chunks: chunks, op: op, blas: true) { chunk, items in
                let cols = scratch.typed(T.self) + chunk * geo.columnSize
                for b in items where !Interrupt.isRequested {
                    for g in 0..<groups {
                        let xg = px + (b * groups + g) * geo.imageSize
                        let yg = py + (b * groups + g) * og * L
                        if !direct { geo.im2col(xg, cols) }
                        if let pb {
                            for o in 0..<og { (yg + o * L).update(repeating: pb[g * og + o], count: L) }
                        }
                        Blas.gemm(false, false, og, L, rows, T(1), pw + g * og * rows, rows,
                                  direct ? xg : cols, L, pb == nil ? T(0) : T(1), yg, L)
                    }
                }
            }
        }
        if out.dtype == .float32 { try run(Float.self) } else { try run(Double.self) }
    }

    /// image (N, G·Cg, H, W) = col2im(W[g]ᵀ · grad[n,g]); `image` may be uninitialized (each
    /// task zeroes its own items).
    static func backwardData(grad: Tensor, weight: Tensor, into image: Tensor,
                             batch n: Int, groups: Int, og: Int, geo: ConvGeometry, op: String) throws {
        func run<T: FloatElement>(_: T.Type) throws {
            let pg = grad.pointer(T.self), pw = weight.pointer(T.self), px = image.pointer(T.self)
            let rows = geo.columnRows, L = geo.positions, direct = isPointwise(geo)
            let chunks = Functional.chunkCount(n, work: n * groups * og * rows * L)
            let scratch = try columnBuffers(chunks: chunks, geo: geo, direct: direct, batch: n, dtype: image.dtype, op: op)
            try Functional.forChunks(n, chunks: chunks, op: op, blas: true) { chunk, items in
                let cols = scratch.typed(T.self) + chunk * geo.columnSize
                for b in items where !Interrupt.isRequested {
                    if !direct { (px + b * groups * geo.imageSize).update(repeating: 0, count: groups * geo.imageSize) }
                    for g in 0..<groups {
                        let xg = px + (b * groups + g) * geo.imageSize
                        let gg = pg + (b * groups + g) * og * L
                        Blas.gemm(true, false, rows, L, og, T(1), pw + g * og * rows, rows, gg, L,
                                  T(0), direct ? xg : cols, L)
                        if !direct { geo.col2im(cols, xg, scratch: true) }
                    }
                }
            }
        }
        if image.dtype == .float32 { try run(Float.self) } else { try run(Double.self) }
    }

    /// gW (G·og, Cg·kh·kw) = Σₙ grad[n,g] · im2col(image[n,g])ᵀ, summed over the batch in a
    /// fixed order.
    static func backwardWeight(image: Tensor, grad: Tensor, into gw: Tensor,
                               batch n: Int, groups: Int, og: Int, geo: ConvGeometry, op: String) throws {
        func run<T: FloatElement>(_: T.Type) throws {
            let px = image.pointer(T.self), pg = grad.pointer(T.self), pw = gw.pointer(T.self)
            let rows = geo.columnRows, L = geo.positions, direct = isPointwise(geo)
            let size = groups * og * rows
            // A fixed chunk count (not the work-dependent one), so the summation order never
            // depends on whether the work ran in parallel.
            let chunks = Swift.max(1, Swift.min(Parallel.workers, n))
            let parallel = chunks > 1 && n * groups * og * rows * L >= Parallel.elementwiseThreshold
            // Chunk 0 accumulates straight into gw; the others into partials added after.
            let partialStorage = try Storage(count: (chunks - 1) * size, dtype: gw.dtype)
            let partials = partialStorage.typed(T.self)
            let scratch = try columnBuffers(chunks: parallel ? chunks : 1, geo: geo, direct: direct, batch: n, dtype: gw.dtype, op: op)
            try Functional.forChunks(chunks, chunks: parallel ? chunks : 1, op: op, blas: true) { worker, cs in
                let cols = scratch.typed(T.self) + worker * geo.columnSize
                for c in cs { accumulate(c, cols) }
            }
            func accumulate(_ c: Int, _ cols: UnsafeMutablePointer<T>) {
                let target = c == 0 ? pw : partials + (c - 1) * size
                for b in (n * c / chunks)..<(n * (c + 1) / chunks) where !Interrupt.isRequested {
                    for g in 0..<groups {
                        let xg = px + (b * groups + g) * geo.imageSize
                        let gg = pg + (b * groups + g) * og * L
                        if !direct { geo.im2col(xg, cols) }
                        Blas.gemm(false, true, og, rows, L, T(1), gg, L, direct ? xg : cols, L,
                                  T(1), target + g * og * rows, rows)
                    }
                }
            }
            for c in 1..<chunks {
                let p = partials + (c - 1) * size
                for i in 0..<size { pw[i] += p[i] }
            }
        }
        if gw.dtype == .float32 { try run(Float.self) } else { try run(Double.self) }
    }

    /// Per-channel sums of a dense (N, C, S) tensor: the bias gradient. Accumulates in Double,
    /// items in order.
    static func channelSums(_ t: Tensor, batch n: Int, channels: Int, spatial: Int) throws -> Tensor {
        let out = try Tensor(shape: [channels], dtype: t.dtype, zeroed: false, op: "sum")
        func run<T: FloatElement>(_: T.Type) throws {
            let p = t.pointer(T.self), po = out.pointer(T.self)
            try Functional.forItems(channels, work: n * channels * spatial, op: "sum") { range in
                for c in range {
                    var total = 0.0
                    for b in 0..<n { total += Lanes.sum(p + (b * channels + c) * spatial, spatial) }
                    po[c] = T(total)
                }
            }
        }
        if t.dtype == .float32 { try run(Float.self) } else { try run(Double.self) }
        return out
    }
}
