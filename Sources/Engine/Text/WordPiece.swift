/// BERT's tokenization: the basic tokenizer (clean-up, CJK isolation, whitespace split,
/// lower-casing, accent stripping, punctuation split) and WordPiece (greedy longest match
/// first, continuation pieces prefixed "##", [UNK] for words it cannot cover), with the rules
/// of Google's tokenization.py and Hugging Face's BertTokenizer.
///
///     let tok = try WordPieceTokenizer.load(path: "vocab.txt")
///     tok.tokenize("Héllo, unaffable!")     // ["hello", ",", "una", "##ffa", "##ble", "!"]
public struct BasicTokenizer: Sendable {
    public var lowercase: Bool
    /// nil: strip accents exactly when lower-casing (BERT's default).
    public var stripAccents: Bool?
    public var splitCJK: Bool
    /// Tokens kept whole (the special tokens).
    public var neverSplit: Set<String>

    public init(lowercase: Bool = true, stripAccents: Bool? = nil, splitCJK: Bool = true, neverSplit: Set<String> = []) {
        self.lowercase = lowercase
        self.stripAccents = stripAccents
        self.splitCJK = splitCJK
        self.neverSplit = neverSplit
    }

    /// Words and punctuation marks of `text`.
    public func tokenize(_ text: String) -> [String] {
        // Clean: drop NUL, U+FFFD and control characters; every whitespace becomes a space;
        // CJK ideographs get spaces around them.
        var cleaned = String.UnicodeScalarView()
        for c in text.unicodeScalars {
            if c.value == 0 || c.value == 0xFFFD || TextUnicode.isBertControl(c) { continue }
            if TextUnicode.isBertWhitespace(c) { cleaned.append(" ") }
            else if splitCJK && TextUnicode.isCJK(c) { cleaned.append(" "); cleaned.append(c); cleaned.append(" ") }
            else { cleaned.append(c) }
        }
        var out: [String] = []
        for word in String(cleaned).unicodeScalars.split(separator: " ") {
            var token = String(String.UnicodeScalarView(word))
            if neverSplit.contains(token) { out.append(token); continue }
            if lowercase { token = token.lowercased() }
            if stripAccents ?? lowercase { token = TextUnicode.stripAccents(token) }
            // Each punctuation character becomes its own token.
            var current = String.UnicodeScalarView()
            for c in token.unicodeScalars {
                if TextUnicode.isBertPunctuation(c) {
                    if !current.isEmpty { out.append(String(current)); current = String.UnicodeScalarView() }
                    out.append(String(c))
                } else {
                    current.append(c)
                }
            }
            if !current.isEmpty { out.append(String(current)) }
        }
        return out
    }
}

/// A WordPiece vocabulary with BERT's basic tokenizer in front. Ids are 0-based line numbers of
/// vocab.txt (the Lua API adds one).
public final class WordPieceTokenizer: Sendable {
    public let vocab: [String]
    public let index: [String: Int]
    public let basic: BasicTokenizer
    public let unkToken: String
    public let prefix: String
    public let maxCharsPerWord: Int
    /// BERT's special tokens present in the vocabulary.
    public let specialTokens: [String]

    public static let bertSpecialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

