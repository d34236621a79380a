import XCTest
@testable import Engine

/// A small BERT-style vocabulary (one token per line, id = line number - 1).
let testVocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "a", "cafe", "hello", "world", "un", "##aff", "##able",
                 "##s", "play", "##ing", "##ed", ",", ".", "!", "?", "'", "-", "(", ")", "naive", "resume", "re", "##sum",
                 "##e", "i", "don", "t", "jalapeno", "##no", "中", "国", "$", "5", "##0", "$5", "u", "##n", "##k"]

func temporaryPath(_ name: String) -> String { "/tmp/lumen-text-test-\(getpid())-\(name)" }

final class TextTests: XCTestCase {
    /// Pieces equal Hugging Face's BertWordPieceTokenizer (tokenizers 0.23) on the same vocab.
    func testWordPieceMatchesReference() throws {
        let path = temporaryPath("vocab.txt")
        try TextFile.write(testVocab.joined(separator: "\n") + "\n", to: path, op: "test")
        let tok = try WordPieceTokenizer.load(path: path)
        let cased = try WordPieceTokenizer.load(path: path, lowercase: false, stripAccents: false)
        let cases: [(String, [String], [String])] = [
            ("Héllo, WORLD! Unaffable playing", ["hello", ",", "world", "!", "un", "##aff", "##able", "play", "##ing"],
             ["[UNK]", ",", "[UNK]", "!", "[UNK]", "play", "##ing"]),
            ("The Café's naïve résumé — jalapeño?", ["the", "cafe", "'", "[UNK]", "naive", "resume", "[UNK]", "jalapeno", "?"],
             ["[UNK]", "[UNK]", "'", "[UNK]", "[UNK]", "[UNK]", "[UNK]", "[UNK]", "?"]),
            ("I don't [MASK] play-ed (the)", ["i", "don", "'", "t", "[MASK]", "play", "-", "[UNK]", "(", "the", ")"],
             ["[UNK]", "don", "'", "t", "[MASK]", "play", "-", "[UNK]", "(", "the", ")"]),
            ("unknownword hello\tworld\u{00a0}cafe\u{200b}", ["[UNK]", "hello", "world", "cafe"], ["[UNK]", "hello", "world", "cafe"]),
            ("中国 $50 $5 helloworld", ["中", "国", "$", "5", "##0", "$", "5", "[UNK]"], ["中", "国", "$", "5", "##0", "$", "5", "[UNK]"]),
            (String(repeating: "a", count: 101) + " a", ["[UNK]", "a"], ["[UNK]", "a"]),
            ("x[SEP]hello[CLS]", ["[UNK]", "[SEP]", "hello", "[CLS]"], ["[UNK]", "[SEP]", "hello", "[CLS]"]),
        ]
        for (text, expected, expectedCased) in cases {
            XCTAssertEqual(tok.tokenize(text), expected, text)
            XCTAssertEqual(cased.tokenize(text), expectedCased, text)
        }
        XCTAssertEqual(tok.encode("hello world"), [8, 9])
        XCTAssertEqual(try tok.decode([2, 8, 10, 11, 12, 17, 9, 19, 3]), "hello unaffable, world!")
        XCTAssertEqual(try tok.decode([2, 8, 3], skipSpecialTokens: false), "[CLS] hello [SEP]")
        assertEngineError("wordpiece", "out of range 1..44") { _ = try tok.decode([44]) }
    }

    func testVocabularyFileValidation() throws {
        func load(_ contents: String) throws {
            let path = temporaryPath("bad-vocab.txt")
            try TextFile.write(contents, to: path, op: "test")
            _ = try WordPieceTokenizer.load(path: path)
        }
        assertEngineError("wordpiece", "line 3: duplicate token \"a\" (first on line 2)") { try load("[UNK]\na\na\n") }
        assertEngineError("wordpiece", "line 2: empty token") { try load("[UNK]\n\nb\n") }
        assertEngineError("wordpiece", "line 2: token \"a b\" contains whitespace") { try load("[UNK]\na b\n") }
        assertEngineError("wordpiece", "no unknown-word token [UNK]") { try load("a\nb\n") }
        assertEngineError("wordpiece", "is empty") { try load("") }
        assertEngineError("wordpiece", "cannot open") { _ = try WordPieceTokenizer.load(path: "/nonexistent/vocab.txt") }
        let path = temporaryPath("binary-vocab.txt")
        try FileIO.writeAtomically(path: path, op: "test") { w in try w.write(Array("[UNK]\nok\n".utf8) + [0xFF, 0xFE, 0x0A]) }
        assertEngineError("wordpiece", "line 3: not valid UTF-8") { _ = try WordPieceTokenizer.load(path: path) }
        // CRLF line ends are accepted.
        try load("[UNK]\r\nhello\r\n")
    }

