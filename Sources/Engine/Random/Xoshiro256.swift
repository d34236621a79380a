#if canImport(Glibc)
import Glibc
#endif

/// The raw bit source behind `Generator`: xoshiro256** (Blackman & Vigna, 2018), a 256-bit state
/// generator with period 2^256 - 1 that passes BigCrush and PractRand. Seeds are expanded into the
/// four state words with splitmix64, as its authors recommend. Not thread-safe by itself:
/// `Generator` guards it with a mutex.
struct Xoshiro256: Sendable {
    var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// State expanded from a 64-bit seed by four splitmix64 steps. splitmix64 is a bijection of
    /// distinct counters, so the four words are never all zero.
    init(seed: UInt64) {
        var x = seed
        s0 = Xoshiro256.splitmix64(&x)
        s1 = Xoshiro256.splitmix64(&x)
        s2 = Xoshiro256.splitmix64(&x)
        s3 = Xoshiro256.splitmix64(&x)
    }

    /// State given word by word (the caller rejects the all-zero state, a fixed point).
    init(words s0: UInt64, _ s1: UInt64, _ s2: UInt64, _ s3: UInt64) {
        self.s0 = s0; self.s1 = s1; self.s2 = s2; self.s3 = s3
    }

    /// One splitmix64 step (Steele, Lea & Flood): advances `x` and returns a well-mixed word.
    @inline(__always) static func splitmix64(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always) private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }

    /// The next 64 random bits.
    @inline(__always) mutating func next() -> UInt64 {
        let result = Xoshiro256.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = Xoshiro256.rotl(s3, 45)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits (every value a multiple of 2^-53).
    @inline(__always) mutating func nextDouble() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// Uniform in (0, 1]: safe to take the log of.
    @inline(__always) mutating func nextDoubleOpenZero() -> Double {
        Double((next() >> 11) + 1) * 0x1p-53
    }

    /// Uniform integer in `0..<span` (span ≥ 1) without modulo bias: Lemire's multiply-and-reject.
    @inline(__always) mutating func bounded(_ span: UInt64) -> UInt64 {
        var m = next().multipliedFullWidth(by: span)
        if m.low < span {
            let threshold = (0 &- span) % span
            while m.low < threshold { m = next().multipliedFullWidth(by: span) }
        }
        return m.high
    }

    /// Two independent N(0, 1) samples by the Box–Muller transform.
    @inline(__always) mutating func gaussianPair() -> (Double, Double) {
        let u1 = nextDoubleOpenZero()
        let u2 = nextDouble()
        let r = (-2 * log(u1)).squareRoot()
        let theta = 2 * Double.pi * u2
        return (r * cos(theta), r * sin(theta))
    }
}

/// Bulk fills over raw buffers. One lock acquisition per tensor: callers run these inside
/// `Generator.withState`.
extension Xoshiro256 {
    /// `count` values uniform in [low, high) of type T. Uses as many random bits as T has
    /// significand bits, so a draw never rounds up to `high` for the unit interval; for other
    /// intervals a value rounded up to `high` is pulled back to the largest T below it.
    mutating func fillUniform<T: FloatElement>(_ p: UnsafeMutablePointer<T>, count: Int, low: T, high: T) {
        let bits = T.significandBitCount + 1
        let shift = UInt64(64 - bits)
        let scale = T(sign: .plus, exponent: T.Exponent(-bits), significand: 1)
        let span = high - low
        let below = high.nextDown
        if low == 0 && high == 1 {
            for i in 0..<count { p[i] = T(next() >> shift) * scale }
            return
        }
        for i in 0..<count {
            let v = low + span * (T(next() >> shift) * scale)
            p[i] = v >= high && high > low ? below : v
        }
    }

    /// `count` values from N(mean, std²) of type T (computed in Double, then rounded).
    mutating func fillNormal<T: FloatElement>(_ p: UnsafeMutablePointer<T>, count: Int, mean: Double, std: Double) {
        var i = 0
        while i + 1 < count {
            let (z0, z1) = gaussianPair()
            p[i] = T(fromDouble: mean + std * z0)
            p[i + 1] = T(fromDouble: mean + std * z1)
            i += 2
        }
        if i < count { p[i] = T(fromDouble: mean + std * gaussianPair().0) }
    }

    /// `count` integers uniform in [low, low + span), span ≥ 1.
    mutating func fillBounded(_ p: UnsafeMutablePointer<Int64>, count: Int, low: Int64, span: UInt64) {
        for i in 0..<count { p[i] = low &+ Int64(bitPattern: bounded(span)) }
    }
}
