import CLua
import CLuaShim
import Engine

/// The Swift tokenizers and text metrics behind lumen/text.lua and lumen/nlp_metrics.lua.
/// Functions live in `lumen_internal` with a `text_` prefix; tokenizers are object handles.
/// Token ids cross into Lua 1-based.
enum TextBindings {
    static func entry(_ name: String, _ f: @escaping Binding) -> BindingEntry {
        BindingEntry(.namespace("lumen_internal", "text_" + name), f)
    }

    static let bindings: [BindingEntry] = [
        wordpieceLoad, wordpieceFromVocab, wordpieceTrain, bpeTrain, bpeLoad, bpeLoadGPT2, tokenize, encode, decode,
        vocab, save, basicTokenize, bleu, chrf, tokenize13a,
    ]

    // MARK: argument readers

    /// String `i` with its exact bytes (embedded NULs kept; invalid UTF-8 becomes U+FFFD).
    static func text(_ lua: Lua, _ i: Int32, _ op: String, _ what: String) throws -> String {
        var length = 0
        guard lua.type(i) == LUA_TSTRING, let p = lua_tolstring(lua.L, i, &length) else {
            throw EngineError(op, "\(i < 0 ? what : lua.describe(i, what)): expected a string; got \(lua.typeName(i))")
        }
        return String(decoding: UnsafeRawBufferPointer(start: p, count: length), as: UTF8.self)
    }

    /// Pushes `s` with its exact bytes.
    static func pushText(_ lua: Lua, _ s: String) {
        let bytes = Array(s.utf8).map { CChar(bitPattern: $0) } + [0]
        bytes.withUnsafeBufferPointer { c in _ = lua_pushlstring(lua.L, c.baseAddress, c.count - 1) }
    }

    /// The array part of table `i` as strings.
    static func stringList(_ lua: Lua, _ i: Int32, _ op: String, _ what: String) throws -> [String] {
        guard lua.type(i) == LUA_TTABLE else { throw EngineError(op, "\(what): expected a list of strings; got \(lua.typeName(i))") }
        let t = lua_absindex(lua.L, i)
        let n = Int(lua_rawlen(lua.L, t))
        var out: [String] = []
        out.reserveCapacity(n)
        for k in 0..<n {
            lua_rawgeti(lua.L, t, lua_Integer(k + 1))
            defer { lumen_pop(lua.L, 1) }
            out.append(try text(lua, -1, op, "\(what)[\(k + 1)]"))
        }
        return out
    }

    /// Option `name` of table `i` as a list of strings (nil when absent).
    static func stringListOption(_ lua: Lua, _ i: Int32, _ name: String, _ op: String) throws -> [String]? {
        try lua.withField(i, name) { try stringList(lua, -1, op, name) }
    }

    /// Reference sets: each element a string (one reference) or a list of strings.
    static func referenceSets(_ lua: Lua, _ i: Int32, _ op: String) throws -> [[String]] {
        guard lua.type(i) == LUA_TTABLE else { throw EngineError(op, "references: expected a list; got \(lua.typeName(i))") }
        let t = lua_absindex(lua.L, i)
        return try (0..<Int(lua_rawlen(lua.L, t))).map { k in
            lua_rawgeti(lua.L, t, lua_Integer(k + 1))
            defer { lumen_pop(lua.L, 1) }
            if lua.type(-1) == LUA_TSTRING { return [try text(lua, -1, op, "references[\(k + 1)]")] }
            return try stringList(lua, -1, op, "references[\(k + 1)]")
        }
    }

    /// 1-based ids from a Lua list or an integer tensor, as 0-based.
    static func ids(_ lua: Lua, _ i: Int32, _ op: String) throws -> [Int] {
        if let t = lua.optTensor(i) {
            guard !t.dtype.isFloatingPoint, t.rank <= 1 else {
                throw EngineError(op, "expected a 1-d integer tensor of token ids; got \(t.dtype) \(shapeString(t.shape))")
            }
            return try t.toInts().map { Int($0) - 1 }
        }
        return try lua.integerList(i, op, what: "ids").map { $0 - 1 }
    }

    enum Tokenizer {
        case wordpiece(WordPieceTokenizer)
        case bpe(ByteLevelBPE)
    }

    static func tokenizer(_ lua: Lua, _ i: Int32, _ op: String) throws -> Tokenizer {
        if let w = try? ObjectUserdata.get(lua, i, WordPieceTokenizer.self, op) { return .wordpiece(w) }
        return .bpe(try ObjectUserdata.get(lua, i, ByteLevelBPE.self, op))
    }

