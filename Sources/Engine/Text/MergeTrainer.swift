/// Learns merges of adjacent symbols by frequency (the BPE algorithm; Hugging Face's WordPiece
/// trainer runs the same loop with "##" continuation pieces). Words are sequences of symbol
/// ids weighted by their corpus counts; each round merges the most frequent adjacent pair
/// everywhere (ties go to the pair whose token strings sort first, so training is
/// deterministic), updating the pair counts of the affected words only.
struct MergeTrainer {
    /// Token string per id, and the reverse map.
    private(set) var tokens: [String] = []
    private(set) var id: [String: Int] = [:]
    /// Learned merges in order: (left, right) → merged id.
    private(set) var merges: [(left: Int, right: Int, merged: Int)] = []
    private var words: [[Int]] = []
    private var counts: [Int] = []

    init(initial: [String]) {
        for t in initial { add(t) }
    }

    /// The id of `token`, added at the end when new.
    @discardableResult
    mutating func add(_ token: String) -> Int {
        if let existing = id[token] { return existing }
        tokens.append(token)
        id[token] = tokens.count - 1
        return tokens.count - 1
    }

    mutating func addWord(_ symbols: [Int], count: Int) {
        words.append(symbols)
        counts.append(count)
    }

    @inline(__always) private static func key(_ a: Int, _ b: Int) -> UInt64 { UInt64(a) << 32 | UInt64(b) }

    /// Merges until `vocabSize` tokens or no pair occurs `minFrequency` times; `name` gives the
    /// merged token's string.
    mutating func train(vocabSize: Int, minFrequency: Int, op: String, name: (String, String) -> String) throws {
        var pairCounts: [UInt64: Int] = [:]
        var wordsWith: [UInt64: [Int]] = [:]
        func register(_ w: Int, sign: Int) {
            let s = words[w]
            guard s.count >= 2 else { return }
            for k in 0..<(s.count - 1) {
                let p = MergeTrainer.key(s[k], s[k + 1])
                pairCounts[p, default: 0] += sign * counts[w]
                if sign > 0 { wordsWith[p, default: []].append(w) }
            }
        }
        for w in words.indices { register(w, sign: 1) }
        var round = 0
        while tokens.count < vocabSize {
            var best: UInt64? = nil, bestCount = 0
            for (p, c) in pairCounts where c > 0 && c >= minFrequency {
                if c > bestCount { best = p; bestCount = c; continue }
                if c == bestCount, let b = best {
                    let (la, lb) = (tokens[Int(p >> 32)], tokens[Int(p & 0xFFFF_FFFF)])
                    let (ra, rb) = (tokens[Int(b >> 32)], tokens[Int(b & 0xFFFF_FFFF)])
                    if la < ra || (la == ra && lb < rb) { best = p }
                }
            }
            guard let pair = best else { break }
            let a = Int(pair >> 32), b = Int(pair & 0xFFFF_FFFF)
            let merged = add(name(tokens[a], tokens[b]))
            merges.append((a, b, merged))
            var seen = Set<Int>()
            for w in wordsWith[pair] ?? [] where seen.insert(w).inserted {
                let s = words[w]
                var contains = false
                for k in 0..<(s.count - 1) where s[k] == a && s[k + 1] == b { contains = true; break }
                guard contains else { continue }
                register(w, sign: -1)
                words[w] = MergeTrainer.apply(s, a, b, merged)
                register(w, sign: 1)
            }
            pairCounts[pair] = nil
            wordsWith[pair] = nil
            round += 1
            if round % 64 == 0 { try Interrupt.check(op) }
        }
    }

    /// `symbols` with every non-overlapping (a, b), left to right, replaced by `merged`.
    static func apply(_ symbols: [Int], _ a: Int, _ b: Int, _ merged: Int) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(symbols.count)
        var k = 0
        while k < symbols.count {
            if k + 1 < symbols.count && symbols[k] == a && symbols[k + 1] == b {
                out.append(merged)
                k += 2
            } else {
                out.append(symbols[k])
                k += 1
            }
        }
        return out
    }
}
