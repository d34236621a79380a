#if canImport(Glibc)
import Glibc
#endif

/// Spatial resizing (PyTorch's `interpolate` with modes `nearest` and `bilinear`). Each output
/// row/column reads fixed input rows/columns, computed once per call; planes are resized
/// independently (split over cores), and backward scatters each output gradient back with the
/// same weights.
extension Functional {
    /// Nearest-neighbour upsampling (or downsampling) of (N,C,H,W) or (C,H,W) input to `size`
    /// (oh, ow), or by `scale` factors (output `floor(H·sh)`). Output index i reads input
    /// `min(floor(i·s), H−1)` with `s = H/oh`, or `1/scale` when a scale is given (PyTorch's
    /// legacy `nearest`, computed in float32 like it).
    public static func upsampleNearest2d(_ input: Tensor, size: (Int, Int)? = nil,
                                         scale: (Double, Double)? = nil) throws -> Tensor {
        let op = "upsample_nearest2d"
        let (x4, unbatched) = try batched(input, op: op)
        try requireFloat(x4, "input", op: op)
        let (oh, ow) = try resizeTarget(op: op, x4.shape, size: size, scale: scale)
        func map(_ inSize: Int, _ outSize: Int, _ s: Double?) -> [Int] {
            let factor = Float(s.map { 1 / $0 } ?? Double(inSize) / Double(outSize))
            return (0..<outSize).map { i in
                if outSize == inSize { return i }
                if outSize == 2 * inSize { return i >> 1 }
                return Swift.min(Int(floorf(Float(i) * factor)), inSize - 1)
            }
        }
        let rows = map(x4.shape[2], oh, scale?.0), cols = map(x4.shape[3], ow, scale?.1)
        let out = try ResizeKernels.nearest(op: op, try dense(x4), rows: rows, cols: cols, backward: false)
        if Tensor.needsGrad(x4) {
            let inShape = x4.shape
            out.recording(op, [x4]) { g in
                [try ResizeKernels.nearest(op: op, try dense(g), rows: rows, cols: cols, backward: true, inputShape: inShape)]
            }
        }
        return unbatched ? try out.squeeze(0) : out
    }

    /// Bilinear resizing of (N,C,H,W) or (C,H,W) input to `size` (oh, ow) or by `scale`
    /// factors. With `alignCorners` the corner pixels' centers line up (source `i·(H−1)/(oh−1)`);
    /// otherwise pixel areas do (source `(i + 0.5)·s − 0.5`, clamped at 0, `s = H/oh` or
    /// `1/scale`), as PyTorch.
    public static func upsampleBilinear2d(_ input: Tensor, size: (Int, Int)? = nil, scale: (Double, Double)? = nil,
                                          alignCorners: Bool = false) throws -> Tensor {
        let op = "upsample_bilinear2d"
        let (x4, unbatched) = try batched(input, op: op)
        try requireFloat(x4, "input", op: op)
        let (oh, ow) = try resizeTarget(op: op, x4.shape, size: size, scale: scale)
        let rows = ResizeKernels.linearTaps(x4.shape[2], oh, scale: scale?.0, alignCorners: alignCorners, float: x4.dtype == .float32)
        let cols = ResizeKernels.linearTaps(x4.shape[3], ow, scale: scale?.1, alignCorners: alignCorners, float: x4.dtype == .float32)
        let out = try ResizeKernels.bilinear(op: op, try dense(x4), rows: rows, cols: cols, backward: false)
        if Tensor.needsGrad(x4) {
            let inShape = x4.shape
            out.recording(op, [x4]) { g in
                [try ResizeKernels.bilinear(op: op, try dense(g), rows: rows, cols: cols, backward: true, inputShape: inShape)]
            }
        }
        return unbatched ? try out.squeeze(0) : out
    }

    /// The output size from exactly one of `size` and `scale`.
    static func resizeTarget(op: String, _ shape: [Int], size: (Int, Int)?, scale: (Double, Double)?) throws -> (Int, Int) {
        guard shape.allSatisfy({ $0 > 0 }) else {
            throw EngineError(op, "expected a non-empty input; got shape \(shapeString(shape))")
        }
        let target: (Int, Int)
        switch (size, scale) {
        case (let s?, nil):
            try requirePair(s, "output size", atLeast: 1, op: op)
            target = s
        case (nil, let f?):
            guard f.0 > 0 && f.1 > 0 && f.0.isFinite && f.1.isFinite else {
                throw EngineError(op, "scale factors must be positive and finite; got (\(f.0),\(f.1))")
            }
            let h = (Double(shape[2]) * f.0).rounded(.down), w = (Double(shape[3]) * f.1).rounded(.down)
            guard h >= 1 && w >= 1 && h < 1e12 && w < 1e12 else {
                throw EngineError(op, "scale factors (\(f.0),\(f.1)) give output size \(h)x\(w) for input \(shapeString(shape)); expected at least 1x1")
            }
            target = (Int(h), Int(w))
        default:
            throw EngineError(op, "expected exactly one of size and scale; got \(size == nil ? "neither" : "both")")
        }
        _ = try Shape.numel([shape[0], shape[1], target.0, target.1], op: op)
        return target
    }
}

