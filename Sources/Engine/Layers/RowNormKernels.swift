/// Layer norm's float32 loops (blocks of one row, one affine parameter per element) on 8-wide
/// float lanes. The generic block loops in `NormKernels` find each element's parameter by an
/// index modulo and accumulate every element in Double, several times slower on the (rows, 128)
/// activations of a transformer. Here sums run in float lanes over runs of 128 elements, each
/// run flushed into a Double (so the float error stays that of a 16-term sum), and the affine
/// gradients are float column sums over strips of rows, flushed in order into Double per chunk
/// of rows; chunk boundaries depend only on the sizes, so results are deterministic.
///
/// Shapes: x, g, out (rows, n) contiguous; weight, bias (n); mean, invstd (rows).
enum RowNormKernels {
    typealias Lanes8 = SIMD8<Float>

    @inline(__always) private static func load(_ p: UnsafePointer<Float>) -> Lanes8 {
        UnsafeRawPointer(p).loadUnaligned(as: Lanes8.self)
    }

    @inline(__always) private static func store(_ v: Lanes8, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lanes8.self)
    }

    @inline(__always) private static func total(_ v: Lanes8) -> Double {
        Double((v[0] + v[1]) + (v[2] + v[3])) + Double((v[4] + v[5]) + (v[6] + v[7]))
    }

    /// Elements per float run before its lanes are flushed into Double.
    private static let run = 128

    /// (Σ x, Σ (x − shift)²) helpers over one row.
    @inline(__always) private static func rowSum(_ x: UnsafePointer<Float>, _ n: Int) -> Double {
        var s = 0.0, i = 0
        while i + 8 <= n {
            var acc = Lanes8()
            let end = Swift.min(n & ~7, i + run)
            while i < end { acc += load(x + i); i += 8 }
            s += total(acc)
        }
        while i < n { s += Double(x[i]); i += 1 }
        return s
    }

    @inline(__always) private static func rowSquaredDeviation(_ x: UnsafePointer<Float>, _ n: Int, _ m: Float) -> Double {
        var s = 0.0, i = 0
        let mv = Lanes8(repeating: m)
        while i + 8 <= n {
            var acc = Lanes8()
            let end = Swift.min(n & ~7, i + run)
            while i < end { let d = load(x + i) - mv; acc += d * d; i += 8 }
            s += total(acc)
        }
        while i < n { let d = Double(x[i] - m); s += d * d; i += 1 }
        return s
    }

    /// out = (x − mean)·invstd·w + b per row; writes each row's mean and invstd.
    static func forward(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, rows: Int, n: Int, eps: Double,
                        weight: UnsafePointer<Float>?, bias: UnsafePointer<Float>?,
                        mean: UnsafeMutablePointer<Double>, invstd: UnsafeMutablePointer<Double>, op: String) throws {
        try Functional.forItems(rows, work: rows * n, op: op) { range in
            for r in range where !Interrupt.isRequested {
                let src = x + r * n, dst = out + r * n
                let m = rowSum(src, n) / Double(n)
                let q = rowSquaredDeviation(src, n, Float(m))
                // Σ(x − m_f)² with the rounded m_f: correct for the rounding of the mean.
                let shiftError = Double(Float(m)) - m
                let variance = Swift.max(0, q / Double(n) - shiftError * shiftError)
                let istd = 1 / (variance + eps).squareRoot()
                mean[r] = m
                invstd[r] = istd
                let mf = Float(m), sf = Float(istd)
                let mv = Lanes8(repeating: mf), sv = Lanes8(repeating: sf)
                var i = 0
                switch (weight, bias) {
                case let (w?, b?):
                    while i + 8 <= n { store((load(src + i) - mv) * sv * load(w + i) + load(b + i), dst + i); i += 8 }
                    while i < n { dst[i] = (src[i] - mf) * sf * w[i] + b[i]; i += 1 }
                case let (w?, nil):
                    while i + 8 <= n { store((load(src + i) - mv) * sv * load(w + i), dst + i); i += 8 }
                    while i < n { dst[i] = (src[i] - mf) * sf * w[i]; i += 1 }
                case let (nil, b?):
                    while i + 8 <= n { store((load(src + i) - mv) * sv + load(b + i), dst + i); i += 8 }
                    while i < n { dst[i] = (src[i] - mf) * sf + b[i]; i += 1 }
                case (nil, nil):
                    while i + 8 <= n { store((load(src + i) - mv) * sv, dst + i); i += 8 }
                    while i < n { dst[i] = (src[i] - mf) * sf; i += 1 }
                }
            }
        }
    }

    /// With gy = g·w and x̂ = (x − mean)·invstd:
    /// gx = invstd·(gy − mean(gy) − x̂·mean(gy·x̂)) per row (when `gx` is given), and
    /// gw = Σ_rows g·x̂, gb = Σ_rows g (when `affine` is given, as Double (n) each).
    static func backward(_ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>, rows: Int, n: Int,
                         weight: UnsafePointer<Float>?, mean: [Double], invstd: [Double],
                         gx: UnsafeMutablePointer<Float>?, affine: (gw: UnsafeMutablePointer<Double>, gb: UnsafeMutablePointer<Double>)?,
                         op: String) throws {
        let chunks = Functional.chunkCount(rows, work: 2 * rows * n)
        // Per chunk: Double column sums (gw then gb), combined in chunk order below.
        let partialCount = affine != nil ? chunks * 2 * n : 0
        var partials = [Double](repeating: 0, count: partialCount)
        try partials.withUnsafeMutableBufferPointer { pb in
            let partialBase = pb.baseAddress
            try Functional.forChunks(rows, chunks: chunks, op: op) { chunk, range in
                let sums = affine != nil ? partialBase.map { $0 + chunk * 2 * n } : nil
                let strip = 32   // rows per float column strip
                withUnsafeTemporaryAllocation(of: Float.self, capacity: sums != nil ? 2 * n : 0) { colBuffer in
                    // (A zero-capacity buffer's base address may be non-nil; never use it.)
                    let colGX = sums != nil ? colBuffer.baseAddress : nil, colG = colGX.map { $0 + n }
                    colGX?.initialize(repeating: 0, count: 2 * n)
                    var stripRows = 0
                    for r in range where !Interrupt.isRequested {
                        let xs = x + r * n, gs = g + r * n
                        let mf = Float(mean[r]), sf = Float(invstd[r])
                        let mv = Lanes8(repeating: mf)
                        if let gx {
                            // Σ gy and Σ gy·(x − mean) over the row.
                            var sgy = 0.0, sgyc = 0.0, i = 0
                            while i + 8 <= n {
                                var a = Lanes8(), b = Lanes8()
                                let end = Swift.min(n & ~7, i + run)
                                while i < end {
                                    var gy = load(gs + i)
                                    if let w = weight { gy *= load(w + i) }
                                    a += gy
                                    b += gy * (load(xs + i) - mv)
                                    i += 8
                                }
                                sgy += total(a); sgyc += total(b)
                            }
                            while i < n {
                                let gy = Double(gs[i]) * Double(weight?[i] ?? 1)
                                sgy += gy; sgyc += gy * Double(xs[i] - mf)
                                i += 1
                            }
                            let count = Double(n), istd = invstd[r]
                            // gx = istd·gy − istd·mean(gy) − (x − m)·istd³·mean(gy·(x − m)).
                            let c0 = Float(istd * sgy / count), c1 = Float(istd * istd * istd * sgyc / count)
                            let c0v = Lanes8(repeating: c0), c1v = Lanes8(repeating: c1), sv = Lanes8(repeating: sf)
                            let dst = gx + r * n
                            i = 0
                            if let w = weight {
                                while i + 8 <= n {
                                    store(sv * load(gs + i) * load(w + i) - c0v - (load(xs + i) - mv) * c1v, dst + i)
                                    i += 8
                                }
                                while i < n { dst[i] = sf * gs[i] * w[i] - c0 - (xs[i] - mf) * c1; i += 1 }
                            } else {
                                while i + 8 <= n {
                                    store(sv * load(gs + i) - c0v - (load(xs + i) - mv) * c1v, dst + i)
                                    i += 8
                                }
                                while i < n { dst[i] = sf * gs[i] - c0 - (xs[i] - mf) * c1; i += 1 }
                            }
                        }
                        guard let colGX, let colG, let sums else { continue }
                        let sv = Lanes8(repeating: sf)
                        var i = 0
                        while i + 8 <= n {
                            let gv = load(gs + i)
                            store(load(colGX + i) + gv * ((load(xs + i) - mv) * sv), colGX + i)
                            store(load(colG + i) + gv, colG + i)
                            i += 8
                        }
                        while i < n { colGX[i] += gs[i] * ((xs[i] - mf) * sf); colG[i] += gs[i]; i += 1 }
                        stripRows += 1
                        if stripRows == strip || r == range.upperBound - 1 {
                            for j in 0..<n { sums[j] += Double(colGX[j]); sums[n + j] += Double(colG[j]) }
                            colGX.update(repeating: 0, count: 2 * n)
                            stripRows = 0
                        }
                    }
                }
            }
            guard let affine, let base = partialBase else { return }
            affine.gw.update(repeating: 0, count: n)
            affine.gb.update(repeating: 0, count: n)
            for c in 0..<chunks {
                let s = base + c * 2 * n
                for j in 0..<n { affine.gw[j] += s[j]; affine.gb[j] += s[n + j] }
            }
        }
    }
}