    static func pushStrings(_ lua: Lua, _ list: [String]) {
        lua_createtable(lua.L, Int32(list.count), 0)
        for (k, s) in list.enumerated() {
            pushText(lua, s)
            lua_rawseti(lua.L, -2, lua_Integer(k + 1))
        }
    }

    // MARK: tokenizers

    static func wordpieceOptions(_ lua: Lua, _ i: Int32, _ op: String) throws -> (lowercase: Bool, strip: Bool?, unk: String, prefix: String, maxChars: Int) {
        (lua.optionBool(i, "lowercase") ?? true, lua.optionBool(i, "strip_accents"),
         try lua.optionString(i, "unk_token", op) ?? "[UNK]", try lua.optionString(i, "prefix", op) ?? "##",
         try lua.optionInteger(i, "max_input_chars_per_word", op) ?? 100)
    }

    /// text_wordpiece_load(path, opts) → handle
    static let wordpieceLoad = entry("wordpiece_load") { lua in
        let op = "wordpiece"
        let o = try wordpieceOptions(lua, 2, op)
        ObjectUserdata.push(lua, try WordPieceTokenizer.load(path: lua.string(1, op, "vocab"), lowercase: o.lowercase, stripAccents: o.strip,
                                                             unkToken: o.unk, prefix: o.prefix, maxCharsPerWord: o.maxChars))
        return 1
    }

    /// text_wordpiece_from_vocab(tokens, opts) → handle
    static let wordpieceFromVocab = entry("wordpiece_from_vocab") { lua in
        let op = "wordpiece"
        let o = try wordpieceOptions(lua, 2, op)
        ObjectUserdata.push(lua, try WordPieceTokenizer(vocab: stringList(lua, 1, op, "vocab"), lowercase: o.lowercase, stripAccents: o.strip,
                                                        unkToken: o.unk, prefix: o.prefix, maxCharsPerWord: o.maxChars, op: op,
                                                        source: "vocab list", firstLine: 1))
        return 1
    }

    /// text_wordpiece_train(corpus, opts{vocab_size, min_frequency, lowercase, strip_accents,
    /// special_tokens, limit_alphabet}) → handle
    static let wordpieceTrain = entry("wordpiece_train") { lua in
        let op = "wordpiece"
        guard let size = try lua.optionInteger(2, "vocab_size", op) else { throw EngineError(op, "option vocab_size is required to train") }
        ObjectUserdata.push(lua, try WordPieceTokenizer.train(
            corpus: stringList(lua, 1, op, "corpus"), vocabSize: size, minFrequency: try lua.optionInteger(2, "min_frequency", op) ?? 2,
            lowercase: lua.optionBool(2, "lowercase") ?? true, stripAccents: lua.optionBool(2, "strip_accents"),
            specialTokens: try stringListOption(lua, 2, "special_tokens", op) ?? WordPieceTokenizer.bertSpecialTokens,
            limitAlphabet: try lua.optionInteger(2, "limit_alphabet", op)))
        return 1
    }

    /// text_bpe_train(corpus, opts{vocab_size, min_frequency, special_tokens}) → handle
    static let bpeTrain = entry("bpe_train") { lua in
        let op = "bpe"
        guard let size = try lua.optionInteger(2, "vocab_size", op) else { throw EngineError(op, "option vocab_size is required to train") }
        ObjectUserdata.push(lua, try ByteLevelBPE.train(corpus: stringList(lua, 1, op, "corpus"), vocabSize: size,
                                                        minFrequency: try lua.optionInteger(2, "min_frequency", op) ?? 2,
                                                        specialTokens: try stringListOption(lua, 2, "special_tokens", op) ?? []))
        return 1
    }

    /// text_bpe_load(path) → handle (our JSON or a tokenizer.json)
    static let bpeLoad = entry("bpe_load") { lua in
        ObjectUserdata.push(lua, try ByteLevelBPE.load(path: lua.string(1, "bpe", "path")))
        return 1
    }

    /// text_bpe_load_gpt2(vocab_json, merges_txt, special_tokens) → handle
    static let bpeLoadGPT2 = entry("bpe_load_gpt2") { lua in
        let op = "bpe"
        let specials = lua.isNoneOrNil(3) ? [] : try stringList(lua, 3, op, "special_tokens")
        ObjectUserdata.push(lua, try ByteLevelBPE.load(vocabPath: lua.string(1, op, "vocab"), mergesPath: lua.string(2, op, "merges"),
                                                       specialTokens: specials))
        return 1
    }

    /// text_tokenize(handle, text) → list of token strings
    static let tokenize = entry("tokenize") { lua in
        let text = try text(lua, 2, "tokenize", "text")
        switch try tokenizer(lua, 1, "tokenize") {
        case .wordpiece(let w): pushStrings(lua, w.tokenize(text))
        case .bpe(let b): pushStrings(lua, b.tokenize(text))
        }
        return 1
    }

