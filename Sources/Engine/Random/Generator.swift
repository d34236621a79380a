import Synchronization

/// A seedable source of random numbers, shared safely between threads. Every random tensor
/// creator takes one (`Generator.default` unless given); the same seed always yields the same
/// values, bit for bit, on a given platform.
///
///     let g = Generator(seed: 42)
///     let a = try Tensor.randn([3, 4], generator: g)
///     g.manualSeed(42)
///     let b = try Tensor.randn([3, 4], generator: g)   // same values as a
///
/// The bits come from xoshiro256** seeded through splitmix64. The state sits in a `Mutex`, and a
/// whole tensor is filled under one lock, so concurrent users never interleave inside a tensor.
/// (A `Mutex` makes the class checked `Sendable`; no `@unchecked` needed.)
public final class Generator: Sendable {
    private struct State {
        var rng: Xoshiro256
        var seed: UInt64
    }

    private let state: Mutex<State>

    /// Seed of `Generator.default` at start-up (PyTorch's default seed).
    public static let defaultSeed: UInt64 = 67_280_421_310_721

    /// The process-wide generator used when none is passed.
    public static let `default` = Generator(seed: defaultSeed)

    public init(seed: UInt64 = Generator.defaultSeed) {
        state = Mutex(State(rng: Xoshiro256(seed: seed), seed: seed))
    }

    /// Restarts the stream from `seed` (PyTorch's `manual_seed`).
    public func manualSeed(_ seed: UInt64) {
        state.withLock { $0 = State(rng: Xoshiro256(seed: seed), seed: seed) }
    }

    /// Reseeds from the operating system's entropy and returns the new seed (PyTorch's `seed`).
    @discardableResult
    public func seedFromSystem() -> UInt64 {
        var system = SystemRandomNumberGenerator()
        let seed = system.next()
        manualSeed(seed)
        return seed
    }

    /// The seed last given to `init`, `manualSeed` or `seedFromSystem`.
    public var initialSeed: UInt64 { state.withLock { $0.seed } }

    /// The current 256-bit state as four words, to save and later `setState`.
    public var stateWords: [UInt64] {
        state.withLock { [$0.rng.s0, $0.rng.s1, $0.rng.s2, $0.rng.s3] }
    }

    /// Restores a state saved from `stateWords`. Needs exactly four words, not all zero (the
    /// all-zero state would only ever produce zeros).
    public func setState(_ words: [UInt64]) throws {
        guard words.count == 4 else {
            throw EngineError("set_rng_state", "expected 4 state words; got \(words.count)")
        }
        guard words.contains(where: { $0 != 0 }) else {
            throw EngineError("set_rng_state", "the state must not be all zeros; got [0, 0, 0, 0]")
        }
        state.withLock { $0.rng = Xoshiro256(words: words[0], words[1], words[2], words[3]) }
    }

    /// Runs `body` on the raw state under the lock. Kernels do a whole fill in one call.
    func withState<R: Sendable>(_ body: (inout Xoshiro256) -> R) -> R {
        state.withLock { body(&$0.rng) }
    }
}

/// Lets Swift's own randomized APIs (`shuffle(using:)`, `Int.random(in:using:)`) draw from a
/// Lumen generator.
extension Generator: RandomNumberGenerator {
    /// The next 64 random bits.
    public func next() -> UInt64 { withState { $0.next() } }
}
