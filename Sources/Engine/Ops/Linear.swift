import CBLAS

/// The affine map of a dense layer as one op: y = x Wᵀ + b, with x (..., in), W (out, in),
/// b (out). Fused so that the forward is one gemm onto the broadcast bias and the backward
/// writes each gradient directly in its parameter's layout (dW = gᵀx is (out, in), contiguous),
/// instead of a transposed view that would need a copy.
extension Tensor {
    public func linear(weight: Tensor, bias: Tensor? = nil) throws -> Tensor {
        let op = "linear"
        guard rank >= 1, weight.rank == 2 else {
            throw EngineError(op, "expected input (..., in) and weight (out, in); got \(shapeString(shape)) and \(shapeString(weight.shape))")
        }
        let inFeatures = shape[rank - 1], outFeatures = weight.shape[0]
        guard weight.shape[1] == inFeatures else {
            throw EngineError(op, "input \(shapeString(shape)) has \(inFeatures) features but weight \(shapeString(weight.shape)) expects \(weight.shape[1])")
        }
        if let bias, bias.shape != [outFeatures] {
            throw EngineError(op, "bias must have shape (\(outFeatures)); got \(shapeString(bias.shape))")
        }
        guard dtype.isFloatingPoint, weight.dtype.isFloatingPoint, bias?.dtype.isFloatingPoint ?? true else {
            throw EngineError(op, "expects floating point tensors; got \(dtype) and \(weight.dtype)")
        }
        let type = DType.promote(DType.promote(dtype, weight.dtype), bias?.dtype ?? dtype)
        let rows = numel / Swift.max(inFeatures, 1)
        let outShape = Array(shape.dropLast()) + [outFeatures]
        // x as a contiguous (rows, in) matrix, W as stored (out, in).
        let x = try converted(type).contiguous().reshapeRaw([rows, inFeatures])
        let w = try weight.converted(type).contiguous()
        let out = try Tensor(shape: [rows, outFeatures], dtype: type, zeroed: bias == nil, op: op)
        if let bias {
            // Every output row starts as the bias; gemm then adds x Wᵀ (beta = 1).
            try out.assign(from: bias.converted(type), op: op)
        }
        if rows > 0 && outFeatures > 0 && inFeatures > 0 {
            Gemm.rowMajor(type, transA: false, transB: true, rows, outFeatures, inFeatures,
                          a: x, lda: inFeatures, b: w, ldb: inFeatures, c: out, ldc: outFeatures, beta: bias == nil ? 0 : 1)
        }
        let result = out.reshapeRaw(outShape)
        if Tensor.needsGrad(self, weight, bias ?? weight) {
            let savedX = x.detach(), savedW = w.detach(), inShape = shape
            let inputs = bias.map { [self, weight, $0] } ?? [self, weight]
            result.recording(op, inputs) { g in
                let g2 = try g.contiguous().reshapeRaw([rows, outFeatures])
                // dx = g W: (rows, out) x (out, in)
                let gx = try Tensor(shape: [rows, inFeatures], dtype: type, zeroed: false, op: op)
                // dW = gᵀ x: (out, rows) x (rows, in)
                let gw = try Tensor(shape: [outFeatures, inFeatures], dtype: type, zeroed: rows == 0, op: op)
                if rows > 0 {
                    Gemm.rowMajor(type, transA: false, transB: false, rows, inFeatures, outFeatures,
                                  a: g2, lda: outFeatures, b: savedW, ldb: inFeatures, c: gx, ldc: inFeatures, beta: 0)
                    Gemm.rowMajor(type, transA: true, transB: false, outFeatures, inFeatures, rows,
                                  a: g2, lda: outFeatures, b: savedX, ldb: inFeatures, c: gw, ldc: inFeatures, beta: 0)
                } else {
                    try gx.fill(0)
                }
                var grads: [Tensor?] = [gx.reshapeRaw(inShape), gw]
                if bias != nil { grads.append(try g2.sum(dims: [0])) }
                return grads
            }
        }
        return result
    }
}

extension Gemm {
    /// C = op(A)·op(B) + beta·C on whole contiguous operands (row-major, leading dims given).
    static func rowMajor(_ type: DType, transA: Bool, transB: Bool, _ m: Int, _ n: Int, _ k: Int,
                         a: Tensor, lda: Int, b: Tensor, ldb: Int, c: Tensor, ldc: Int, beta: Double) {
        BlasThreads.use(forFlops: 2 * m * n * k)
        let opA = transA ? CblasTrans : CblasNoTrans, opB = transB ? CblasTrans : CblasNoTrans
        if type == .float32 {
            cblas_sgemm(CblasRowMajor, opA, opB, Int32(m), Int32(n), Int32(k), 1, a.pointer(Float.self), Int32(lda),
                        b.pointer(Float.self), Int32(ldb), Float(beta), c.pointer(Float.self), Int32(ldc))
        } else {
            cblas_dgemm(CblasRowMajor, opA, opB, Int32(m), Int32(n), Int32(k), 1, a.pointer(Double.self), Int32(lda),
                        b.pointer(Double.self), Int32(ldb), beta, c.pointer(Double.self), Int32(ldc))
        }
    }
}