/// Per-plane resize loops (dense planes).
enum ResizeKernels {
    /// Forward: out[i][j] = x[rows[i]][cols[j]]; backward: gx[rows[i]][cols[j]] += g[i][j].
    static func nearest(op: String, _ t: Tensor, rows: [Int], cols: [Int], backward: Bool,
                        inputShape: [Int] = []) throws -> Tensor {
        let planes = t.shape[0] * t.shape[1]
        let (h, w) = backward ? (inputShape[2], inputShape[3]) : (t.shape[2], t.shape[3])
        let (oh, ow) = (rows.count, cols.count)
        let result = backward
            ? try Tensor(shape: inputShape, dtype: t.dtype, op: op)
            : try Tensor(shape: [t.shape[0], t.shape[1], oh, ow], dtype: t.dtype, zeroed: false, op: op)
        func run<T: FloatElement>(_: T.Type) throws {
            let pt = t.pointer(T.self), pr = result.pointer(T.self)
            try rows.withUnsafeBufferPointer { rm in
                try cols.withUnsafeBufferPointer { cm in
                    try Functional.forItems(planes, work: planes * oh * ow, op: op) { range in
                        for p in range where !Interrupt.isRequested {
                            let small = (backward ? pr : pt) + p * h * w, big = (backward ? pt : pr) + p * oh * ow
                            for i in 0..<oh {
                                let src = small + rm[i] * w, dst = big + i * ow
                                if backward { for j in 0..<ow { src[cm[j]] += dst[j] } }
                                else { for j in 0..<ow { dst[j] = src[cm[j]] } }
                            }
                        }
                    }
                }
            }
        }
        if t.dtype == .float32 { try run(Float.self) } else { try run(Double.self) }
        return result
    }

    /// The two input taps and weights of each output index along one axis.
    struct Taps: Sendable {
        let i0: Int, i1: Int
        let w0: Double, w1: Double
    }

    /// PyTorch's `area_pixel_compute_source_index` and linear weights (in float32 arithmetic for
    /// float32 tensors, as PyTorch's opmath).
    static func linearTaps(_ inSize: Int, _ outSize: Int, scale: Double?, alignCorners: Bool, float: Bool) -> [Taps] {
        func taps<T: FloatElement>(_: T.Type) -> [Taps] {
            let s: T
            if alignCorners { s = outSize > 1 ? T(inSize - 1) / T(outSize - 1) : 0 }
            else { s = scale.map { T(1 / $0) } ?? T(inSize) / T(outSize) }
            return (0..<outSize).map { i in
                var src = alignCorners ? s * T(i) : s * (T(i) + T(0.5)) - T(0.5)
                if src < 0 { src = 0 }
                let i0 = Swift.min(Int(src), inSize - 1)
                let i1 = i0 + (i0 < inSize - 1 ? 1 : 0)
                let l1 = Swift.min(Swift.max(src - T(i0), 0), 1)
                return Taps(i0: i0, i1: i1, w0: Double(1 - l1), w1: Double(l1))
            }
        }
        return float ? taps(Float.self) : taps(Double.self)
    }

    /// Forward: out[i][j] = Σ weights·x at the four taps; backward: the transpose (scatter-add).
    static func bilinear(op: String, _ t: Tensor, rows: [Taps], cols: [Taps], backward: Bool,
                         inputShape: [Int] = []) throws -> Tensor {
        let planes = t.shape[0] * t.shape[1]
        let (h, w) = backward ? (inputShape[2], inputShape[3]) : (t.shape[2], t.shape[3])
        let (oh, ow) = (rows.count, cols.count)
        let result = backward
            ? try Tensor(shape: inputShape, dtype: t.dtype, op: op)
            : try Tensor(shape: [t.shape[0], t.shape[1], oh, ow], dtype: t.dtype, zeroed: false, op: op)
        func run<T: FloatElement>(_: T.Type) throws {
            let pt = t.pointer(T.self), pr = result.pointer(T.self)
            // Column taps as typed arrays for the inner loop.
            let c0 = cols.map(\.i0), c1 = cols.map(\.i1), cw0 = cols.map { T($0.w0) }, cw1 = cols.map { T($0.w1) }
            try c0.withUnsafeBufferPointer { c0 in try c1.withUnsafeBufferPointer { c1 in
            try cw0.withUnsafeBufferPointer { cw0 in try cw1.withUnsafeBufferPointer { cw1 in
            try rows.withUnsafeBufferPointer { rm in
                try Functional.forItems(planes, work: 4 * planes * oh * ow, op: op) { range in
                    for p in range where !Interrupt.isRequested {
                        let small = (backward ? pr : pt) + p * h * w, big = (backward ? pt : pr) + p * oh * ow
                        for i in 0..<oh {
                            let r = rm[i]
                            let top = small + r.i0 * w, bottom = small + r.i1 * w
                            let a = T(r.w0), b = T(r.w1)
                            let line = big + i * ow
                            if backward {
                                for j in 0..<ow {
                                    let v = line[j]
                                    top[c0[j]] += a * cw0[j] * v
                                    top[c1[j]] += a * cw1[j] * v
                                    bottom[c0[j]] += b * cw0[j] * v
                                    bottom[c1[j]] += b * cw1[j] * v
                                }
                            } else {
                                for j in 0..<ow {
                                    line[j] = a * (cw0[j] * top[c0[j]] + cw1[j] * top[c1[j]])
                                        + b * (cw0[j] * bottom[c0[j]] + cw1[j] * bottom[c1[j]])
                                }
                            }
                        }
                    }
                }
            }
            } }
            } }
        }
        if t.dtype == .float32 { try run(Float.self) } else { try run(Double.self) }
        return result
    }
}
