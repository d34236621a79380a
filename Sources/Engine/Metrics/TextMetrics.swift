/// Corpus BLEU and chrF as sacreBLEU computes them (its defaults: BLEU with the 13a tokenizer,
/// exponential smoothing, 4-grams; chrF with character 6-grams, β = 2, whitespace ignored),
/// so scores equal sacreBLEU's on the same text. Scores are 0–100.
///
///     let s = try TextMetrics.bleu(hypotheses: ["the cat sat"], references: [["the cat sat down"]])
public enum TextMetrics {
    // MARK: 13a tokenization

    /// sacreBLEU's "13a" tokenizer (mteval-v13a): unescape a few entities, split punctuation
    /// and symbols off, split periods and commas unless inside a number, split a dash after
    /// a digit, then collapse whitespace.
    public static func tokenize13a(_ line: String) -> String {
        var s = line.replacingAll("<skipped>", with: "").replacingAll("-\n", with: "").replacingAll("\n", with: " ")
        if s.unicodeScalars.contains("&") {
            s = s.replacingAll("&quot;", with: "\"").replacingAll("&amp;", with: "&")
                .replacingAll("&lt;", with: "<").replacingAll("&gt;", with: ">")
        }
        var chars = Array((" " + s + " ").unicodeScalars)
        // ([\{-\~\[-\` -\&\(-\+\:-\@\/]) → " \1 "
        var out: [Unicode.Scalar] = []
        for c in chars {
            let v = c.value
            let symbol = (0x7B...0x7E).contains(v) || (0x5B...0x60).contains(v) || (0x20...0x26).contains(v)
                || (0x28...0x2B).contains(v) || (0x3A...0x40).contains(v) || v == 0x2F
            if symbol { out += [" ", c, " "] } else { out.append(c) }
        }
        chars = out
        func isDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }
        func isPeriodOrComma(_ c: Unicode.Scalar) -> Bool { c == "." || c == "," }
        // Two-character patterns, matched left to right without overlap (as re.sub).
        func substitute(_ first: (Unicode.Scalar) -> Bool, _ second: (Unicode.Scalar) -> Bool,
                        _ replace: (Unicode.Scalar, Unicode.Scalar) -> [Unicode.Scalar]) {
            var result: [Unicode.Scalar] = []
            var i = 0
            while i < chars.count {
                if i + 1 < chars.count && first(chars[i]) && second(chars[i + 1]) {
                    result += replace(chars[i], chars[i + 1])
                    i += 2
                } else {
                    result.append(chars[i])
                    i += 1
                }
            }
            chars = result
        }
        substitute({ !isDigit($0) }, isPeriodOrComma) { a, b in [a, " ", b, " "] }     // ([^0-9])([\.,]) → "\1 \2 "
        substitute(isPeriodOrComma, { !isDigit($0) }) { a, b in [" ", a, " ", b] }     // ([\.,])([^0-9]) → " \1 \2"
        substitute(isDigit, { $0 == "-" }) { a, b in [a, " ", b, " "] }                // ([0-9])(-) → "\1 \2 "
        return pythonSplit(chars).joined(separator: " ")
    }

    /// Python's str.split(): runs of non-whitespace.
    static func pythonSplit<C: Collection>(_ chars: C) -> [String] where C.Element == Unicode.Scalar {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        for c in chars {
            if TextUnicode.isPythonSpace(c) {
                if !current.isEmpty { words.append(String(current)); current = String.UnicodeScalarView() }
            } else {
                current.append(c)
            }
        }
        if !current.isEmpty { words.append(String(current)) }
        return words
    }

    /// Removes trailing whitespace as Python's str.rstrip().
    static func rstrip(_ s: String) -> String {
        var scalars = Array(s.unicodeScalars)
        while let last = scalars.last, TextUnicode.isPythonSpace(last) { scalars.removeLast() }
        return String(String.UnicodeScalarView(scalars))
    }

    // MARK: BLEU

    /// The n-gram statistics of a corpus, summed over sentences.
    public struct BLEUStatistics: Sendable {
        public var hypothesisLength = 0, referenceLength = 0
        public var correct = [Int](repeating: 0, count: 4), total = [Int](repeating: 0, count: 4)
    }

    /// Counts of the 1- to `order`-grams of a token list.
    static func ngramCounts(_ tokens: [String], order: Int) -> [[String]: Int] {
        var counts: [[String]: Int] = [:]
        for n in 1...order where tokens.count >= n {
            for i in 0...(tokens.count - n) { counts[Array(tokens[i..<(i + n)]), default: 0] += 1 }
        }
        return counts
    }

    /// Corpus BLEU: `references[i]` lists the references of hypothesis i (any number ≥ 1).
    /// `tokenize` false uses whitespace-split text as given; `lowercase` compares lowercased.
    public static func bleu(hypotheses: [String], references: [[String]], lowercase: Bool = false,
                            tokenize: Bool = true, smoothing: String = "exp", smoothValue: Double? = nil,
                            effectiveOrder: Bool = false, maxOrder: Int = 4) throws -> (score: Double, stats: BLEUStatistics) {
        let op = "metrics.bleu"
        guard hypotheses.count == references.count else {
            throw EngineError(op, "got \(hypotheses.count) hypotheses but \(references.count) reference sets")
        }
        guard maxOrder >= 1 else { throw EngineError(op, "max n-gram order must be positive") }
        func prepare(_ s: String) -> [String] {
            let t = lowercase ? s.lowercased() : s
            return pythonSplit((tokenize ? tokenize13a(rstrip(t)) : rstrip(t)).unicodeScalars)
        }
        var stats = BLEUStatistics()
        stats.correct = [Int](repeating: 0, count: maxOrder)
        stats.total = stats.correct
        for (i, hyp) in hypotheses.enumerated() {
            guard !references[i].isEmpty else { throw EngineError(op, "hypothesis \(i + 1) has no reference") }
            var refCounts: [[String]: Int] = [:]
            var refLengths: [Int] = []
            for r in references[i] {
                let tokens = prepare(r)
                refLengths.append(tokens.count)
                for (g, c) in ngramCounts(tokens, order: maxOrder) { refCounts[g] = Swift.max(refCounts[g] ?? 0, c) }
            }
            let tokens = prepare(hyp)
            // The closest reference length (the shorter on a tie).
            var closest = refLengths[0]
            for l in refLengths.dropFirst() {
                let d = abs(tokens.count - l), best = abs(tokens.count - closest)
                if d < best || (d == best && l < closest) { closest = l }
            }
            stats.hypothesisLength += tokens.count
            stats.referenceLength += closest
            for (g, c) in ngramCounts(tokens, order: maxOrder) {
                stats.total[g.count - 1] += c
                if let r = refCounts[g] { stats.correct[g.count - 1] += Swift.min(c, r) }
            }
        }
        return (try bleuScore(stats, smoothing: smoothing, smoothValue: smoothValue, effectiveOrder: effectiveOrder), stats)
    }

    /// BLEU from statistics (sacreBLEU's compute_bleu): smoothing "exp" (default), "floor"
    /// (value 0.1), "add-k" (value 1) or "none".
    public static func bleuScore(_ s: BLEUStatistics, smoothing: String = "exp", smoothValue: Double? = nil,
                                 effectiveOrder: Bool = false) throws -> Double {
        let defaults: [String: Double?] = ["none": nil, "floor": 0.1, "add-k": 1, "exp": nil]
        guard let fallback = defaults[smoothing] else {
            throw EngineError("metrics.bleu", "smoothing must be \"exp\", \"floor\", \"add-k\" or \"none\"; got \"\(smoothing)\"")
        }
        let value = smoothValue ?? fallback ?? 0
        let order = s.correct.count
        if s.correct.allSatisfy({ $0 == 0 }) { return 0 }
        let bp = s.hypothesisLength < s.referenceLength
            ? (s.hypothesisLength > 0 ? _exp(1 - Double(s.referenceLength) / Double(s.hypothesisLength)) : 0) : 1
        var precisions = [Double](repeating: 0, count: order)
        var smoothMteval = 1.0
        var effective = order
        var correct = s.correct.map(Double.init), total = s.total.map(Double.init)
        for n in 1...order {
            if smoothing == "add-k" && n > 1 { correct[n - 1] += value; total[n - 1] += value }
            if total[n - 1] == 0 { break }
            if effectiveOrder { effective = n }
            if correct[n - 1] == 0 {
                if smoothing == "exp" {
                    smoothMteval *= 2
                    precisions[n - 1] = 100 / (smoothMteval * total[n - 1])
                } else if smoothing == "floor" {
                    precisions[n - 1] = 100 * value / total[n - 1]
                }
            } else {
                precisions[n - 1] = 100 * correct[n - 1] / total[n - 1]
            }
        }
        let logs = precisions.prefix(effective).map { $0 == 0 ? -9_999_999_999 : _log($0) }
        return bp * _exp(logs.reduce(0, +) / Double(effective))
    }

    // MARK: chrF

    /// Character n-gram counts of `s` with whitespace removed, for n = 1...order.
    static func charNgrams(_ s: String, order: Int) -> [[String: Int]] {
        let chars = Array(pythonSplit(s.unicodeScalars).joined().unicodeScalars)
        return (1...order).map { n in
            var counts: [String: Int] = [:]
            if chars.count >= n {
                for i in 0...(chars.count - n) { counts[String(String.UnicodeScalarView(chars[i..<(i + n)])), default: 0] += 1 }
            }
            return counts
        }
    }

    /// sacreBLEU's chrF F-score of summed [hyp, ref, match] statistics per order.
    static func chrfScore(_ stats: [Int], order: Int, beta: Double) -> Double {
        let eps = 1e-16, factor = beta * beta
        var avgPrecision = 0.0, avgRecall = 0.0, effective = 0
        for i in 0..<order {
            let hyp = Double(stats[3 * i]), ref = Double(stats[3 * i + 1]), match = Double(stats[3 * i + 2])
            let precision = hyp > 0 ? match / hyp : eps
            let recall = ref > 0 ? match / ref : eps
            if hyp > 0 && ref > 0 {
                avgPrecision += precision
                avgRecall += recall
                effective += 1
            }
        }
        if effective == 0 { return 0 }
        avgPrecision /= Double(effective)
        avgRecall /= Double(effective)
        guard avgPrecision + avgRecall > 0 else { return 0 }
        return 100 * (1 + factor) * avgPrecision * avgRecall / (factor * avgPrecision + avgRecall)
    }

    /// Corpus chrF (character n-grams up to `order`, β = `beta`); per hypothesis the reference
    /// with the best sentence F-score counts.
    public static func chrf(hypotheses: [String], references: [[String]], order: Int = 6, beta: Double = 2,
                            lowercase: Bool = false) throws -> Double {
        let op = "metrics.chrf"
        guard hypotheses.count == references.count else {
            throw EngineError(op, "got \(hypotheses.count) hypotheses but \(references.count) reference sets")
        }
        guard order >= 1 else { throw EngineError(op, "char order must be positive") }
        var total = [Int](repeating: 0, count: 3 * order)
        for (i, h) in hypotheses.enumerated() {
            guard !references[i].isEmpty else { throw EngineError(op, "hypothesis \(i + 1) has no reference") }
            let hyp = charNgrams(lowercase ? h.lowercased() : h, order: order)
            var best: [Int] = [], bestScore = -1.0
            for r in references[i] {
                let ref = charNgrams(lowercase ? r.lowercased() : r, order: order)
                var stats: [Int] = []
                for n in 0..<order {
                    var hypCount = 0, match = 0
                    for (g, c) in hyp[n] {
                        hypCount += c
                        if let rc = ref[n][g] { match += Swift.min(c, rc) }
                    }
                    stats += [ref[n].isEmpty ? 0 : hypCount, ref[n].values.reduce(0, +), match]
                }
                let score = chrfScore(stats, order: order, beta: beta)
                if score > bestScore { bestScore = score; best = stats }
            }
            for k in 0..<total.count { total[k] += best[k] }
        }
        return chrfScore(total, order: order, beta: beta)
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) private func _exp(_ x: Double) -> Double { Glibc.exp(x) }
@inline(__always) private func _log(_ x: Double) -> Double { Glibc.log(x) }
#endif