    /// A tokenizer over `vocab` (token per id). Throws on duplicates, empty or whitespace
    /// tokens, or an unknown-token marker missing from the vocabulary.
    public init(vocab: [String], lowercase: Bool = true, stripAccents: Bool? = nil, unkToken: String = "[UNK]",
                prefix: String = "##", maxCharsPerWord: Int = 100, extraSpecialTokens: [String] = [],
                op: String = "wordpiece", source: String = "vocabulary", firstLine: Int = 1) throws {
        var index: [String: Int] = [:]
        index.reserveCapacity(vocab.count)
        for (i, token) in vocab.enumerated() {
            let line = "\(source) line \(i + firstLine)"
            guard !token.isEmpty else { throw EngineError(op, "\(line): empty token (every line must hold one token)") }
            if token.unicodeScalars.contains(where: { TextUnicode.isBertWhitespace($0) || TextUnicode.isBertControl($0) }) {
                throw EngineError(op, "\(line): token \(JSONWriter.quote(token)) contains whitespace or control characters")
            }
            if let first = index[token] {
                throw EngineError(op, "\(line): duplicate token \(JSONWriter.quote(token)) (first on line \(first + firstLine))")
            }
            index[token] = i
        }
        guard index[unkToken] != nil else {
            throw EngineError(op, "\(source) has no unknown-word token \(unkToken) (\(vocab.count) tokens read)")
        }
        guard maxCharsPerWord >= 1 else { throw EngineError(op, "max_input_chars_per_word must be positive") }
        self.vocab = vocab
        self.index = index
        self.unkToken = unkToken
        self.prefix = prefix
        self.maxCharsPerWord = maxCharsPerWord
        let specials = (WordPieceTokenizer.bertSpecialTokens + extraSpecialTokens).filter { index[$0] != nil }
        self.specialTokens = specials
        self.basic = BasicTokenizer(lowercase: lowercase, stripAccents: stripAccents, neverSplit: Set(specials))
    }

    /// Loads a BERT vocab.txt (one token per line; id = line number − 1). Errors name the line.
    public static func load(path: String, lowercase: Bool = true, stripAccents: Bool? = nil, unkToken: String = "[UNK]",
                            prefix: String = "##", maxCharsPerWord: Int = 100) throws -> WordPieceTokenizer {
        let op = "wordpiece"
        let lines = TextFile.lines(try TextFile.read(path, op: op))
        guard !lines.isEmpty else { throw EngineError(op, "\(path) is empty: expected one token per line") }
        return try WordPieceTokenizer(vocab: lines, lowercase: lowercase, stripAccents: stripAccents,
                                      unkToken: unkToken, prefix: prefix, maxCharsPerWord: maxCharsPerWord,
                                      op: op, source: path)
    }

    /// Writes the vocabulary as vocab.txt.
    public func save(path: String) throws {
        try TextFile.write(vocab.joined(separator: "\n") + "\n", to: path, op: "wordpiece")
    }

    /// WordPiece pieces of one word: greedy longest match first; [UNK] when a part has no piece.
    public func pieces(ofWord word: String) -> [String] {
        let chars = Array(word.unicodeScalars)
        if chars.count > maxCharsPerWord { return [unkToken] }
        var out: [String] = []
        var start = 0
        while start < chars.count {
            var end = chars.count
            var found: String? = nil
            while start < end {
                var piece = String(String.UnicodeScalarView(chars[start..<end]))
                if start > 0 { piece = prefix + piece }
                if index[piece] != nil { found = piece; break }
                end -= 1
            }
            guard let piece = found else { return [unkToken] }
            out.append(piece)
            start = end
        }
        return out
    }

    /// The pieces of `text`: special tokens are matched first (anywhere, kept whole), the rest
    /// goes through the basic tokenizer and WordPiece per word.
    public func tokenize(_ text: String) -> [String] {
        var out: [String] = []
        for (segment, special) in SpecialTokens.split(text, specialTokens) {
            if special { out.append(segment); continue }
            for word in basic.tokenize(segment) { out += pieces(ofWord: word) }
        }
        return out
    }

    /// Ids (0-based) of the pieces of `text`.
    public func encode(_ text: String) -> [Int] {
        let unk = index[unkToken] ?? 0
        return tokenize(text).map { index[$0] ?? unk }
    }

