import Synchronization

/// Byte-level BPE (GPT-2's tokenizer): text is split by GPT-2's pre-tokenizer pattern, each
/// piece's UTF-8 bytes become symbols (shown as GPT-2's printable byte characters, "Ġ" for a
/// space), and learned merges join adjacent symbols by rank. Every byte is in the vocabulary,
/// so any text round-trips exactly (`decode(encode(s)) == s`). Special tokens (e.g.
/// "<|endoftext|>") are matched in the raw text first and never split.
///
///     let bpe = try ByteLevelBPE.train(corpus: lines, vocabSize: 500)
///     let ids = bpe.encode("Hello world")       // 0-based ids
///     try bpe.save(path: "bpe.json")
public final class ByteLevelBPE: Sendable {
    /// Token string per id (byte-level characters), and the reverse map.
    public let vocab: [String]
    public let index: [String: Int]
    /// Merge rank and result per adjacent pair of ids.
    let ranks: [UInt64: (rank: Int, merged: Int)]
    /// Merges in rank order, as pairs of token strings.
    public let merges: [(String, String)]
    public let specialTokens: [String]
    /// The id of each byte's symbol.
    let byteIds: [Int]
    private let cache = Mutex<[String: [Int]]>([:])

    static let op = "bpe"

    /// GPT-2's byte ↔ printable character table: printable Latin-1 bytes map to themselves, the
    /// other 68 to U+0100 onwards.
    static let byteToChar: [Unicode.Scalar] = {
        var bs: [Int] = Array(33...126) + Array(161...172) + Array(174...255)
        var cs = bs
        var n = 0
        for b in 0..<256 where !bs.contains(b) {
            bs.append(b)
            cs.append(256 + n)
            n += 1
        }
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        for (b, c) in zip(bs, cs) { table[b] = Unicode.Scalar(UInt32(c))! }
        return table
    }()

    static let charToByte: [Unicode.Scalar: UInt8] = {
        var m: [Unicode.Scalar: UInt8] = [:]
        for (b, c) in byteToChar.enumerated() { m[c] = UInt8(b) }
        return m
    }()

    @inline(__always) static func key(_ a: Int, _ b: Int) -> UInt64 { UInt64(a) << 32 | UInt64(b) }

    /// A tokenizer from its vocabulary (token per id) and merges (pairs of token strings, in
    /// rank order). Throws when a byte symbol is missing, a merge names an unknown token or
    /// produces a token outside the vocabulary, or a token repeats. `source` names the
    /// vocabulary in messages; `mergeSource` and `mergeLines` (the line of each merge) the merges.
    public init(vocab: [String], merges: [(String, String)], specialTokens: [String] = [],
                source: String = "vocabulary", mergeSource: String? = nil, mergeLines: [Int]? = nil) throws {
        let op = ByteLevelBPE.op
        var index: [String: Int] = [:]
        for (i, t) in vocab.enumerated() {
            guard !t.isEmpty else { throw EngineError(op, "\(source): token \(i + 1) is empty") }
            if let first = index[t] { throw EngineError(op, "\(source): duplicate token \(JSONWriter.quote(t)) (ids \(first + 1) and \(i + 1))") }
            index[t] = i
        }
        var byteIds: [Int] = []
        for b in 0..<256 {
            let symbol = String(ByteLevelBPE.byteToChar[b])
            guard let id = index[symbol] else {
                throw EngineError(op, "\(source) lacks the byte symbol \(JSONWriter.quote(symbol)) (byte \(b)); a byte-level vocabulary needs all 256")
            }
            byteIds.append(id)
        }
        var ranks: [UInt64: (rank: Int, merged: Int)] = [:]
        for (r, m) in merges.enumerated() {
            let at = mergeLines.map { "\(mergeSource ?? source) line \($0[r])" } ?? "\(mergeSource ?? source) merge \(r + 1)"
            guard let a = index[m.0], let b = index[m.1] else {
                throw EngineError(op, "\(at): \(JSONWriter.quote(m.0 + " " + m.1)) names a token missing from the vocabulary")
            }
            guard let merged = index[m.0 + m.1] else {
                throw EngineError(op, "\(at): the merged token \(JSONWriter.quote(m.0 + m.1)) is missing from the vocabulary")
            }
            if ranks[ByteLevelBPE.key(a, b)] == nil { ranks[ByteLevelBPE.key(a, b)] = (r, merged) }
        }
        for s in specialTokens where index[s] == nil {
            throw EngineError(op, "special token \(JSONWriter.quote(s)) is not in the vocabulary")
        }
        self.vocab = vocab
        self.index = index
        self.merges = merges
        self.ranks = ranks
        self.specialTokens = specialTokens
        self.byteIds = byteIds
    }

