-- lumen.text: tokenizers (WordPiece on a real vocab.txt, byte-level BPE, characters, words),
-- batches with attention masks, decoding, and the text metrics (reference values: Hugging Face
-- tokenizers 0.23 and sacreBLEU 2.6.0 on the same inputs).

local VOCAB = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "a", "cafe", "hello", "world", "un", "##aff",
  "##able", "##s", "play", "##ing", "##ed", ",", ".", "!", "?", "'", "-", "(", ")", "naive", "resume", "re", "##sum",
  "##e", "i", "don", "t", "jalapeno", "##no", "中", "国", "$", "5", "##0", "$5", "u", "##n", "##k"}

local function tmp(name) return os.tmpname() .. "-" .. name end

local function write(path, contents)
  local f = assert(io.open(path, "wb"))
  f:write(contents)
  f:close()
end

local function vocab_file()
  local path = tmp("vocab.txt")
  write(path, table.concat(VOCAB, "\n") .. "\n")
  return path
end

test("WordPiece on a BERT vocab.txt: accents, punctuation, unknown words, CJK, special tokens", function()
  local tok = text.wordpiece{vocab = vocab_file()}
  assert_eq(#tok, #VOCAB)
  assert_eq(tostring(tok), "WordPieceTokenizer(vocab_size=44, lowercase=true)")
  local cases = {
    {"Héllo, WORLD! Unaffable playing", {"hello", ",", "world", "!", "un", "##aff", "##able", "play", "##ing"}},
    {"The Café's naïve résumé — jalapeño?", {"the", "cafe", "'", "[UNK]", "naive", "resume", "[UNK]", "jalapeno", "?"}},
    {"I don't [MASK] play-ed (the)", {"i", "don", "'", "t", "[MASK]", "play", "-", "[UNK]", "(", "the", ")"}},
    {"unknownword hello\tworld\u{00a0}cafe\u{200b}", {"[UNK]", "hello", "world", "cafe"}},
    {"中国 $50 $5 helloworld", {"中", "国", "$", "5", "##0", "$", "5", "[UNK]"}},
    {"x[SEP]hello[CLS]", {"[UNK]", "[SEP]", "hello", "[CLS]"}},
  }
  for _, case in ipairs(cases) do
    assert_eq(table.concat(tok:tokenize(case[1]), " "), table.concat(case[2], " "), case[1])
  end
  -- ids are 1-based line numbers of vocab.txt; encode adds [CLS] ... [SEP]
  assert_eq(table.concat(tok:encode("Hello, world!"), " "), "3 9 18 10 20 4")
  assert_eq(table.concat(tok:encode("hello", {add_special_tokens = false}), " "), "9")
  local ids, types = tok:encode("hello", {pair = "world"})
  assert_eq(table.concat(ids, " "), "3 9 4 10 4")
  assert_eq(table.concat(types, " "), "0 0 0 1 1")
  assert_eq(tok:decode(tok:encode("Héllo, WORLD! unaffable")), "hello, world! unaffable")
  assert_eq(tok:decode(tok:encode("hello"), {skip_special_tokens = false}), "[CLS] hello [SEP]")
  assert_eq(tok.pad_id, 1)
  assert_eq(tok.cls_id, 3)
  assert_eq(tok:token_to_id("##able"), 13)
  assert_eq(tok:id_to_token(13), "##able")
  local cased = text.wordpiece{vocab = vocab_file(), lowercase = false}
  assert_eq(table.concat(cased:tokenize("Hello hello"), " "), "[UNK] hello")
  assert_eq(table.concat(text.basic_tokenize("Héllo, World!"), " "), "hello , world !")
end)

test("padded batches with attention masks, truncation, left padding", function()
  local tok = text.wordpiece{vocab = vocab_file()}
  local b = tok:encode_batch({"hello world", "hello", "the cafe play"})
  assert_eq(table.concat(b.input_ids:size(), ","), "3,5")
  assert_eq(b.input_ids.dtype, "int64")
  assert_close(b.input_ids, {{3, 9, 10, 4, 1}, {3, 9, 4, 1, 1}, {3, 6, 8, 15, 4}})
  assert_close(b.attention_mask, {{1, 1, 1, 1, 0}, {1, 1, 1, 0, 0}, {1, 1, 1, 1, 1}})
  assert_eq(table.concat(b.lengths, ","), "4,3,5")
  local t = tok:encode_batch({"hello world the cafe", "a"}, {truncation = true, max_length = 4, padding = "max_length"})
  assert_close(t.input_ids, {{3, 9, 10, 4}, {3, 7, 4, 1}})
  local left = tok:encode_batch({"hello world", "a"}, {padding_side = "left"})
  assert_close(left.input_ids, {{3, 9, 10, 4}, {1, 3, 7, 4}})
  assert_close(left.attention_mask, {{1, 1, 1, 1}, {0, 1, 1, 1}})
  local decoded = tok:decode_batch(b.input_ids)
  assert_eq(decoded[2], "hello")
  assert_eq(decoded[3], "the cafe play")
  local lists = tok:encode_batch({"hello", "a"}, {return_tensors = false})
  assert_eq(table.concat(lists.input_ids[2], " "), "3 7 4")
  assert_error(function() tok:encode_batch({"hello world"}, {max_length = 2, padding = "max_length"}) end, "pass truncation = true")
  assert_error(function() tok:encode("x", {maxlen = 3}) end, "unknown encode option \"maxlen\"")
end)

test("malformed vocabulary files are errors naming the line", function()
  local function load(contents)
    local path = tmp("bad.txt")
    write(path, contents)
    return function() text.wordpiece{vocab = path} end
  end
  assert_error(load("[UNK]\nhello\nhello\n"), "line 3: duplicate token \"hello\" (first on line 2)")
  assert_error(load("[UNK]\nhello\n\nworld\n"), "line 3: empty token")
  assert_error(load("[UNK]\nhello world\n"), "line 2: token \"hello world\" contains whitespace")
  assert_error(load("hello\nworld\n"), "has no unknown-word token [UNK]")
  assert_error(load("[UNK]\n\xff\xfe\n"), "line 2: not valid UTF-8")
  assert_error(function() text.wordpiece{vocab = "/nonexistent/vocab.txt"} end, "cannot open /nonexistent/vocab.txt")
  assert_error(function() text.wordpiece{vocabulary = "x"} end, "unknown option \"vocabulary\"")
end)

test("WordPiece trains on a corpus and round-trips through vocab.txt", function()
  local corpus = {"The unaffable player played, playing the playful game.", "Players play games; gamers play.",
    "Unplayable? Un-play-able!"}
  local tok = text.wordpiece{corpus = corpus, vocab_size = 70, min_frequency = 1}
  assert_eq(tok:id_to_token(1), "[PAD]")
  assert_true(#tok <= 70)
  for _, line in ipairs(corpus) do
    for _, piece in ipairs(tok:tokenize(line)) do assert_true(piece ~= "[UNK]", line) end
  end
  local path = tmp("trained.txt")
  tok:save(path)
  local again = text.wordpiece{vocab = path}
  assert_eq(table.concat(again:encode("unplayable games"), " "), table.concat(tok:encode("unplayable games"), " "))
end)

test("byte-level BPE trains, round-trips any text exactly, saves and loads", function()
  local corpus = {"the quick brown fox jumps over the lazy dog", "the quicker browner foxes jumped",
    "lower lowest newer newest wider widest", "naïve café résumé 😀"}
  local bpe = text.bpe{corpus = corpus, vocab_size = 320, min_frequency = 1,
    special_tokens = {"<pad>", "<|endoftext|>"}, pad_token = "<pad>", eos_token = "<|endoftext|>"}
  assert_eq(#bpe, 320)
  assert_eq(bpe:id_to_token(1), "<pad>")
  local samples = {"the quick brown fox", "  spaces\t\ttabs\nnew lines\r\n", "naïve 😀 emoji ∑ and 中文 — “quotes”",
    "unseen zyxw words", "", "a<|endoftext|>b", "\0binary\1\127", string.rep("ab", 300)}
  for _, s in ipairs(samples) do
    assert_eq(bpe:decode(bpe:encode(s)), s, "round trip of " .. s)
  end
  assert_eq(table.concat(bpe:tokenize("the fox"), "|"), "the|Ġfox")
  assert_true(#bpe:encode("the quick brown fox") < 8)
  local ids = bpe:encode("a<|endoftext|>b")
  assert_eq(ids[2], 2)
  assert_eq(bpe:decode(ids, {skip_special_tokens = true}), "ab")
  -- eos appended on request; padding uses <pad>
  local with_eos = bpe:encode("the", {add_special_tokens = true})
  assert_eq(with_eos[#with_eos], 2)
  local batch = bpe:encode_batch({"the fox", "the"})
  assert_eq(batch.input_ids[2][batch.input_ids:size(2)], 1)
  local path = tmp("bpe.json")
  bpe:save(path)
  local loaded = text.bpe{path = path, pad_token = "<pad>"}
  for _, s in ipairs(samples) do
    assert_eq(table.concat(loaded:encode(s), ","), table.concat(bpe:encode(s), ","))
  end
  write(path, "{\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}")
  assert_error(function() text.bpe{path = path} end, "lacks the byte symbol")
  write(path, "{\"vocab\": ")
  assert_error(function() text.bpe{path = path} end, "is not valid JSON")
  assert_error(function() text.bpe{corpus = corpus} end, "vocab_size is required")
end)

test("character and word tokenizers, vocabularies", function()
  local chars = text.char_tokenizer{text = "hello world\nhi"}
  assert_eq(#chars, 10)                                     -- "\n", " ", d e h i l o r w
  assert_eq(chars:decode(chars:encode("hello\nworld")), "hello\nworld")
  assert_error(function() chars:encode("hex") end, "character \"x\" (position 3) is not in the vocabulary")
  local uni = text.char_tokenizer{text = "naïve 😀", specials = {"<pad>"}, pad_token = "<pad>"}
  assert_eq(uni:decode(uni:encode("😀ïn")), "😀ïn")
  local b = uni:encode_batch({"na", "ïve😀"})
  assert_close(b.attention_mask, {{1, 1, 0, 0}, {1, 1, 1, 1}})
  local words = text.word_tokenizer{corpus = {"The cat sat.", "The dog sat!", "A cat."}}
  assert_eq(words:id_to_token(1), "<pad>")
  assert_eq(words:id_to_token(3), ".")                      -- most frequent after the specials (ties alphabetical)
  assert_eq(words:decode(words:encode("The cat sat on the mat.")), "the cat sat <unk> the <unk> .")
  local v = text.Vocabulary({"<unk>", "a", "b"}, {unk_token = "<unk>"})
  assert_eq(v:id("b"), 3)
  assert_eq(v:id("zzz"), 1)
  assert_eq(#v, 3)
  assert_eq(v:add("c"), 4)
  assert_error(function() text.Vocabulary({"a", "a"}) end, "duplicate token \"a\"")
  local built = text.Vocabulary.build({{"x", "y", "x"}, {"y", "z"}}, {specials = {"<pad>"}, min_freq = 2})
  assert_eq(table.concat(built.tokens, " "), "<pad> x y")
end)

-- A toy language model over 5 tokens: the next-token distribution depends on the last token.
local TABLE = {
  {0.1, 0.5, 0.4, 0.0, 0.0},   -- after 1
  {0.0, 0.0, 0.0, 0.1, 0.9},   -- after 2
  {0.0, 0.0, 0.0, 1.0, 0.0},   -- after 3
  {0.0, 0.0, 0.0, 0.0, 1.0},   -- after 4
  {0.0, 0.0, 0.0, 0.0, 1.0},   -- after 5 (eos repeats)
}
local function toy_step(ids)
  local rows = {}
  for i = 1, ids:size(1) do
    local last = ids[i][ids:size(2)]
    local logits = {}
    for j, p in ipairs(TABLE[last]) do logits[j] = p > 0 and math.log(p) or -1e9 end
    rows[i] = logits
  end
  return torch.tensor(rows)
end

test("greedy, sampled and beam-search decoding", function()
  -- greedy: 1 -> 2 (0.5) -> 5 (eos); beams also keep 1 -> 3 -> 4 -> 5 (p = 0.4)
  local greedy = text.greedy_decode(toy_step, {1}, {max_new_tokens = 5, eos_id = 5})
  assert_eq(table.concat(greedy:totable(), " "), "1 2 5")
  local seqs, scores = text.beam_search(toy_step, {1}, {beam_size = 3, max_new_tokens = 5, eos_id = 5,
    num_return_sequences = 2, length_penalty = 0})
  assert_eq(table.concat(seqs[1]:totable(), " "), "1 2 5")        -- p = 0.45
  assert_eq(table.concat(seqs[2]:totable(), " "), "1 3 4 5")      -- p = 0.40
  assert_close(scores[1], math.log(0.45), 1e-6)
  assert_close(scores[2], math.log(0.4), 1e-6)
  -- a length penalty of 1 divides by the generated length: the longer hypothesis now wins
  local long, pen = text.beam_search(toy_step, {1}, {beam_size = 3, eos_id = 5, length_penalty = 1})
  assert_eq(table.concat(long[1]:totable(), " "), "1 3 4 5")
  assert_close(pen[1], math.log(0.4) / 3, 1e-6)
  -- sampling: top_k = 1 is greedy; batches stop per sequence and pad
  local sampled = text.generate(toy_step, torch.tensor({{2}, {3}}, {dtype = "int64"}),
    {max_new_tokens = 4, top_k = 1, eos_id = 5, pad_id = 0})
  assert_close(sampled, {{2, 5, 0}, {3, 4, 5}})
  torch.manual_seed(3)
  local counts = {0, 0, 0}
  for _ = 1, 400 do
    local next_id = text.sample_logits(torch.tensor({math.log(0.1), math.log(0.5), math.log(0.4)}))
    counts[next_id] = counts[next_id] + 1
  end
  assert_true(math.abs(counts[2] / 400 - 0.5) < 0.08, "sampling follows the distribution: " .. counts[2])
  -- filters
  local logits = torch.tensor({{1.0, 3.0, 2.0, 0.0}})
  assert_close(text.top_k_filter(logits, 2), {{-math.huge, 3, 2, -math.huge}})
  local p = torch.tensor({{math.log(0.5), math.log(0.3), math.log(0.15), math.log(0.05)}})
  local kept = text.top_p_filter(p, 0.75):gt(-math.huge):long()
  assert_close(kept, {{1, 1, 0, 0}})
  assert_close(text.top_p_filter(p, 0.5):gt(-math.huge):long(), {{1, 0, 0, 0}})
  -- a step function with a cache sees only the new tokens after the first call
  local seen = {}
  text.generate(function(ids, new) seen[#seen + 1] = new:size(2); return toy_step(ids) end, {1, 3},
    {max_new_tokens = 3, greedy = true})
  assert_eq(table.concat(seen, " "), "2 1 1")
end)

test("transformer decoding with a KV cache equals decoding without", function()
  torch.manual_seed(0)
  local vocab, d = 11, 16
  local emb = nn.Embedding(vocab, d)
  local pos = nn.PositionalEncoding(d, {batch_first = true, dropout = 0})
  local layer = nn.TransformerEncoderLayer(d, 2, {dim_feedforward = 32, dropout = 0, batch_first = true})
  local body = nn.TransformerEncoder(layer, 2)
  local head = nn.Linear(d, vocab)
  local function full(ids) return head(body(pos(emb(ids)), {is_causal = true})) end
  local cache = {}
  local function cached(ids, new)
    local offset = ids:size(2) - new:size(2)
    return head(body:forward_cached(pos(emb(new), {offset = offset}), cache))
  end
  local a = text.greedy_decode(full, {3, 7, 1}, {max_new_tokens = 8})
  local b = text.greedy_decode(cached, {3, 7, 1}, {max_new_tokens = 8})
  assert_eq(table.concat(a:totable(), " "), table.concat(b:totable(), " "))
end)

test("BLEU, chrF and perplexity equal sacreBLEU / the definitions", function()
  local hyps = {"The cat sat on the mat.", "It costs $1,000.50 (approx.) -- see 2-3 items!", "Hello &amp; goodbye",
    "a completely different sentence", "", "Naïve café, résumé."}
  local refs1 = {"The cat is sitting on the mat.", "It costs $1,000.50 (approximately); see items 2-3!", "Hello & goodbye!",
    "nothing in common here", "something", "Naive cafe, resume."}
  local refs2 = {"A cat sat on the mat.", "The price is $1,000.50 -- see 2-3 items.", "hello and goodbye",
    "a different sentence completely", "", "Naïve café; résumé."}
  local score, detail = metrics.bleu(hyps, refs1)
  assert_close(score, 31.77056370410727, 1e-12)
  assert_eq(table.concat(detail.counts, " "), "23 12 7 3")
  assert_eq(detail.ref_len, 36)
  local both = {}
  for i = 1, #hyps do both[i] = {refs1[i], refs2[i]} end
  assert_close(metrics.bleu(hyps, both), 61.26936125398157, 1e-12)
  assert_close(metrics.chrf(hyps, refs1), 44.964545335637155, 1e-12)
  assert_close(metrics.chrf(hyps, both), 69.83025876755158, 1e-12)
  assert_close(metrics.sentence_bleu("The cat sat on the mat.", {"The cat is sitting on the mat.", "A cat sat on the mat."}),
    88.01117367933934, 1e-12)
  assert_close(metrics.sentence_bleu("the cat", "the cat sat"), 60.653065971263366, 1e-12)
  assert_close(metrics.bleu({"a b c d e", "x y"}, {"a b c d f", "x y z"}, {tokenize = "none"}), 59.939541538078124, 1e-12)
  assert_eq(text.tokenize_13a("U.S.A., e.g. 10-20 km/h"), "U . S . A . , e . g . 10 - 20 km / h")
  assert_error(function() metrics.bleu({"a"}, {"a", "b"}) end, "got 1 hypotheses but 2 references")
  -- perplexity = exp(mean cross-entropy)
  local logits = torch.tensor({{2.0, 0.5, -1.0}, {0.1, 0.2, 0.3}})
  local targets = torch.tensor({1, 3}, {dtype = "int64"})
  local ce = nn.functional.cross_entropy(logits, targets):item()
  assert_close(metrics.perplexity(logits, targets), math.exp(ce), 1e-6)
  assert_close(metrics.perplexity(ce), math.exp(ce), 1e-12)
  assert_close(metrics.perplexity(torch.zeros(2, 4, 10), torch.ones(2, 4, {dtype = "int64"})), 10, 1e-5)
end)
