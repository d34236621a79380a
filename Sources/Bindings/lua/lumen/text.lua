-- lumen.text: tokenizers, vocabularies and decoding for sequence models (global `text`).
--
--   local tok = text.wordpiece{vocab = "vocab.txt"}    -- BERT: ids are vocab.txt line numbers
--   tok:tokenize("Héllo, world!")   --> {"hello", ",", "world", "!"}
--   tok:encode("Héllo, world!")     --> ids with [CLS] ... [SEP];  tok:decode(ids) --> "hello, world!"
--   local batch = tok:encode_batch(texts, {padding = true, truncation = true, max_length = 128})
--   batch.input_ids, batch.attention_mask                              -- int64 (B, L)
--   local bpe = text.bpe{corpus = lines, vocab_size = 1000}; bpe:save("bpe.json")
--   local same = text.bpe{path = "bpe.json"};  same:decode(same:encode(s)) == s
--   text.char_tokenizer{text = s}; text.word_tokenizer{corpus = lines}; text.Vocabulary(tokens)
--   text.basic_tokenize("Héllo, World!")   --> {"hello", ",", "world", "!"}  (BERT's rules)
--   text.generate / greedy_decode / beam_search / sample_logits / top_k_filter / top_p_filter
-- Loading this module also adds metrics.bleu, metrics.sentence_bleu, metrics.chrf and
-- metrics.perplexity (lumen/nlp_metrics.lua), and the REPL help of the sequence layers,
-- tokenizers and text metrics (lumen/help_sequence.lua).
local text = {}

text.Tokenizer = require "lumen.text.Tokenizer"
text.Vocabulary = require "lumen.text.Vocabulary"
text.WordPieceTokenizer = require "lumen.text.WordPiece"
text.BPETokenizer = require "lumen.text.BPE"
text.CharTokenizer = require "lumen.text.CharTokenizer"
text.WordTokenizer = require "lumen.text.WordTokenizer"

function text.wordpiece(opts) return text.WordPieceTokenizer.new(opts) end
function text.bpe(opts) return text.BPETokenizer.new(opts) end
function text.char_tokenizer(opts) return text.CharTokenizer.new(opts) end
function text.word_tokenizer(opts) return text.WordTokenizer.new(opts) end

--- BERT's basic tokenizer: words and punctuation marks. Options: lowercase (true),
--- strip_accents (follows lowercase).
function text.basic_tokenize(s, opts)
  if type(s) ~= "string" then error("[basic_tokenize] expected a string; got " .. type(s), 2) end
  return lumen_internal.text_basic_tokenize(s, opts or {})
end

--- sacreBLEU's 13a tokenization of one line (what metrics.bleu compares).
function text.tokenize_13a(s)
  if type(s) ~= "string" then error("[tokenize_13a] expected a string; got " .. type(s), 2) end
  return lumen_internal.text_tokenize_13a(s)
end

for name, fn in pairs(require "lumen.text.decoding") do text[name] = fn end

local metrics = require "lumen.metrics"
for name, fn in pairs(require "lumen.nlp_metrics") do metrics[name] = fn end

local help = require "lumen.help"
for name, doc in pairs(require "lumen.help_sequence") do help[name] = doc end

return text