    // MARK: training

    /// Learns merges from `corpus` until `vocabSize` tokens (special tokens first, then the 256
    /// byte symbols, then merged tokens) or until no pair occurs `minFrequency` times.
    public static func train(corpus: [String], vocabSize: Int, minFrequency: Int = 2,
                             specialTokens: [String] = []) throws -> ByteLevelBPE {
        let op = ByteLevelBPE.op
        guard vocabSize >= 1 else { throw EngineError(op, "vocab_size must be positive; got \(vocabSize)") }
        var counts: [String: Int] = [:]
        for line in corpus {
            for (segment, special) in SpecialTokens.split(line, specialTokens) where !special {
                for piece in pretokenize(segment) { counts[piece, default: 0] += 1 }
            }
        }
        var trainer = MergeTrainer(initial: specialTokens)
        let byteSymbol = (0..<256).map { trainer.add(String(byteToChar[$0])) }
        for (piece, count) in counts.sorted(by: { $0.key < $1.key }) {
            trainer.addWord(piece.utf8.map { byteSymbol[Int($0)] }, count: count)
        }
        try trainer.train(vocabSize: vocabSize, minFrequency: minFrequency, op: op) { $0 + $1 }
        let merges = trainer.merges.map { (trainer.tokens[$0.left], trainer.tokens[$0.right]) }
        return try ByteLevelBPE(vocab: trainer.tokens, merges: merges, specialTokens: specialTokens, source: "trained vocabulary")
    }

    // MARK: pre-tokenization

    /// GPT-2's pattern `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`,
    /// matched left to right.
    static func pretokenize(_ text: String) -> [String] {
        let s = Array(text.unicodeScalars), n = s.count
        var out: [String] = []
        func isSpace(_ c: Unicode.Scalar) -> Bool { c.properties.isWhitespace }
        func other(_ c: Unicode.Scalar) -> Bool { !isSpace(c) && !TextUnicode.isLetter(c) && !TextUnicode.isNumber(c) }
        func emit(_ a: Int, _ b: Int) { out.append(String(String.UnicodeScalarView(s[a..<b]))) }
        var i = 0
        while i < n {
            // Contractions.
            if s[i] == "'" && i + 1 < n {
                let rest = String(String.UnicodeScalarView(s[(i + 1)..<Swift.min(n, i + 3)]))
                if rest.hasPrefix("re") || rest.hasPrefix("ve") || rest.hasPrefix("ll") { emit(i, i + 3); i += 3; continue }
                if let c = rest.unicodeScalars.first, "stmd".unicodeScalars.contains(c) { emit(i, i + 2); i += 2; continue }
            }
            // An optional space, then a run of letters, numbers or other symbols.
            let j = s[i] == " " && i + 1 < n ? i + 1 : i
            let classes: [(Unicode.Scalar) -> Bool] = [TextUnicode.isLetter, TextUnicode.isNumber, other]
            if let cls = classes.first(where: { $0(s[j]) }) {
                var k = j + 1
                while k < n && cls(s[k]) { k += 1 }
                emit(i, k)
                i = k
                continue
            }
            // Whitespace: the run, less its last character when a non-space follows.
            var k = i
            while k < n && isSpace(s[k]) { k += 1 }
            if k < n && k - i > 1 { k -= 1 }
            emit(i, Swift.max(k, i + 1))
            i = Swift.max(k, i + 1)
        }
        return out
    }

    // MARK: encoding

    /// Ids (0-based) of `text`.
    public func encode(_ text: String) -> [Int] {
        var ids: [Int] = []
        for (segment, special) in SpecialTokens.split(text, specialTokens) {
            // init checked every special token is in the vocabulary
            if special, let id = index[segment] { ids.append(id); continue }
            for piece in ByteLevelBPE.pretokenize(segment) { ids += encode(piece: piece) }
        }
        return ids
    }

    /// Token strings of `text` (byte-level characters, e.g. "Ġworld").
    public func tokenize(_ text: String) -> [String] {
        encode(text).map { vocab[$0] }
    }

