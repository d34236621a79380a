import CBLAS

/// Matrix products through OpenBLAS: 2-d, batched and broadcast, with 1-d operands promoted as
/// in PyTorch's `matmul`.
extension Tensor {
    /// PyTorch's `matmul`: (n)·(n) → scalar; (n,k)x(k,m); (k)x(k,m); (n,k)x(k); and batched
    /// (...,n,k)x(...,k,m) with broadcast batch dims.
    public func matmul(_ other: Tensor) throws -> Tensor {
        guard rank >= 1 && other.rank >= 1 else {
            throw EngineError("matmul", "both arguments need at least 1 dim; got \(shapeString(shape)) x \(shapeString(other.shape))")
        }
        if rank == 1 && other.rank == 1 { return try dot(other) }
        if rank == 1 { return try unsqueeze(0).matmul(other).squeeze(-2) }
        if other.rank == 1 { return try matmul(other.unsqueeze(1)).squeeze(-1) }
        return try batchedMatmul(other)
    }

    /// Inner product of two 1-d tensors of equal length.
    public func dot(_ other: Tensor) throws -> Tensor {
        guard rank == 1, other.rank == 1, shape[0] == other.shape[0] else {
            throw EngineError("dot", "expects two 1-d tensors of equal length; got \(shapeString(shape)) and \(shapeString(other.shape))")
        }
        return try mul(other).sum()
    }

    /// Outer product of two 1-d tensors: (n) x (m) → (n,m).
    public func outer(_ other: Tensor) throws -> Tensor {
        guard rank == 1, other.rank == 1 else {
            throw EngineError("outer", "expects two 1-d tensors; got \(shapeString(shape)) and \(shapeString(other.shape))")
        }
        return try unsqueeze(1).mul(other.unsqueeze(0))
    }

    /// (..., n, k) x (..., k, m) → (..., n, m), with backward.
    private func batchedMatmul(_ other: Tensor) throws -> Tensor {
        let n = shape[rank - 2], k = shape[rank - 1], k2 = other.shape[other.rank - 2], m = other.shape[other.rank - 1]
        guard k == k2 else {
            throw EngineError("matmul", "inner dimensions differ: \(shapeString(shape)) x \(shapeString(other.shape))")
        }
        guard dtype.isFloatingPoint && other.dtype.isFloatingPoint else {
            throw EngineError("matmul", "expects floating point tensors; got \(dtype) and \(other.dtype)")
        }
        let type = DType.promote(dtype, other.dtype)
        let batch = try Shape.broadcast(Array(shape.dropLast(2)), Array(other.shape.dropLast(2)), op: "matmul")
        let a = try converted(type).broadcastView(to: batch + [n, k], op: "matmul")
        let b = try other.converted(type).broadcastView(to: batch + [k, m], op: "matmul")
        let out = try Tensor(shape: batch + [n, m], dtype: type, zeroed: k == 0, op: "matmul")
        if n * m > 0 && k > 0 { try Gemm.batched(a, b, into: out) }
        if Tensor.needsGrad(self, other) {
            let sa = detach(), sb = other.detach()
            out.recording("matmul", [self, other]) { g in
                // dA = g Bᵀ, dB = Aᵀ g, summed over broadcast batch dims.
                let ga = try g.matmul(sb.transpose(-1, -2)).sumToShape(sa.shape)
                let gb = try sa.transpose(-1, -2).matmul(g).sumToShape(sb.shape)
                return [ga, gb]
            }
        }
        return out
    }
}

/// Calls into cblas_sgemm/dgemm.
enum Gemm {
    /// A matrix operand as BLAS sees it: transposed or not, and its leading dimension.
    private struct Layout {
        let transpose: Bool
        let leading: Int
    }

