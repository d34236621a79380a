/// In-place activations over contiguous runs for the fused sequence kernels (recurrent gates,
/// attention softmax). Float32 runs use a branch-free exp (Cephes' polynomial after a
/// round-to-nearest range reduction done with the 1.5·2²³ trick), so the loops vectorize with
/// plain SSE2; its error is within 2 ulp of expf over the clamped range. Float64 runs call libm.
enum VectorMath {
    /// e^x for x clamped to [-87.3, 88.3] (beyond: the clamped value), branch-free.
    @inline(__always)
    static func exp(_ v: Float) -> Float {
        let x = Swift.min(Swift.max(v, -87.3), 88.3)
        let shifted = x * 1.442_695_04 + 12_582_912   // round(x·log2 e) in the low mantissa bits
        let n = shifted - 12_582_912
        let r = (x - n * 0.693_359_375) - n * -2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 0.166_666_655
        p = p * r + 0.500_000_01
        let y = p * r * r + r + 1
        // 2^n from n + 127 in the exponent field (n is the integer in shifted's mantissa).
        let scale = Float(bitPattern: (shifted.bitPattern &- 0x4B40_0000 &+ 127) << 23)
        return y * scale
    }

    @inline(__always) static func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }

    typealias Lanes8 = SIMD8<Float>

    @inline(__always) static func load(_ p: UnsafeMutablePointer<Float>) -> Lanes8 {
        UnsafeRawPointer(p).loadUnaligned(as: Lanes8.self)
    }

    @inline(__always) static func store(_ v: Lanes8, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lanes8.self)
    }

    /// `exp` on 8 lanes: the same steps as the scalar version.
    @inline(__always)
    static func exp(_ v: Lanes8) -> Lanes8 {
        // (pointwiseMin/Max are not inlined; masked replacement is.)
        let lo = Lanes8(repeating: -87.3), hi = Lanes8(repeating: 88.3)
        let x = v.replacing(with: lo, where: v .< lo).replacing(with: hi, where: v .> hi)
        let shifted = x * 1.442_695_04 + 12_582_912
        let n = shifted - 12_582_912
        let r = (x - n * 0.693_359_375) - n * -2.121_944_4e-4
        var p = Lanes8(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 0.166_666_655
        p = p * r + 0.500_000_01
        let y = p * r * r + r + 1
        let bits = unsafeBitCast(shifted, to: SIMD8<UInt32>.self)
        let scale = unsafeBitCast((bits &- 0x4B40_0000 &+ 127) &<< 23, to: Lanes8.self)
        return y * scale
    }

    @inline(__always) static func sigmoid(_ x: Lanes8) -> Lanes8 { 1 / (1 + exp(-x)) }

    @inline(__always) static func tanh(_ x: Lanes8) -> Lanes8 {
        let t = 1 - 2 / (exp(2 * x) + 1)
        let magnitude = unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt32>.self) & 0x7FFF_FFFF, to: Lanes8.self)
        return t.replacing(with: x, where: magnitude .< 0.003_906_25)
    }

    /// tanh(x) = 1 − 2/(e^{2x} + 1), and x itself for |x| < 2⁻⁸ (where that form cancels).
    @inline(__always) static func tanh(_ x: Float) -> Float {
        let t = 1 - 2 / (exp(2 * x) + 1)
        return Swift.abs(x) < 0.003_906_25 ? x : t
    }

    @inline(__always)
    private static func floats<T>(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
    }

    /// p[i] = sigmoid(p[i]) for i < n.
    @inline(__always)
    static func sigmoid<T: FloatElement>(_ p: UnsafeMutablePointer<T>, _ n: Int) {
        if T.self == Float.self {
            let f = floats(p)
            for i in 0..<n { f[i] = sigmoid(f[i]) }
        } else {
            for i in 0..<n { p[i] = 1 / (1 + T.exp(-p[i])) }
        }
    }

    /// p[i] = tanh(p[i]) for i < n.
    @inline(__always)
    static func tanh<T: FloatElement>(_ p: UnsafeMutablePointer<T>, _ n: Int) {
        if T.self == Float.self {
            let f = floats(p)
            for i in 0..<n { f[i] = tanh(f[i]) }
        } else {
            for i in 0..<n { p[i] = T.tanh(p[i]) }
        }
    }

    /// One LSTM cell row: gates a = (i, f, g, o) pre-activations (4H) become their activations
    /// in place; c ← f·c + i·g; h = out = o·tanh(c); cellTanh = tanh(c). One pass over j < H.
    @inline(__always)
    static func lstmCell<T: FloatElement>(_ a: UnsafeMutablePointer<T>, c: UnsafeMutablePointer<T>,
                                          h: UnsafeMutablePointer<T>, out: UnsafeMutablePointer<T>,
                                          cellTanh: UnsafeMutablePointer<T>, _ H: Int) {
        if T.self == Float.self {
            let a = floats(a), c = floats(c), h = floats(h), out = floats(out), tc = floats(cellTanh)
            // Explicit 8-wide lanes (the scalar loop over seven pointers does not vectorize);
            // the same operations as the scalar functions, so the same bits.
            var j = 0
            while j + 8 <= H {
                let i = sigmoid(load(a + j)), f = sigmoid(load(a + H + j))
                let g = tanh(load(a + 2 * H + j)), o = sigmoid(load(a + 3 * H + j))
                store(i, a + j); store(f, a + H + j); store(g, a + 2 * H + j); store(o, a + 3 * H + j)
                let cn = f * load(c + j) + i * g
                store(cn, c + j)
                let t = tanh(cn)
                store(t, tc + j)
                let hn = o * t
                store(hn, h + j)
                store(hn, out + j)
                j += 8
            }
            for j in j..<H {
                let i = sigmoid(a[j]), f = sigmoid(a[H + j]), g = tanh(a[2 * H + j]), o = sigmoid(a[3 * H + j])
                a[j] = i; a[H + j] = f; a[2 * H + j] = g; a[3 * H + j] = o
                let cn = f * c[j] + i * g
                c[j] = cn
                let t = tanh(cn)
                tc[j] = t
                let hn = o * t
                h[j] = hn
                out[j] = hn
            }
        } else {
            for j in 0..<H {
                let i = 1 / (1 + T.exp(-a[j])), f = 1 / (1 + T.exp(-a[H + j]))
                let g = T.tanh(a[2 * H + j]), o = 1 / (1 + T.exp(-a[3 * H + j]))
                a[j] = i; a[H + j] = f; a[2 * H + j] = g; a[3 * H + j] = o
                let cn = f * c[j] + i * g
                c[j] = cn
                let t = T.tanh(cn)
                cellTanh[j] = t
                h[j] = o * t
                out[j] = o * t
            }
        }
    }

    /// p[i] = e^(p[i] − shift) for i < n; returns their sum.
    @inline(__always)
    static func expShifted<T: FloatElement>(_ p: UnsafeMutablePointer<T>, _ n: Int, shift: T) -> T {
        var sum: T = 0
        if T.self == Float.self {
            let f = floats(p), s = Float(shift)
            for i in 0..<n { f[i] = exp(f[i] - s) }
            var total: Float = 0
            for i in 0..<n { total += f[i] }
            sum = T(total)
        } else {
            for i in 0..<n {
                let e = T.exp(p[i] - shift)
                p[i] = e
                sum += e
            }
        }
        return sum
    }
}
