import CSupport

/// Dynamic quantization: weights are int8 ahead of time (symmetric per output channel), activations
/// are quantized per call from their own min/max (affine int8, per tensor), the product runs in the
/// packed int8 GEMM and the int32 result is scaled back to float with a float bias added:
///   y[i, o] = x_scale * w_scale[o] * (acc[i, o] - x_zp * Σ_p w[o, p]) + bias[o]
/// A `DynamicQuant` value is one layer made ready (weights packed, row sums, scales, bias); the Lua
/// layer keeps it while `key` still matches its tensors.
public final class DynamicQuant: @unchecked Sendable {
    public let outFeatures: Int
    public let inFeatures: Int
    let packed: UnsafeMutablePointer<Int16>
    let rowSums: [Int32]
    let weightScales: [Double]
    let bias: [Double]
    /// Weight, scales and bias versions this was built from (nil bias: none).
    public let key: [TensorVersion?]
    private let sources: [Tensor]

    /// weight (out, in) int8, weightScales (out) or (1), bias (out) float or nil.
    public init(weight w: Tensor, weightScales scalesTensor: Tensor, bias: Tensor?) throws {
        let op = "dynamic_linear"
        guard w.dtype == .int8, w.rank == 2 else { throw EngineError(op, "weight must be a 2-d int8 tensor; got \(w.dtype) \(shapeString(w.shape))") }
        let n = w.shape[0], k = w.shape[1]
        let scales = try scalesTensor.toDoubles()
        guard scales.count == 1 || scales.count == n else {
            throw EngineError(op, "expected 1 or \(n) weight scales; got \(scales.count)")
        }
        var biasValues = [Double](repeating: 0, count: n)
        if let b = bias {
            guard b.numel == n else { throw EngineError(op, "bias must have \(n) elements; got \(shapeString(b.shape))") }
            biasValues = try b.toDoubles()
        }
        let wc = try w.contiguous()
        outFeatures = n
        inFeatures = k
        packed = .allocate(capacity: max(lumen_s16_packed_size(n, k), 1))
        lumen_s16_pack_b_rows(wc.pointer(Int8.self), k, n, k, packed)
        rowSums = Int8Gemm.rowSums(wc.pointer(Int8.self), n: n, k: k)
        withExtendedLifetime(wc) {}
        weightScales = (0..<n).map { scales.count == 1 ? scales[0] : scales[$0] }
        self.bias = biasValues
        key = DynamicQuant.key(weight: w, weightScales: scalesTensor, bias: bias)
        sources = [w, scalesTensor] + (bias.map { [$0] } ?? [])
    }

    deinit { packed.deallocate() }

    public static func key(weight: Tensor, weightScales: Tensor, bias: Tensor?) -> [TensorVersion?] {
        [TensorVersion(weight), TensorVersion(weightScales), bias.map(TensorVersion.init)]
    }

    /// x (*, in) float, weight (out, in) int8, weightScales (out) or (1) → (*, out) float32 (prepares
    /// the layer for this one call).
    public static func linear(_ x: Tensor, weight w: Tensor, weightScales: Tensor, bias: Tensor?) throws -> Tensor {
        try DynamicQuant(weight: w, weightScales: weightScales, bias: bias).forward(x)
    }

