-- text.wordpiece{...}: BERT's WordPiece tokenizer (basic tokenizer: clean-up, CJK isolation,
-- lower-casing, accent stripping by Unicode NFD, punctuation split; then greedy longest-match
-- pieces with "##" continuations and [UNK]). Ids are 1-based line numbers of vocab.txt.
--
--   local tok = text.wordpiece{vocab = "vocab.txt"}        -- or a list of tokens
--   local tok = text.wordpiece{corpus = lines, vocab_size = 2000}   -- train (HF's WordPiece trainer)
--   tok:tokenize("Héllo, unaffable!")  --> {"hello", ",", "una", "##ffa", "##ble", "!"}
--   tok:encode("hello")                --> {[CLS], hello, [SEP]} ids; {add_special_tokens = false}
--   tok:decode(ids)                    --> "hello"
--   tok:save("vocab.txt")
-- Options: lowercase (true), strip_accents (follows lowercase), unk_token ("[UNK]"),
-- max_input_chars_per_word (100); training: vocab_size, min_frequency (2), special_tokens
-- ({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}), limit_alphabet.
local Tokenizer = require "lumen.text.Tokenizer"

local WordPiece = Tokenizer:extend("WordPieceTokenizer")

local KNOWN = {vocab = true, corpus = true, corpus_file = true, text = true, vocab_size = true, min_frequency = true,
  lowercase = true, strip_accents = true, unk_token = true, special_tokens = true, limit_alphabet = true,
  max_input_chars_per_word = true}

function WordPiece.new(opts)
  if type(opts) == "string" then opts = {vocab = opts} end
  if type(opts) ~= "table" then error("[wordpiece] expected an options table, e.g. text.wordpiece{vocab = \"vocab.txt\"}", 3) end
  for k in pairs(opts) do
    if not KNOWN[k] then error(string.format("[wordpiece] unknown option \"%s\"", tostring(k)), 3) end
  end
  local settings = {lowercase = opts.lowercase, strip_accents = opts.strip_accents, unk_token = opts.unk_token,
    max_input_chars_per_word = opts.max_input_chars_per_word}
  local handle
  if type(opts.vocab) == "string" then
    handle = lumen_internal.text_wordpiece_load(opts.vocab, settings)
  elseif type(opts.vocab) == "table" then
    handle = lumen_internal.text_wordpiece_from_vocab(opts.vocab, settings)
  elseif opts.corpus ~= nil or opts.corpus_file ~= nil or opts.text ~= nil then
    handle = lumen_internal.text_wordpiece_train(Tokenizer.corpus_lines("wordpiece", opts), {
      vocab_size = opts.vocab_size, min_frequency = opts.min_frequency, lowercase = opts.lowercase,
      strip_accents = opts.strip_accents, special_tokens = opts.special_tokens, limit_alphabet = opts.limit_alphabet})
  else
    error("[wordpiece] give vocab (a vocab.txt path or a list of tokens) or corpus (to train)", 3)
  end
  local self = setmetatable({_handle = handle, lowercase = opts.lowercase ~= false, add_special_tokens_default = true}, WordPiece)
  local tokens, specials, _, unk = lumen_internal.text_vocab(handle)
  local present = {}
  for _, s in ipairs(specials) do present[s] = true end
  local function role(t) return present[t] and t or nil end
  self:set_vocabulary(tokens, {unk = unk, pad = role("[PAD]"), cls = role("[CLS]"), sep = role("[SEP]"),
    mask = role("[MASK]")})
  self.special_tokens = specials
  return self
end

function WordPiece:_tokenize(s) return lumen_internal.text_tokenize(self._handle, s) end
function WordPiece:_encode(s) return lumen_internal.text_encode(self._handle, s) end

function WordPiece:_decode(ids, opts)
  return lumen_internal.text_decode(self._handle, ids, {skip_special_tokens = opts.skip_special_tokens,
    clean_up_tokenization_spaces = opts.clean_up_tokenization_spaces})
end

--- Writes vocab.txt (one token per line).
function WordPiece:save(path)
  lumen_internal.text_save(self._handle, path)
end

function WordPiece:describe()
  return "lowercase=" .. tostring(self.lowercase)
end

return WordPiece
