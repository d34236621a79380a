#if canImport(Glibc)
import Glibc
#endif

/// Affine resampling of images (rotations, shifts and zooms for data augmentation): every
/// output pixel reads the input bilinearly at an affine map of its position, and taps outside
/// the image read a fill value. Backward scatters the gradient with the same weights (the
/// fill gets none). Planes are independent and split over cores.
extension Functional {
    /// Resamples (N,C,H,W) or (C,H,W) input through one affine map per image: `matrices` holds
    /// N·6 values (a, b, c, d, e, f). In pixel units about the image center ((W−1)/2, (H−1)/2),
    /// output pixel (x, y) = (column, row) reads the input at (a·x + b·y + c, d·x + e·y + f).
    /// The identity is (1, 0, 0, 0, 1, 0); (1, 0, −2, 0, 1, 0) shifts the content 2 pixels right.
    ///
    ///     warpAffine2d((8,1,16,16), matrices: angles.flatMap { rotation($0) }) -> (8,1,16,16)
    public static func warpAffine2d(_ input: Tensor, matrices: [Double], fill: Double = 0) throws -> Tensor {
        let op = "warp_affine"
        let (x4, unbatched) = try batched(input, op: op)
        try requireFloat(x4, "input", op: op)
        let n = x4.shape[0]
        guard matrices.count == 6 * n else {
            throw EngineError(op, "expected 6 affine coefficients per image (\(6 * n) for input \(shapeString(input.shape))); got \(matrices.count)")
        }
        guard matrices.allSatisfy(\.isFinite) else { throw EngineError(op, "affine coefficients must be finite") }
        let x = try dense(x4)
        let out = try WarpKernels.bilinear(op: op, x, matrices: matrices, fill: fill, backward: false)
        if Tensor.needsGrad(x4) {
            let inShape = x4.shape
            out.recording(op, [x4]) { g in
                [try WarpKernels.bilinear(op: op, try dense(g.converted(x.dtype)), matrices: matrices, fill: 0,
                                          backward: true, inputShape: inShape)]
            }
        }
        return unbatched ? try out.squeeze(0) : out
    }

    /// Rotates each image of (N,C,H,W) or (C,H,W) input counter-clockwise by `degrees` about
    /// its center (one angle for all images, or one per image), bilinearly; corners that come
    /// from outside the image get `fill`. 90° steps of a square image match `rot90` exactly.
    public static func rotate2d(_ input: Tensor, degrees: [Double], fill: Double = 0) throws -> Tensor {
        let n = input.rank == 4 ? input.shape[0] : 1
        guard degrees.count == 1 || degrees.count == n else {
            throw EngineError("rotate", "expected one angle or one per image (\(n)); got \(degrees.count)")
        }
        let coefficients = (0..<n).flatMap { i -> [Double] in
            let radians = degrees[degrees.count == 1 ? 0 : i] * Double.pi / 180
            let c = cos(radians), s = sin(radians)
            // Content turns counter-clockwise on screen (rows grow downward): the output pixel
            // (x, y) reads the source at the inverse rotation.
            return [c, -s, 0, s, c, 0]
        }
        return try warpAffine2d(input, matrices: coefficients, fill: fill)
    }
}

/// The per-plane sampling loop of `warpAffine2d` (dense planes).
enum WarpKernels {
    /// Forward: out[i][j] = Σ taps weight·(x[tap] or fill); backward (`t` is the output
    /// gradient): gx[tap] += weight·g[i][j] for taps inside the image.
    static func bilinear(op: String, _ t: Tensor, matrices: [Double], fill: Double, backward: Bool,
                         inputShape: [Int] = []) throws -> Tensor {
        let shape = backward ? inputShape : t.shape
        let channels = shape[1], h = shape[2], w = shape[3], planes = shape[0] * channels
        let result = try Tensor(shape: shape, dtype: t.dtype, zeroed: backward, op: op)
        let cy = Double(h - 1) / 2, cx = Double(w - 1) / 2
        /// A coordinate within 1e-9 of an integer is snapped to it, so exact rotations
        /// (multiples of 90°) and integer shifts copy pixels without blur.
        func snap(_ v: Double) -> Double {
            let r = v.rounded()
            return Swift.abs(v - r) < 1e-9 ? r : v
        }
        func run<T: FloatElement>(_: T.Type) throws {
            let pt = t.pointer(T.self), pr = result.pointer(T.self)
            let fillValue = T(fill)
            try Functional.forItems(planes, work: 8 * planes * h * w, op: op) { range in
                for p in range where !Interrupt.isRequested {
                    let m = (p / channels) * 6
                    let a = matrices[m], b = matrices[m + 1], c = matrices[m + 2]
                    let d = matrices[m + 3], e = matrices[m + 4], f = matrices[m + 5]
                    let image = (backward ? pr : pt) + p * h * w, grid = (backward ? pt : pr) + p * h * w
                    for i in 0..<h {
                        let y = Double(i) - cy
                        for j in 0..<w {
                            let x = Double(j) - cx
                            let sx = snap(a * x + b * y + c + cx), sy = snap(d * x + e * y + f + cy)
                            let fx = sx.rounded(.down), fy = sy.rounded(.down)
                            // Far outside (or NaN-free but huge): all four taps are fill.
                            guard fx > -2 && fy > -2 && fx < Double(w) + 1 && fy < Double(h) + 1 else {
                                if !backward { grid[i * w + j] = fillValue }
                                continue
                            }
                            let x0 = Int(fx), y0 = Int(fy)
                            let wx = T(sx - fx), wy = T(sy - fy)
                            let weights = ((1 - wy) * (1 - wx), (1 - wy) * wx, wy * (1 - wx), wy * wx)
                            let taps = ((y0, x0), (y0, x0 + 1), (y0 + 1, x0), (y0 + 1, x0 + 1))
                            func inside(_ tap: (Int, Int)) -> Bool { tap.0 >= 0 && tap.0 < h && tap.1 >= 0 && tap.1 < w }
                            if backward {
                                let g = grid[i * w + j]
                                if inside(taps.0) && weights.0 != 0 { image[taps.0.0 * w + taps.0.1] += weights.0 * g }
                                if inside(taps.1) && weights.1 != 0 { image[taps.1.0 * w + taps.1.1] += weights.1 * g }
                                if inside(taps.2) && weights.2 != 0 { image[taps.2.0 * w + taps.2.1] += weights.2 * g }
                                if inside(taps.3) && weights.3 != 0 { image[taps.3.0 * w + taps.3.1] += weights.3 * g }
                            } else {
                                func value(_ tap: (Int, Int), _ weight: T) -> T {
                                    if weight == 0 { return 0 }
                                    return weight * (inside(tap) ? image[tap.0 * w + tap.1] : fillValue)
                                }
                                grid[i * w + j] = value(taps.0, weights.0) + value(taps.1, weights.1)
                                    + value(taps.2, weights.2) + value(taps.3, weights.3)
                            }
                        }
                    }
                }
            }
        }
        if t.dtype == .float32 { try run(Float.self) } else { try run(Double.self) }
        return result
    }
}