    /// One pre-token: its bytes, merged by rank until no ranked pair remains.
    func encode(piece: String) -> [Int] {
        if let hit = cache.withLock({ $0[piece] }) { return hit }
        var symbols = piece.utf8.map { byteIds[Int($0)] }
        while symbols.count > 1 {
            var bestRank = Int.max, bestAt = -1, merged = 0
            for k in 0..<(symbols.count - 1) {
                if let r = ranks[ByteLevelBPE.key(symbols[k], symbols[k + 1])], r.rank < bestRank {
                    bestRank = r.rank; bestAt = k; merged = r.merged
                }
            }
            if bestAt < 0 { break }
            symbols = MergeTrainer.apply(symbols, symbols[bestAt], symbols[bestAt + 1], merged)
        }
        cache.withLock { c in
            if c.count > 100_000 { c.removeAll() }
            c[piece] = symbols
        }
        return symbols
    }

    /// The text of ids (0-based): the bytes behind the symbols, decoded as UTF-8 (invalid
    /// sequences, possible only for partial outputs, become U+FFFD).
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) throws -> String {
        var bytes: [UInt8] = []
        for id in ids {
            guard id >= 0 && id < vocab.count else {
                throw EngineError(ByteLevelBPE.op, "token id \(id + 1) out of range 1..\(vocab.count)")
            }
            let token = vocab[id]
            if specialTokens.contains(token) {
                if !skipSpecialTokens { bytes += Array(token.utf8) }
                continue
            }
            for c in token.unicodeScalars {
                if let b = ByteLevelBPE.charToByte[c] { bytes.append(b) } else { bytes += Array(String(c).utf8) }
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: files

    /// Saves as JSON in the layout of Hugging Face's tokenizer.json model section:
    /// {"type": "BPE", "vocab": {token: id}, "merges": ["a b", ...], "special_tokens": [...]}
    /// (ids 0-based, as in tokenizer.json).
    public func save(path: String) throws {
        var s = "{\n  \"type\": \"BPE\",\n  \"special_tokens\": [" + specialTokens.map(JSONWriter.quote).joined(separator: ", ") + "],\n"
        s += "  \"vocab\": {\n" + vocab.enumerated().map { "    \(JSONWriter.quote($0.element)): \($0.offset)" }.joined(separator: ",\n")
        s += "\n  },\n  \"merges\": [\n" + merges.map { "    " + JSONWriter.quote($0.0 + " " + $0.1) }.joined(separator: ",\n")
        s += "\n  ]\n}\n"
        try TextFile.write(s, to: path, op: ByteLevelBPE.op)
    }

    /// Loads a file written by `save`, or a Hugging Face tokenizer.json (its "model" section and
    /// special "added_tokens").
    public static func load(path: String) throws -> ByteLevelBPE {
        let op = ByteLevelBPE.op
        let text = try TextFile.read(path, op: op)
        let root: JSONValue
        do { root = try JSONReader.parse(Array(text.utf8)) } catch let e as JSONError {
            throw EngineError(op, "\(path) is not valid JSON: \(e)")
        }
        guard case .object(var fields) = root else { throw EngineError(op, "\(path): expected a JSON object") }
        var specials: [String] = []
        if let model = fields.first(where: { $0.key == "model" })?.value {
            // tokenizer.json: special tokens are the added tokens marked special.
            if case .array(let added)? = fields.first(where: { $0.key == "added_tokens" })?.value {
                for a in added {
                    guard case .object(let f) = a else { continue }
                    if case .string(let c)? = f.first(where: { $0.key == "content" })?.value,
                       case .bool(true)? = f.first(where: { $0.key == "special" })?.value { specials.append(c) }
                }
            }
            guard case .object(let m) = model else { throw EngineError(op, "\(path): \"model\" must be an object") }
            fields = m
        } else if case .array(let list)? = fields.first(where: { $0.key == "special_tokens" })?.value {
            for (k, v) in list.enumerated() {
                guard case .string(let s) = v else { throw EngineError(op, "\(path): special_tokens[\(k + 1)] must be a string") }
                specials.append(s)
            }
        }
        if case .string(let type)? = fields.first(where: { $0.key == "type" })?.value, type != "BPE" {
            throw EngineError(op, "\(path): model type is \(type); expected BPE")
        }
        guard case .object(let vocabFields)? = fields.first(where: { $0.key == "vocab" })?.value else {
            throw EngineError(op, "\(path): missing \"vocab\" object (token -> id)")
        }
        let vocab = try vocabList(vocabFields.map { ($0.key, $0.value) }, source: path)
        guard case .array(let mergeList)? = fields.first(where: { $0.key == "merges" })?.value else {
            throw EngineError(op, "\(path): missing \"merges\" array")
        }
        var merges: [(String, String)] = []
        for (k, m) in mergeList.enumerated() {
            switch m {
            case .string(let s): merges.append(try splitMerge(s, at: "\(path) merge \(k + 1)"))
            case .array(let pair):
                guard pair.count == 2, case .string(let a) = pair[0], case .string(let b) = pair[1] else {
                    throw EngineError(op, "\(path) merge \(k + 1): expected \"a b\" or [\"a\", \"b\"]")
                }
                merges.append((a, b))
            default: throw EngineError(op, "\(path) merge \(k + 1): expected \"a b\" or [\"a\", \"b\"]; got \(m.typeName)")
            }
        }
        return try ByteLevelBPE(vocab: vocab, merges: merges, specialTokens: specials.filter { vocab.contains($0) }, source: path)
    }

    /// Loads GPT-2's vocab.json (token → 0-based id) and merges.txt ("#version" header optional).
    public static func load(vocabPath: String, mergesPath: String, specialTokens: [String] = []) throws -> ByteLevelBPE {
        let op = ByteLevelBPE.op
        let root: JSONValue
        do { root = try JSONReader.parse(Array(try TextFile.read(vocabPath, op: op).utf8)) } catch let e as JSONError {
            throw EngineError(op, "\(vocabPath) is not valid JSON: \(e)")
        }
        guard case .object(let fields) = root else { throw EngineError(op, "\(vocabPath): expected a JSON object of token -> id") }
        let vocab = try vocabList(fields.map { ($0.key, $0.value) }, source: vocabPath)
        var merges: [(String, String)] = []
        var lines: [Int] = []
        for (k, line) in TextFile.lines(try TextFile.read(mergesPath, op: op)).enumerated() {
            if k == 0 && line.hasPrefix("#version") { continue }
            if line.isEmpty { continue }
            merges.append(try splitMerge(line, at: "\(mergesPath) line \(k + 1)"))
            lines.append(k + 1)
        }
        return try ByteLevelBPE(vocab: vocab, merges: merges, specialTokens: specialTokens, source: vocabPath,
                                mergeSource: mergesPath, mergeLines: lines)
    }

    /// Token list from (token, id) members; ids must be 0..<n, each once.
    static func vocabList(_ members: [(String, JSONValue)], source: String) throws -> [String] {
        let op = ByteLevelBPE.op
        var list = [String?](repeating: nil, count: members.count)
        for (token, value) in members {
            guard case .number(let text) = value, let id = Int(text) else {
                throw EngineError(op, "\(source): id of token \(JSONWriter.quote(token)) must be an integer; got \(value.typeName)")
            }
            guard id >= 0 && id < members.count else {
                throw EngineError(op, "\(source): id \(id) of token \(JSONWriter.quote(token)) out of range 0..\(members.count - 1) (ids must be 0-based and contiguous)")
            }
            if let other = list[id] {
                throw EngineError(op, "\(source): id \(id) is given to both \(JSONWriter.quote(other)) and \(JSONWriter.quote(token))")
            }
            list[id] = token
        }
        return list.map { $0 ?? "" }
    }

    static func splitMerge(_ s: String, at place: String) throws -> (String, String) {
        let parts = s.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw EngineError(op, "\(place): expected two tokens separated by one space; got \(JSONWriter.quote(s))")
        }
        return (String(parts[0]), String(parts[1]))
    }
}

/// Splitting raw text around special tokens (longest match first), so they are never broken
/// up by pre-tokenization.
enum SpecialTokens {
    /// (segment, isSpecial) pieces of `text` in order.
    static func split(_ text: String, _ specials: [String]) -> [(String, Bool)] {
        if specials.isEmpty { return [(text, false)] }
        let s = Array(text.unicodeScalars)
        let candidates = specials.map { Array($0.unicodeScalars) }.filter { !$0.isEmpty }.sorted { $0.count > $1.count }
        var out: [(String, Bool)] = []
        var start = 0, i = 0
        while i < s.count {
            if let m = candidates.first(where: { i + $0.count <= s.count && Array(s[i..<(i + $0.count)]) == $0 }) {
                if start < i { out.append((String(String.UnicodeScalarView(s[start..<i])), false)) }
                out.append((String(String.UnicodeScalarView(m)), true))
                i += m.count
                start = i
            } else {
                i += 1
            }
        }
        if start < s.count { out.append((String(String.UnicodeScalarView(s[start..<s.count])), false)) }
        return out
    }
}