    /// text_encode(handle, text) → list of 1-based ids
    static let encode = entry("encode") { lua in
        let text = try text(lua, 2, "encode", "text")
        let ids: [Int]
        switch try tokenizer(lua, 1, "encode") {
        case .wordpiece(let w): ids = w.encode(text)
        case .bpe(let b): ids = b.encode(text)
        }
        lua.push(ids.map { $0 + 1 })
        return 1
    }

    /// text_decode(handle, ids, {skip_special_tokens, clean_up_tokenization_spaces}) → string
    static let decode = entry("decode") { lua in
        let list = try ids(lua, 2, "decode")
        switch try tokenizer(lua, 1, "decode") {
        case .wordpiece(let w):
            pushText(lua, try w.decode(list, skipSpecialTokens: lua.optionBool(3, "skip_special_tokens") ?? true,
                                       cleanUpSpaces: lua.optionBool(3, "clean_up_tokenization_spaces") ?? true))
        case .bpe(let b):
            pushText(lua, try b.decode(list, skipSpecialTokens: lua.optionBool(3, "skip_special_tokens") ?? false))
        }
        return 1
    }

    /// text_vocab(handle) → tokens (in id order), special tokens, kind ("wordpiece" | "bpe"), unk token|nil
    static let vocab = entry("vocab") { lua in
        switch try tokenizer(lua, 1, "vocab") {
        case .wordpiece(let w):
            pushStrings(lua, w.vocab); pushStrings(lua, w.specialTokens); lua.push("wordpiece"); lua.push(w.unkToken)
        case .bpe(let b):
            pushStrings(lua, b.vocab); pushStrings(lua, b.specialTokens); lua.push("bpe"); lua.pushNil()
        }
        return 4
    }

    /// text_save(handle, path)
    static let save = entry("save") { lua in
        let path = try lua.string(2, "save", "path")
        switch try tokenizer(lua, 1, "save") {
        case .wordpiece(let w): try w.save(path: path)
        case .bpe(let b): try b.save(path: path)
        }
        return 0
    }

    /// text_basic_tokenize(text, {lowercase, strip_accents}) → words and punctuation
    static let basicTokenize = entry("basic_tokenize") { lua in
        let b = BasicTokenizer(lowercase: lua.optionBool(2, "lowercase") ?? true, stripAccents: lua.optionBool(2, "strip_accents"))
        pushStrings(lua, b.tokenize(try text(lua, 1, "basic_tokenize", "text")))
        return 1
    }

    // MARK: metrics

    /// text_bleu(hyps, refs, {lowercase, tokenize ("13a"|"none"), smooth_method, smooth_value,
    /// use_effective_order, max_ngram_order}) → score, {counts}, {totals}, sys_len, ref_len
    static let bleu = entry("bleu") { lua in
        let op = "metrics.bleu"
        let tok = try lua.optionString(3, "tokenize", op) ?? "13a"
        guard tok == "13a" || tok == "none" else { throw EngineError(op, "tokenize must be \"13a\" or \"none\"; got \"\(tok)\"") }
        let r = try TextMetrics.bleu(hypotheses: stringList(lua, 1, op, "hypotheses"), references: referenceSets(lua, 2, op),
                                     lowercase: lua.optionBool(3, "lowercase") ?? false, tokenize: tok == "13a",
                                     smoothing: try lua.optionString(3, "smooth_method", op) ?? "exp",
                                     smoothValue: try lua.optionNumber(3, "smooth_value", op),
                                     effectiveOrder: lua.optionBool(3, "use_effective_order") ?? false,
                                     maxOrder: try lua.optionInteger(3, "max_ngram_order", op) ?? 4)
        lua.push(r.score)
        lua.push(r.stats.correct)
        lua.push(r.stats.total)
        lua.push(r.stats.hypothesisLength)
        lua.push(r.stats.referenceLength)
        return 5
    }

    /// text_chrf(hyps, refs, {char_order, beta, lowercase}) → score
    static let chrf = entry("chrf") { lua in
        let op = "metrics.chrf"
        lua.push(try TextMetrics.chrf(hypotheses: stringList(lua, 1, op, "hypotheses"), references: referenceSets(lua, 2, op),
                                      order: try lua.optionInteger(3, "char_order", op) ?? 6,
                                      beta: try lua.optionNumber(3, "beta", op) ?? 2,
                                      lowercase: lua.optionBool(3, "lowercase") ?? false))
        return 1
    }

    static let tokenize13a = entry("tokenize_13a") { lua in
        pushText(lua, TextMetrics.tokenize13a(try text(lua, 1, "tokenize_13a", "text")))
        return 1
    }
}
