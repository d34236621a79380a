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