    /// x (*, in) float → (*, out) float32.
    public func forward(_ x: Tensor) throws -> Tensor {
        let op = "dynamic_linear"
        guard x.dtype.isFloatingPoint else { throw EngineError(op, "input must be a float tensor; got \(x.dtype)") }
        let n = outFeatures, k = inFeatures
        guard x.rank >= 1, x.shape[x.rank - 1] == k else {
            throw EngineError(op, "input \(shapeString(x.shape)) does not match weight \(shapeString([n, k]))")
        }
        let m = x.shape.dropLast().reduce(1, *)
        // Per-call activation parameters from this batch's range (0 always inside it).
        let xd = try x.detach().contiguous().to(.float32)
        var lo: Float = 0, hi: Float = 0
        lumen_f32_finite_min_max(xd.pointer(Float.self), x.numel, &lo, &hi)
        let qp = try QParams.affine(min: Double(lo), max: Double(hi))
        let xq = try Quantization.quantize(xd, scale: qp.scale, zeroPoint: qp.zeroPoint)
        let out = try Tensor(shape: Array(x.shape.dropLast()) + [n], dtype: .float32, zeroed: false, op: op)
        if m == 0 || n == 0 { return out }
        let k2 = (k + 1) / 2 * 2, zx = Int32(qp.zeroPoint)
        let d = out.pointer(Float.self)
        withUnsafeTemporaryAllocation(of: Int16.self, capacity: max(m * k2, 1)) { a in
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: m * n) { acc in
                lumen_s8_to_s16_rows(xq.pointer(Int8.self), k, m, k, a.baseAddress!, k2)
                lumen_s16_gemm_packed(a.baseAddress!, k2, packed, n, k, acc.baseAddress!, n, m)
                let scales = weightScales.map { qp.scale * $0 }, corrections = rowSums.map { zx &* $0 }
                for i in 0..<m {
                    for o in 0..<n { d[i * n + o] = Float(scales[o] * Double(acc[i * n + o] &- corrections[o]) + bias[o]) }
                }
            }
        }
        return out
    }
}

/// INT4 weight-only quantization: each row of a (out, in) weight is cut into groups of `groupSize`
/// inputs; a group gets scale = max|w| / 7 and values round(w / scale) in [-8, 7] (symmetric use of
/// [-7, 7]); two values are packed per byte, low nibble first (element 2j in bits 0-3, 2j+1 in 4-7),
/// stored as uint8 (out, ceil(in / 2)). The matmul unpacks one row at a time to float and takes dot
/// products with the float input: 8x smaller weights than float32, float accuracy of the rest.
public enum Int4Weights {
    public static func pack(_ w: Tensor, groupSize: Int) throws -> (packed: Tensor, scales: Tensor) {
        let op = "int4_pack"
        guard w.dtype.isFloatingPoint, w.rank == 2 else { throw EngineError(op, "expected a 2-d float weight; got \(w.dtype) \(shapeString(w.shape))") }
        guard groupSize >= 2, groupSize % 2 == 0 else { throw EngineError(op, "group size must be an even number >= 2; got \(groupSize)") }
        let (n, k) = (w.shape[0], w.shape[1])
        let groups = (k + groupSize - 1) / groupSize, bytesPerRow = (k + 1) / 2
        let src = try w.detach().contiguous().to(.float64)
        let s = src.pointer(Double.self)
        let packed = try Tensor(shape: [n, bytesPerRow], dtype: .uint8, op: op)
        let scales = try Tensor(shape: [n, groups], dtype: .float32, op: op)
        let pp = packed.pointer(UInt8.self), sp = scales.pointer(Float.self)
        for o in 0..<n {
            for g in 0..<groups {
                let lo = g * groupSize, hi = min(k, lo + groupSize)
                var m = 0.0
                for p in lo..<hi { m = max(m, abs(s[o * k + p])) }
                let scale = Float(max(m / 7, QParams.minimumScale))
                sp[o * groups + g] = scale
                for p in lo..<hi {
                    let q = Int(min(max((s[o * k + p] / Double(scale)).rounded(.toNearestOrEven), -8), 7))
                    let nibble = UInt8(q & 0xF)
                    pp[o * bytesPerRow + p / 2] |= p % 2 == 0 ? nibble : nibble << 4
                }
            }
        }
        return (packed, scales)
    }