    func testWordPieceTraining() throws {
        let corpus = ["The unaffable player played, playing the playful game.", "Players play games; gamers play.",
                      "Unplayable? Un-play-able!", "naïve cafés play"]
        let tok = try WordPieceTokenizer.train(corpus: corpus, vocabSize: 80, minFrequency: 1)
        XCTAssertEqual(Array(tok.vocab.prefix(5)), WordPieceTokenizer.bertSpecialTokens)
        XCTAssertLessThanOrEqual(tok.vocab.count, 80)
        XCTAssertTrue(tok.vocab.contains("play"), "\(tok.vocab)")
        XCTAssertTrue(tok.vocab.contains { $0.hasPrefix("##") })
        for line in corpus {
            let pieces = tok.tokenize(line)
            XCTAssertFalse(pieces.contains("[UNK]"), "\(line) -> \(pieces)")
            // Gluing the pieces back gives the basic tokenizer's words.
            let glued = try tok.decode(tok.encode(line), cleanUpSpaces: false)
            XCTAssertEqual(glued, tok.basic.tokenize(line).joined(separator: " "))
        }
        let path = temporaryPath("trained-vocab.txt")
        try tok.save(path: path)
        let loaded = try WordPieceTokenizer.load(path: path)
        XCTAssertEqual(loaded.vocab, tok.vocab)
        XCTAssertEqual(loaded.encode("unplayable games"), tok.encode("unplayable games"))
    }

    /// GPT-2 pre-tokenization equals Hugging Face's ByteLevel pre-tokenizer (regex on).
    func testPretokenizerMatchesReference() {
        let cases: [(String, [String])] = [
            ("Hello world!  It's  fine\n\nOK?", ["Hello", " world", "!", " ", " It", "'s", " ", " fine", "\n", "\n", "OK", "?"]),
            ("don't we'll they're I'M 3.14 x2 ", ["don", "'t", " we", "'ll", " they", "'re", " I", "'", "M", " 3", ".", "14", " x", "2", " "]),
            ("  leading\tand\ttabs \n", [" ", " leading", "\t", "and", "\t", "tabs", " \n"]),
            ("naïve café — 中文 😀!!", ["naïve", " café", " —", " 中文", " 😀!!"]),
            ("a  b   c", ["a", " ", " b", "  ", " c"]),
            ("'s'''re", ["'s", "'''", "re"]),
        ]
        for (text, expected) in cases { XCTAssertEqual(ByteLevelBPE.pretokenize(text), expected, text) }
    }

    func testBPETrainsRoundTripsAndSaves() throws {
        let corpus = ["the quick brown fox jumps over the lazy dog", "the quicker browner foxes jumped",
                      "naïve café résumé — ünïcödé 😀", "lower lowest newer newest wider widest", "<|endoftext|> the end"]
        let bpe = try ByteLevelBPE.train(corpus: corpus, vocabSize: 300, minFrequency: 1, specialTokens: ["<|endoftext|>"])
        XCTAssertEqual(bpe.vocab[0], "<|endoftext|>")
        XCTAssertEqual(bpe.vocab.count, 300)
        XCTAssertEqual(bpe.merges.count, 300 - 257)
        XCTAssertTrue(bpe.vocab.contains("Ġthe"), "common words merge")
        let texts = ["the quick brown fox", "  spaces\t\ttabs\nnew lines\r\n", "naïve 😀 emoji ∑ and 中文",
                     "unseen zyxw words<|endoftext|>more", "", "\u{0}\u{7f} controls", "é" + "\u{301}"]
        for t in texts {
            let ids = bpe.encode(t)
            XCTAssertEqual(try bpe.decode(ids), t, "round trip")
            XCTAssertEqual(ids.map { bpe.vocab[$0] }, bpe.tokenize(t))
        }
        XCTAssertEqual(bpe.encode("a<|endoftext|>b")[1], 0)
        XCTAssertEqual(try bpe.decode(bpe.encode("a<|endoftext|>b"), skipSpecialTokens: true), "ab")
        XCTAssertLessThan(bpe.encode("the quick brown fox").count, "the quick brown fox".utf8.count / 2)
        // save / load keeps every encoding
        let path = temporaryPath("bpe.json")
        try bpe.save(path: path)
        let loaded = try ByteLevelBPE.load(path: path)
        XCTAssertEqual(loaded.vocab, bpe.vocab)
        XCTAssertEqual(loaded.specialTokens, ["<|endoftext|>"])
        for t in texts { XCTAssertEqual(loaded.encode(t), bpe.encode(t)) }
    }

