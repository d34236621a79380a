-- text.word_tokenizer{...}: words and punctuation marks (BERT's basic tokenizer: lower-cased,
-- accents stripped, punctuation split) with a vocabulary built from a corpus (specials first,
-- then by frequency). decode joins words with spaces.
--
--   local tok = text.word_tokenizer{corpus = lines, min_freq = 2}
--   tok:encode("The cat.") --> ids of {"the", "cat", "."}
-- Options: corpus / text / corpus_file, min_freq (1), max_size, lowercase (true),
-- specials ({"<pad>", "<unk>"}), unk_token ("<unk>"), pad_token ("<pad>"), bos_token, eos_token.
local Tokenizer = require "lumen.text.Tokenizer"
local Vocabulary = require "lumen.text.Vocabulary"

local WordTokenizer = Tokenizer:extend("WordTokenizer")

function WordTokenizer.new(opts)
  if type(opts) ~= "table" then error("[word_tokenizer] expected an options table, e.g. text.word_tokenizer{corpus = lines}", 3) end
  local self = setmetatable({lowercase = opts.lowercase ~= false}, WordTokenizer)
  local ok, lines = pcall(Tokenizer.corpus_lines, "word_tokenizer", opts)
  if not ok then error(lines, 0) end
  local lists = {}
  for i, line in ipairs(lines) do lists[i] = self:_tokenize(line) end
  local specials = opts.specials or {"<pad>", "<unk>"}
  local vocab = Vocabulary.build(lists, {min_freq = opts.min_freq, max_size = opts.max_size, specials = specials})
  local function default(name, value)
    if opts[name] ~= nil then return opts[name] end
    return vocab:contains(value) and value or nil
  end
  self:set_vocabulary(vocab.tokens, {unk = default("unk_token", "<unk>"), pad = default("pad_token", "<pad>"),
    bos = opts.bos_token, eos = opts.eos_token})
  return self
end

function WordTokenizer:_tokenize(s)
  return lumen_internal.text_basic_tokenize(s, {lowercase = self.lowercase})
end

function WordTokenizer:_encode(s)
  local ids = {}
  for i, w in ipairs(self:_tokenize(s)) do
    local id = self.ids[w] or self.unk_id
    if id == nil then error(string.format("[WordTokenizer] word %q is not in the vocabulary (no unk_token)", w), 4) end
    ids[i] = id
  end
  return ids
end

function WordTokenizer:_decode(ids, opts)
  local words = {}
  for _, id in ipairs(ids) do
    local t = self.tokens[id]
    if t == nil then error(string.format("[WordTokenizer] token id %s out of range 1..%d", tostring(id), #self.tokens), 4) end
    if not (opts.skip_special_tokens and (id == self.bos_id or id == self.eos_id)) then words[#words + 1] = t end
  end
  return table.concat(words, " ")
end

function WordTokenizer:describe()
  return "lowercase=" .. tostring(self.lowercase)
end

return WordTokenizer