    /// The float (out, in) weight the packed form stands for.
    public static func unpack(_ packed: Tensor, scales: Tensor, inFeatures k: Int, groupSize: Int) throws -> Tensor {
        let (pc, sc) = try check(packed, scales, k, groupSize)
        let n = packed.shape[0]
        let out = try Tensor(shape: [n, k], dtype: .float32, zeroed: false, op: "int4_unpack")
        let d = out.pointer(Float.self)
        for o in 0..<n { unpackRow(pc.pointer(UInt8.self), sc.pointer(Float.self), o, k, groupSize, packed.shape[1], scales.shape[1], d + o * k) }
        return out
    }

    @inline(__always)
    static func unpackRow(_ pp: UnsafePointer<UInt8>, _ sp: UnsafePointer<Float>, _ o: Int, _ k: Int, _ groupSize: Int,
                          _ bytesPerRow: Int, _ groups: Int, _ dst: UnsafeMutablePointer<Float>) {
        let row = pp + o * bytesPerRow, rs = sp + o * groups
        for p in 0..<k {
            let byte = row[p >> 1]
            let nibble = Int8(bitPattern: (p & 1 == 0 ? byte << 4 : byte & 0xF0)) >> 4   // sign-extend 4 bits
            dst[p] = Float(nibble) * rs[p / groupSize]
        }
    }

    static func check(_ packed: Tensor, _ scales: Tensor, _ k: Int, _ groupSize: Int) throws -> (Tensor, Tensor) {
        let op = "int4_linear"
        guard packed.dtype == .uint8, packed.rank == 2, packed.shape[1] == (k + 1) / 2 else {
            throw EngineError(op, "packed weight must be uint8 (out, \((k + 1) / 2)); got \(packed.dtype) \(shapeString(packed.shape))")
        }
        guard groupSize >= 2, scales.dtype == .float32, scales.rank == 2, scales.shape[0] == packed.shape[0],
              scales.shape[1] == (k + groupSize - 1) / groupSize else {
            throw EngineError(op, "scales must be float32 (\(packed.shape[0]), \((k + groupSize - 1) / max(groupSize, 1))); got \(scales.dtype) \(shapeString(scales.shape))")
        }
        return (try packed.contiguous(), try scales.contiguous())
    }

    /// x (*, in) float → (*, out) float32 with the packed weight dequantized row by row on the fly.
    public static func linear(_ x: Tensor, packed: Tensor, scales: Tensor, inFeatures k: Int, groupSize: Int, bias: Tensor?) throws -> Tensor {
        let op = "int4_linear"
        guard x.dtype.isFloatingPoint, x.rank >= 1, x.shape[x.rank - 1] == k else {
            throw EngineError(op, "input must be float (*, \(k)); got \(x.dtype) \(shapeString(x.shape))")
        }
        let (pc, sc) = try check(packed, scales, k, groupSize)
        let n = packed.shape[0], m = k == 0 ? 0 : x.numel / k
        let xd = try x.detach().contiguous().to(.float32)
        var biasValues = [Float](repeating: 0, count: n)
        if let b = bias {
            guard b.numel == n else { throw EngineError(op, "bias must have \(n) elements; got \(shapeString(b.shape))") }
            let bd = try b.contiguous().to(.float32)
            for o in 0..<n { biasValues[o] = bd.pointer(Float.self)[o] }
        }
        let out = try Tensor(shape: Array(x.shape.dropLast()) + [n], dtype: .float32, zeroed: false, op: op)
        let d = out.pointer(Float.self), xp = xd.pointer(Float.self)
        var row = [Float](repeating: 0, count: k)
        row.withUnsafeMutableBufferPointer { rb in
            let r = rb.baseAddress!
            for o in 0..<n {
                unpackRow(pc.pointer(UInt8.self), sc.pointer(Float.self), o, k, groupSize, packed.shape[1], scales.shape[1], r)
                for i in 0..<m {
                    let xi = xp + i * k
                    var sum: Float = 0
                    for p in 0..<k { sum += xi[p] * r[p] }
                    d[i * n + o] = sum + biasValues[o]
                }
            }
        }
        return out
    }
}