    func testBPEFilesInGPT2Layout() throws {
        let bytes = (0..<256).map { String(ByteLevelBPE.byteToChar[$0]) }
        var vocab = bytes + ["Ġt", "he", "Ġthe"]
        let vocabJSON = "{" + vocab.enumerated().map { "\(JSONWriter.quote($0.element)): \($0.offset)" }.joined(separator: ", ") + "}"
        let vp = temporaryPath("vocab.json"), mp = temporaryPath("merges.txt")
        try TextFile.write(vocabJSON, to: vp, op: "test")
        try TextFile.write("#version: 0.2\nĠ t\nh e\nĠt he\n", to: mp, op: "test")
        let bpe = try ByteLevelBPE.load(vocabPath: vp, mergesPath: mp)
        XCTAssertEqual(bpe.tokenize("the the"), ["t", "he", "Ġthe"])
        try TextFile.write("#version: 0.2\nĠ t\nh e\nĠt hex\n", to: mp, op: "test")
        assertEngineError("bpe", "merges.txt line 4: \"Ġt hex\" names a token missing") { _ = try ByteLevelBPE.load(vocabPath: vp, mergesPath: mp) }
        try TextFile.write("Ġ t\nh  e\n", to: mp, op: "test")
        assertEngineError("bpe", "line 2: expected two tokens") { _ = try ByteLevelBPE.load(vocabPath: vp, mergesPath: mp) }
        vocab.removeFirst()
        try TextFile.write("{" + vocab.enumerated().map { "\(JSONWriter.quote($0.element)): \($0.offset)" }.joined(separator: ", ") + "}", to: vp, op: "test")
        try TextFile.write("", to: mp, op: "test")
        assertEngineError("bpe", "lacks the byte symbol \"Ā\" (byte 0)") { _ = try ByteLevelBPE.load(vocabPath: vp, mergesPath: mp) }
        try TextFile.write("{\"a\": 0, \"b\": 0}", to: vp, op: "test")
        assertEngineError("bpe", "id 0 is given to both") { _ = try ByteLevelBPE.load(vocabPath: vp, mergesPath: mp) }
        try TextFile.write("{\"a\": 0,", to: vp, op: "test")
        assertEngineError("bpe", "not valid JSON") { _ = try ByteLevelBPE.load(vocabPath: vp, mergesPath: mp) }
    }

    // MARK: metrics (reference values from sacreBLEU 2.6.0)

    func testTokenizer13a() {
        XCTAssertEqual(TextMetrics.tokenize13a("It costs $1,000.50 (approx.) -- see 2-3 items!"),
                       "It costs $ 1,000.50 ( approx . ) -- see 2 - 3 items !")
        XCTAssertEqual(TextMetrics.tokenize13a("Hello &amp; goodbye &quot;x&quot; a.b,c 3.5. end-\nline"),
                       "Hello & goodbye \" x \" a . b , c 3.5 . endline")
        XCTAssertEqual(TextMetrics.tokenize13a("U.S.A., e.g. 10-20 km/h"), "U . S . A . , e . g . 10 - 20 km / h")
    }

    func testBLEUAndChrFMatchSacreBLEU() throws {
        let hyps = ["The cat sat on the mat.", "It costs $1,000.50 (approx.) -- see 2-3 items!", "Hello &amp; goodbye",
                    "a completely different sentence", "", "Naïve café, résumé."]
        let refs1 = ["The cat is sitting on the mat.", "It costs $1,000.50 (approximately); see items 2-3!", "Hello & goodbye!",
                     "nothing in common here", "something", "Naive cafe, resume."]
        let refs2 = ["A cat sat on the mat.", "The price is $1,000.50 -- see 2-3 items.", "hello and goodbye",
                     "a different sentence completely", "", "Naïve café; résumé."]
        let one = try TextMetrics.bleu(hypotheses: hyps, references: refs1.map { [$0] })
        XCTAssertEqual(one.score, 31.77056370410727, accuracy: 1e-10)
        XCTAssertEqual(one.stats.correct, [23, 12, 7, 3])
        XCTAssertEqual(one.stats.total, [34, 29, 24, 19])
        XCTAssertEqual(one.stats.referenceLength, 36)
        let two = try TextMetrics.bleu(hypotheses: hyps, references: zip(refs1, refs2).map { [$0, $1] })
        XCTAssertEqual(two.score, 61.26936125398157, accuracy: 1e-10)
        XCTAssertEqual(two.stats.referenceLength, 33)
        XCTAssertEqual(try TextMetrics.bleu(hypotheses: ["the the cat"], references: [["the cat sat on the mat"]]).score, 0)
        XCTAssertEqual(try TextMetrics.bleu(hypotheses: ["xyz"], references: [["abc"]]).score, 0)
        XCTAssertEqual(try TextMetrics.chrf(hypotheses: hyps, references: refs1.map { [$0] }), 44.964545335637155, accuracy: 1e-10)
        XCTAssertEqual(try TextMetrics.chrf(hypotheses: hyps, references: zip(refs1, refs2).map { [$0, $1] }), 69.83025876755158, accuracy: 1e-10)
        XCTAssertEqual(try TextMetrics.chrf(hypotheses: ["the cat"], references: [["the cat"]]), 100, accuracy: 1e-12)
        XCTAssertEqual(try TextMetrics.chrf(hypotheses: ["abc def"], references: [["abd ef"]]), 39.7763074984247, accuracy: 1e-10)
        assertEngineError("metrics.bleu", "2 hypotheses but 1 reference") { _ = try TextMetrics.bleu(hypotheses: ["a", "b"], references: [["a"]]) }
    }
}