    /// BLAS can read a matrix whose last dim or second-to-last dim has unit stride.
    private static func layout(_ t: Tensor) -> Layout? {
        let rows = t.shape[t.rank - 2], cols = t.shape[t.rank - 1]
        let rs = t.strides[t.rank - 2], cs = t.strides[t.rank - 1]
        if cs == 1 || cols == 1 {
            let leading = rows == 1 ? Swift.max(cols, 1) : rs
            if leading >= Swift.max(cols, 1) { return Layout(transpose: false, leading: leading) }
        }
        if rs == 1 || rows == 1 {
            let leading = cols == 1 ? Swift.max(rows, 1) : cs
            if leading >= Swift.max(rows, 1) { return Layout(transpose: true, leading: leading) }
        }
        return nil
    }

    /// out[i] = a[i] x b[i] over the (broadcast) batch dims; `out` contiguous.
    static func batched(_ a0: Tensor, _ b0: Tensor, into out: Tensor) throws {
        let rank = out.rank
        let n = out.shape[rank - 2], m = out.shape[rank - 1], k = a0.shape[rank - 1]
        // Operands whose matrices BLAS cannot read directly are copied once.
        let a = layout(a0) != nil ? a0 : try a0.castCopy(to: a0.dtype)
        let b = layout(b0) != nil ? b0 : try b0.castCopy(to: b0.dtype)
        let la = layout(a)!, lb = layout(b)!
        let batchShape = Array(out.shape.dropLast(2))
        let batchCount = batchShape.reduce(1, *)

        // A contiguous (batch, n, k) left operand times one shared matrix: a single big gemm.
        if batchCount > 1 && b.strides.dropLast(2).allSatisfy({ $0 == 0 }) && a.isContiguous {
            call(out.dtype, false, lb.transpose, n * batchCount, m, k,
                 a.storage.bytes, a.offset, k, b.storage.bytes, b.offset, lb.leading, out.storage.bytes, 0, m)
            return
        }
        var index = [Int](repeating: 0, count: batchShape.count)
        for item in 0..<batchCount {
            var ao = a.offset, bo = b.offset
            for d in 0..<batchShape.count { ao += index[d] * a.strides[d]; bo += index[d] * b.strides[d] }
            call(out.dtype, la.transpose, lb.transpose, n, m, k,
                 a.storage.bytes, ao, la.leading, b.storage.bytes, bo, lb.leading, out.storage.bytes, item * n * m, m)
            var d = batchShape.count - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < batchShape[d] { break }
                index[d] = 0
                d -= 1
            }
            if item % 64 == 63 { try Interrupt.check("matmul") }
        }
    }

    /// C(n×m) = op(A)(n×k) · op(B)(k×m), row-major, offsets in elements.
    private static func call(_ type: DType, _ ta: Bool, _ tb: Bool, _ n: Int, _ m: Int, _ k: Int,
                             _ pa: UnsafeMutableRawPointer, _ ao: Int, _ lda: Int,
                             _ pb: UnsafeMutableRawPointer, _ bo: Int, _ ldb: Int,
                             _ pc: UnsafeMutableRawPointer, _ co: Int, _ ldc: Int) {
        BlasThreads.use(forFlops: 2 * n * m * k)
        let opA = ta ? CblasTrans : CblasNoTrans, opB = tb ? CblasTrans : CblasNoTrans
        if type == .float32 {
            cblas_sgemm(CblasRowMajor, opA, opB, Int32(n), Int32(m), Int32(k), 1,
                        pa.assumingMemoryBound(to: Float.self) + ao, Int32(lda),
                        pb.assumingMemoryBound(to: Float.self) + bo, Int32(ldb), 0,
                        pc.assumingMemoryBound(to: Float.self) + co, Int32(ldc))
        } else {
            cblas_dgemm(CblasRowMajor, opA, opB, Int32(n), Int32(m), Int32(k), 1,
                        pa.assumingMemoryBound(to: Double.self) + ao, Int32(lda),
                        pb.assumingMemoryBound(to: Double.self) + bo, Int32(ldb), 0,
                        pc.assumingMemoryBound(to: Double.self) + co, Int32(ldc))
        }
    }
}
