import XCTest
import Dispatch
import Synchronization
@testable import Engine

final class RandomTests: XCTestCase {
    /// Mean and (population) standard deviation of a tensor's values.
    private func moments(_ t: Tensor) throws -> (mean: Double, std: Double) {
        let v = try t.toDoubles()
        let mean = v.reduce(0, +) / Double(v.count)
        let variance = v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count)
        return (mean, variance.squareRoot())
    }

    // MARK: Generator

    func testXoshiroMatchesReferenceSequence() throws {
        // xoshiro256** from state {1, 2, 3, 4}, as produced by the authors' C code.
        let g = Generator()
        try g.setState([1, 2, 3, 4])
        XCTAssertEqual((0..<4).map { _ in g.next() }, [11520, 0, 1_509_978_240, 1_215_971_899_390_074_240])
    }

    func testSplitmixSeeding() {
        // splitmix64 from 0: the reference outputs.
        var x: UInt64 = 0
        XCTAssertEqual(Xoshiro256.splitmix64(&x), 0xE220_A839_7B1D_CDAF)
        XCTAssertEqual(Xoshiro256.splitmix64(&x), 0x6E78_9E6A_A1B9_65F4)
        XCTAssertEqual(Generator(seed: 0).stateWords[0], 0xE220_A839_7B1D_CDAF)
    }

    func testSameSeedGivesIdenticalValues() throws {
        func draw(_ seed: UInt64) throws -> [[Double]] {
            let g = Generator(seed: seed)
            return [
                try Tensor.rand([257], generator: g).toDoubles(),
                try Tensor.randn([3, 5], dtype: .float64, generator: g).toDoubles(),
                try Tensor.randint(low: -5, high: 100, shape: [50], generator: g).toDoubles(),
                try Tensor.randperm(40, generator: g).toDoubles(),
                try Tensor.bernoulli(Tensor.full([30], 0.5), generator: g).toDoubles(),
                try Tensor.multinomial(Tensor([1, 2, 3, 4], shape: [4]), numSamples: 3, generator: g).toDoubles(),
                try Tensor.multinomial(Tensor([1, 2, 3, 4], shape: [4]), numSamples: 9, replacement: true, generator: g).toDoubles(),
            ]
        }
        XCTAssertEqual(try draw(1234), try draw(1234))
        let a = try draw(1234), b = try draw(1235)
        for k in [0, 1, 2, 3] { XCTAssertNotEqual(a[k], b[k], "draw \(k)") }
    }

    func testManualSeedRestartsTheStream() throws {
        let g = Generator(seed: 5)
        let first = try Tensor.randn([100], generator: g).toDoubles()
        let second = try Tensor.randn([100], generator: g).toDoubles()
        XCTAssertNotEqual(first, second)
        g.manualSeed(5)
        XCTAssertEqual(try Tensor.randn([100], generator: g).toDoubles(), first)
        XCTAssertEqual(g.initialSeed, 5)

        Generator.default.manualSeed(99)
        let d1 = try Tensor.rand([10]).toDoubles()
        Generator.default.manualSeed(99)
        XCTAssertEqual(try Tensor.rand([10]).toDoubles(), d1)
    }

    func testStateSaveAndRestore() throws {
        let g = Generator(seed: 77)
        _ = try Tensor.rand([3], generator: g)
        let saved = g.stateWords
        let a = try Tensor.randn([20], generator: g).toDoubles()
        try g.setState(saved)
        XCTAssertEqual(try Tensor.randn([20], generator: g).toDoubles(), a)
        assertEngineError("set_rng_state", "4 state words") { try g.setState([1, 2]) }
        assertEngineError("set_rng_state", "all zeros") { try g.setState([0, 0, 0, 0]) }
    }

    func testGeneratorWorksWithSwiftRandomAPIs() {
        let g1 = Generator(seed: 3), g2 = Generator(seed: 3)
        var r1 = g1, r2 = g2
        var a = Array(0..<20), b = Array(0..<20)
        a.shuffle(using: &r1)
        b.shuffle(using: &r2)
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.sorted(), Array(0..<20))
    }

    func testConcurrentUseOfOneGenerator() throws {
        // Whole tensors are drawn under one lock: concurrent draws are each a contiguous run of
        // the stream, so together they use exactly the values of sequential draws.
        let g = Generator(seed: 11)
        let results = Mutex<[[Double]]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            let v = (try? Tensor.rand([1000], dtype: .float64, generator: g).toDoubles()) ?? []
            results.withLock { $0.append(v) }
        }
        let got = results.withLock { $0 }.flatMap { $0 }.sorted()
        g.manualSeed(11)
        let expected = try Tensor.rand([8000], dtype: .float64, generator: g).toDoubles().sorted()
        XCTAssertEqual(got, expected)
    }

    // MARK: Continuous distributions

    func testRandMoments() throws {
        let g = Generator(seed: 1)
        for dtype in [DType.float32, .float64] {
            let t = try Tensor.rand([100_000], dtype: dtype, generator: g)
            XCTAssertEqual(t.dtype, dtype)
            let v = try t.toDoubles()
            XCTAssertGreaterThanOrEqual(v.min()!, 0)
            XCTAssertLessThan(v.max()!, 1)
            let (mean, std) = try moments(t)
            XCTAssertEqual(mean, 0.5, accuracy: 0.005)
            XCTAssertEqual(std, (1.0 / 12).squareRoot(), accuracy: 0.004)
        }
    }

    func testRandnMoments() throws {
        let g = Generator(seed: 2)
        for dtype in [DType.float32, .float64] {
            let t = try Tensor.randn([100_001], dtype: dtype, generator: g)  // odd count
            let (mean, std) = try moments(t)
            XCTAssertEqual(mean, 0, accuracy: 0.015)
            XCTAssertEqual(std, 1, accuracy: 0.01)
            let v = try t.toDoubles()
            let within1 = Double(v.filter { abs($0) < 1 }.count) / Double(v.count)
            let within2 = Double(v.filter { abs($0) < 2 }.count) / Double(v.count)
            XCTAssertEqual(within1, 0.6827, accuracy: 0.006)
            XCTAssertEqual(within2, 0.9545, accuracy: 0.004)
            let skew = v.reduce(0) { $0 + $1 * $1 * $1 } / Double(v.count)
            let kurtosis = v.reduce(0) { $0 + $1 * $1 * $1 * $1 } / Double(v.count)
            XCTAssertEqual(skew, 0, accuracy: 0.05)
            XCTAssertEqual(kurtosis, 3, accuracy: 0.1)
        }
    }

    func testNormalAndUniformMoments() throws {
        let g = Generator(seed: 3)
        let n = try Tensor.normal([100_000], mean: 3, std: 2, generator: g)
        let (nm, ns) = try moments(n)
        XCTAssertEqual(nm, 3, accuracy: 0.03)
        XCTAssertEqual(ns, 2, accuracy: 0.03)

        let u = try Tensor.uniform([100_000], low: -2, high: 5, dtype: .float64, generator: g)
        let v = try u.toDoubles()
        XCTAssertGreaterThanOrEqual(v.min()!, -2)
        XCTAssertLessThan(v.max()!, 5)
        let (um, us) = try moments(u)
        XCTAssertEqual(um, 1.5, accuracy: 0.03)
        XCTAssertEqual(us, 7 / 12.0.squareRoot(), accuracy: 0.03)

        // Degenerate but valid parameters.
        XCTAssertEqual(try Tensor.normal([5], mean: 1, std: 0, generator: g).toDoubles(), [1, 1, 1, 1, 1])
        XCTAssertEqual(try Tensor.uniform([3], low: 4, high: 4, generator: g).toDoubles(), [4, 4, 4])
    }

    func testShapesZeroDAndEmpty() throws {
        XCTAssertEqual(try Tensor.rand([]).shape, [])
        XCTAssertEqual(try Tensor.randn([2, 0, 3]).numel, 0)
        XCTAssertEqual(try Tensor.randint(high: 3, shape: [4, 5]).shape, [4, 5])
        XCTAssertEqual(try Tensor.randperm(0).shape, [0])
    }

    // MARK: Integers

    func testRandintRangeAndUniformity() throws {
        let g = Generator(seed: 4)
        let t = try Tensor.randint(low: -3, high: 7, shape: [100_000], generator: g)
        XCTAssertEqual(t.dtype, .int64)
        var counts = [Int](repeating: 0, count: 10)
        for v in try t.toInts() {
            XCTAssertTrue(v >= -3 && v < 7)
            counts[Int(v) + 3] += 1
        }
        for c in counts { XCTAssertEqual(Double(c), 10_000, accuracy: 500) }

        XCTAssertEqual(Set(try Tensor.randint(low: 5, high: 6, shape: [20], generator: g).toInts()), [5])
        // The widest range does not overflow.
        let wide = try Tensor.randint(low: Int.min, high: Int.max, shape: [1000], generator: g).toInts()
        XCTAssertTrue(wide.contains { $0 < 0 } && wide.contains { $0 > 0 })
        XCTAssertFalse(wide.contains(Int64.max))
    }

    func testRandpermIsAPermutation() throws {
        let g = Generator(seed: 5)
        let p = try Tensor.randperm(1000, generator: g)
        XCTAssertEqual(p.dtype, .int64)
        let v = try p.toInts()
        XCTAssertEqual(v.sorted(), (0..<1000).map(Int64.init))
        XCTAssertNotEqual(v, (0..<1000).map(Int64.init))
        XCTAssertEqual(try Tensor.randperm(1, generator: g).toInts(), [0])
        // Every position is uniform: element 0 lands in each of 4 slots about equally.
        var slot = [Int](repeating: 0, count: 4)
        for _ in 0..<4000 { slot[try Tensor.randperm(4, generator: g).toInts().firstIndex(of: 0)!] += 1 }
        for c in slot { XCTAssertEqual(Double(c), 1000, accuracy: 150) }
    }

    // MARK: Sampling

    func testBernoulliFrequencyShapeAndDtype() throws {
        let g = Generator(seed: 6)
        let p = try Tensor.full([100_000], 0.3, dtype: .float64)
        let b = try Tensor.bernoulli(p, generator: g)
        XCTAssertEqual(b.dtype, .float64)
        let v = try b.toDoubles()
        XCTAssertTrue(v.allSatisfy { $0 == 0 || $0 == 1 })
        XCTAssertEqual(v.reduce(0, +) / Double(v.count), 0.3, accuracy: 0.008)

        let mixed = try Tensor([0, 1, 0, 1, 0, 1], shape: [2, 3])
        let m = try Tensor.bernoulli(mixed, generator: g)
        XCTAssertEqual(m.shape, [2, 3])
        XCTAssertEqual(m.dtype, .float32)
        XCTAssertEqual(try m.toDoubles(), [0, 1, 0, 1, 0, 1])

        let mask = try Tensor.bernoulli([50_000], p: 0.8, generator: g)
        XCTAssertEqual(try mask.toDoubles().reduce(0, +) / 50_000, 0.8, accuracy: 0.01)
    }

    func testMultinomialWithReplacementFrequencies() throws {
        let g = Generator(seed: 7)
        let w = try Tensor([1, 2, 0, 3, 4], shape: [5])
        let s = try Tensor.multinomial(w, numSamples: 100_000, replacement: true, generator: g)
        XCTAssertEqual(s.shape, [100_000])
        XCTAssertEqual(s.dtype, .int64)
        var counts = [Int](repeating: 0, count: 5)
        for v in try s.toInts() { counts[Int(v)] += 1 }
        XCTAssertEqual(counts[2], 0, "zero weight never drawn")
        for (j, weight) in [1.0, 2, 0, 3, 4].enumerated() {
            XCTAssertEqual(Double(counts[j]) / 100_000, weight / 10, accuracy: 0.008)
        }

        // Rows are independent distributions.
        let rows = try Tensor([0, 0, 1, 1, 0, 0], shape: [2, 3])
        let r = try Tensor.multinomial(rows, numSamples: 50, replacement: true, generator: g)
        XCTAssertEqual(r.shape, [2, 50])
        let rv = try r.toInts()
        XCTAssertTrue(rv[..<50].allSatisfy { $0 == 2 })
        XCTAssertTrue(rv[50...].allSatisfy { $0 == 0 })
    }

    func testMultinomialWithoutReplacement() throws {
        let g = Generator(seed: 8)
        // Drawing all categories gives a permutation.
        let all = try Tensor.multinomial(Tensor([5, 1, 1, 3, 2, 7], shape: [6]), numSamples: 6, generator: g).toInts()
        XCTAssertEqual(all.sorted(), [0, 1, 2, 3, 4, 5])

        // Many rows: no repeats in a row; the first draw follows the weights, the second the
        // renormalized remainder.
        let rowCount = 20_000
        let w = try Tensor.ones([rowCount, 1]).mul(Tensor([1, 2, 3, 4], shape: [4]))
        let s = try Tensor.multinomial(w, numSamples: 2, generator: g)
        XCTAssertEqual(s.shape, [rowCount, 2])
        let v = try s.toInts()
        var first = [Int](repeating: 0, count: 4)
        var secondAfter3 = [Int](repeating: 0, count: 4), after3 = 0
        for r in 0..<rowCount {
            XCTAssertNotEqual(v[2 * r], v[2 * r + 1])
            first[Int(v[2 * r])] += 1
            if v[2 * r] == 3 { after3 += 1; secondAfter3[Int(v[2 * r + 1])] += 1 }
        }
        for j in 0..<4 { XCTAssertEqual(Double(first[j]) / Double(rowCount), Double(j + 1) / 10, accuracy: 0.015) }
        // After drawing category 3 (weight 4), the rest have weights 1,2,3 out of 6.
        for j in 0..<3 { XCTAssertEqual(Double(secondAfter3[j]) / Double(after3), Double(j + 1) / 6, accuracy: 0.03) }

        // Zero weights are never drawn.
        let z = try Tensor.multinomial(Tensor([0, 1, 0, 1], shape: [4]), numSamples: 2, generator: g).toInts()
        XCTAssertEqual(Set(z), [1, 3])
    }

    // MARK: In-place fills

    func testInPlaceFillsMatchFreshTensorsAnyLayout() throws {
        let base = try Tensor.zeros([4, 3])
        let view = try base.t()  // (3,4), non-contiguous
        XCTAssertFalse(view.isContiguous)
        try view.uniform_(low: -1, high: 1, generator: Generator(seed: 9))
        let expected = try Tensor.uniform([3, 4], low: -1, high: 1, generator: Generator(seed: 9))
        XCTAssertEqual(try view.toDoubles(), try expected.toDoubles())

        try view.normal_(mean: 2, std: 0.5, generator: Generator(seed: 10))
        let expectedN = try Tensor.normal([3, 4], mean: 2, std: 0.5, generator: Generator(seed: 10))
        XCTAssertEqual(try view.toDoubles(), try expectedN.toDoubles())

        // A narrowed contiguous block fills only its own elements.
        let flat = try Tensor.zeros([10], dtype: .float64)
        try flat.narrow(dim: 0, start: 3, length: 4).uniform_(low: 1, high: 2)
        let fv = try flat.toDoubles()
        XCTAssertTrue(fv[0..<3].allSatisfy { $0 == 0 } && fv[7...].allSatisfy { $0 == 0 })
        XCTAssertTrue(fv[3..<7].allSatisfy { $0 >= 1 && $0 < 2 })

        let big = try Tensor.zeros([300, 400])
        try big.normal_(std: 0.1)
        XCTAssertEqual(try moments(big).std, 0.1, accuracy: 0.002)
    }

    // MARK: Errors

    func testErrors() throws {
        assertEngineError("rand", "floating point dtype") { _ = try Tensor.rand([2], dtype: .int64) }
        assertEngineError("randn", "floating point dtype") { _ = try Tensor.randn([2], dtype: .bool) }
        assertEngineError("rand", "negative dimension") { _ = try Tensor.rand([-1]) }
        assertEngineError("uniform", "low <= high") { _ = try Tensor.uniform([2], low: 2, high: 1) }
        assertEngineError("uniform", "finite") { _ = try Tensor.uniform([2], low: 0, high: .infinity) }
        assertEngineError("uniform", "finite") { _ = try Tensor.uniform([2], low: -1e308, high: 1e308) }
        assertEngineError("uniform", "float32") { _ = try Tensor.uniform([2], low: 0, high: 1e300) }
        assertEngineError("normal", "std >= 0") { _ = try Tensor.normal([2], std: -1) }
        assertEngineError("normal", "finite mean") { _ = try Tensor.normal([2], mean: .nan) }
        assertEngineError("randint", "low=5 high=5") { _ = try Tensor.randint(low: 5, high: 5, shape: [2]) }
        assertEngineError("randint", "high must be greater") { _ = try Tensor.randint(low: 5, high: 1, shape: [2]) }
        assertEngineError("randperm", "non-negative") { _ = try Tensor.randperm(-3) }

        assertEngineError("bernoulli", "1.5 at flat index 1") { _ = try Tensor.bernoulli(Tensor([0.5, 1.5], shape: [2])) }
        assertEngineError("bernoulli", "-0.1") { _ = try Tensor.bernoulli(Tensor([-0.1], shape: [1])) }
        assertEngineError("bernoulli", "nan") { _ = try Tensor.bernoulli(Tensor([.nan], shape: [1])) }
        assertEngineError("bernoulli", "[0, 1]") { _ = try Tensor.bernoulli([3], p: 1.2) }

        let w = try Tensor([1, 2, 3], shape: [3])
        assertEngineError("multinomial", "-1.0 at index 1") {
            _ = try Tensor.multinomial(Tensor([1, -1, 3], shape: [3]), numSamples: 1)
        }
        assertEngineError("multinomial", "row 1 sum to zero") {
            _ = try Tensor.multinomial(Tensor([1, 2, 0, 0], shape: [2, 2]), numSamples: 1, replacement: true)
        }
        assertEngineError("multinomial", "sum to zero") { _ = try Tensor.multinomial(Tensor.zeros([3]), numSamples: 1) }
        assertEngineError("multinomial", "4 samples without replacement from 3 categories") {
            _ = try Tensor.multinomial(w, numSamples: 4)
        }
        assertEngineError("multinomial", "only 1 non-zero") {
            _ = try Tensor.multinomial(Tensor([0, 5, 0], shape: [3]), numSamples: 2)
        }
        assertEngineError("multinomial", "must be positive") { _ = try Tensor.multinomial(w, numSamples: 0) }
        assertEngineError("multinomial", "1-d or 2-d") { _ = try Tensor.multinomial(Tensor.ones([2, 2, 2]), numSamples: 1) }
        assertEngineError("multinomial", "at least one category") { _ = try Tensor.multinomial(Tensor.ones([2, 0]), numSamples: 1) }
        assertEngineError("multinomial", "inf") {
            _ = try Tensor.multinomial(Tensor([1, .infinity], shape: [2]), numSamples: 1)
        }
        // Sampling 4 of 3 is fine with replacement.
        XCTAssertEqual(try Tensor.multinomial(w, numSamples: 4, replacement: true).shape, [4])

        assertEngineError("uniform_", "floating point tensor") { try Tensor.zeros([2], dtype: .int32).uniform_() }
        assertEngineError("normal_", "std >= 0") { try Tensor.zeros([2]).normal_(std: -2) }
        let p = try Tensor.zeros([2]); try p.setRequiresGrad()
        assertEngineError("uniform_", "requires grad") { try p.uniform_() }
        try GradMode.withoutGrad { _ = try p.uniform_() }  // allowed under no_grad, as for initializers
    }
}