    /// Text from ids (0-based): pieces joined with spaces, "##" continuations glued, and
    /// BERT's clean-up of spaces before punctuation and contractions.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = true, cleanUpSpaces: Bool = true) throws -> String {
        var tokens: [String] = []
        for id in ids {
            guard id >= 0 && id < vocab.count else {
                throw EngineError("wordpiece", "token id \(id + 1) out of range 1..\(vocab.count)")
            }
            let t = vocab[id]
            if skipSpecialTokens && specialTokens.contains(t) { continue }
            tokens.append(t)
        }
        var text = tokens.joined(separator: " ").replacingAll(" " + prefix, with: "")
        if cleanUpSpaces { text = WordPieceTokenizer.cleanUp(text) }
        return text
    }

    /// Hugging Face's clean_up_tokenization.
    static func cleanUp(_ s: String) -> String {
        var t = s
        for (from, to) in [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                           (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")] {
            t = t.replacingAll(from, with: to)
        }
        return t
    }

    /// Learns a WordPiece vocabulary from `corpus` (Hugging Face's WordPiece trainer: merges of the
    /// most frequent adjacent pieces, continuation pieces prefixed "##", over the words of the
    /// basic tokenizer) until `vocabSize` tokens or no pair occurs `minFrequency` times. The
    /// vocabulary starts with the special tokens, then every character seen (as a start and as a
    /// "##" continuation), then the merged pieces in order.
    public static func train(corpus: [String], vocabSize: Int, minFrequency: Int = 2, lowercase: Bool = true,
                             stripAccents: Bool? = nil, specialTokens: [String] = bertSpecialTokens,
                             prefix: String = "##", limitAlphabet: Int? = nil) throws -> WordPieceTokenizer {
        let op = "wordpiece"
        guard vocabSize >= 1 else { throw EngineError(op, "vocab_size must be positive; got \(vocabSize)") }
        let basic = BasicTokenizer(lowercase: lowercase, stripAccents: stripAccents, neverSplit: Set(specialTokens))
        var counts: [String: Int] = [:]
        for line in corpus {
            for w in basic.tokenize(line) where !specialTokens.contains(w) { counts[w, default: 0] += 1 }
        }
        let words = counts.sorted { $0.key < $1.key }
        var trainer = MergeTrainer(initial: specialTokens)
        // Character alphabet: first characters plain, later ones with the prefix.
        var charCounts: [String: Int] = [:]
        for (w, count) in words {
            for (k, c) in w.unicodeScalars.enumerated() {
                charCounts[(k == 0 ? "" : prefix) + String(c), default: 0] += count
            }
        }
        var alphabet = charCounts.keys.sorted()
        if let limit = limitAlphabet, alphabet.count > limit {
            alphabet = Array(charCounts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(limit).map(\.key)).sorted()
        }
        for a in alphabet { trainer.add(a) }
        for (w, count) in words {
            let symbols = w.unicodeScalars.enumerated().compactMap { k, c in trainer.id[(k == 0 ? "" : prefix) + String(c)] }
            guard symbols.count == w.unicodeScalars.count else { continue }   // a character outside the limited alphabet
            trainer.addWord(symbols, count: count)
        }
        try trainer.train(vocabSize: vocabSize, minFrequency: minFrequency, op: op) { a, b in
            a + (b.hasPrefix(prefix) ? String(b.dropFirst(prefix.count)) : b)
        }
        let unk = specialTokens.contains("[UNK]") ? "[UNK]" : (specialTokens.first ?? "[UNK]")
        var vocab = trainer.tokens
        if !vocab.contains(unk) { vocab.insert(unk, at: 0) }
        return try WordPieceTokenizer(vocab: vocab, lowercase: lowercase, stripAccents: stripAccents, unkToken: unk,
                                      prefix: prefix, extraSpecialTokens: specialTokens, op: op, source: "trained vocabulary")
    }
}

extension String {
    /// Every non-overlapping occurrence of `target` (left to right, on Unicode scalars)
    /// replaced by `replacement`.
    func replacingAll(_ target: String, with replacement: String) -> String {
        let s = Array(unicodeScalars), t = Array(target.unicodeScalars)
        guard !t.isEmpty, s.count >= t.count else { return self }
        var out = String.UnicodeScalarView()
        var i = 0
        while i < s.count {
            if i + t.count <= s.count && s[i] == t[0] && Array(s[i..<(i + t.count)]) == t {
                out.append(contentsOf: replacement.unicodeScalars)
                i += t.count
            } else {
                out.append(s[i])
                i += 1
            }
        }
        return String(out)
    }
}
