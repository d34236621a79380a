-- text.bpe{...}: byte-level BPE (GPT-2's tokenizer). Text is split by GPT-2's pre-tokenizer,
-- each piece's UTF-8 bytes are merged by learned rank; every byte is a token, so decode(encode(s))
-- gives back s exactly. Special tokens (e.g. "<|endoftext|>") are matched whole in the text.
--
--   local bpe = text.bpe{corpus = lines, vocab_size = 1000, special_tokens = {"<pad>", "<eos>"},
--                        pad_token = "<pad>", eos_token = "<eos>"}          -- train
--   bpe:save("bpe.json")                           -- JSON: {"type": "BPE", "vocab", "merges", ...}
--   local again = text.bpe{path = "bpe.json"}      -- also a Hugging Face tokenizer.json
--   local gpt2 = text.bpe{vocab = "vocab.json", merges = "merges.txt", special_tokens = {"<|endoftext|>"}}
--   bpe:tokenize("Hello world") --> {"Hello", "Ġworld"};  bpe:encode(s) --> ids (1-based)
-- Options: min_frequency (2) for training; pad_token, bos_token, eos_token, unk_token name
-- special tokens (encode adds bos/eos when {add_special_tokens = true}; padding uses pad).
local Tokenizer = require "lumen.text.Tokenizer"

local BPE = Tokenizer:extend("BPETokenizer")

local KNOWN = {path = true, file = true, vocab = true, merges = true, corpus = true, corpus_file = true, text = true,
  vocab_size = true, min_frequency = true, special_tokens = true, pad_token = true, bos_token = true, eos_token = true,
  unk_token = true, add_special_tokens = true}

function BPE.new(opts)
  if type(opts) == "string" then opts = {path = opts} end
  if type(opts) ~= "table" then error("[bpe] expected an options table, e.g. text.bpe{path = \"bpe.json\"}", 3) end
  for k in pairs(opts) do
    if not KNOWN[k] then error(string.format("[bpe] unknown option \"%s\"", tostring(k)), 3) end
  end
  local handle
  if opts.path or opts.file then
    handle = lumen_internal.text_bpe_load(opts.path or opts.file)
  elseif opts.vocab or opts.merges then
    if type(opts.vocab) ~= "string" or type(opts.merges) ~= "string" then
      error("[bpe] give both vocab (vocab.json) and merges (merges.txt) paths", 3)
    end
    handle = lumen_internal.text_bpe_load_gpt2(opts.vocab, opts.merges, opts.special_tokens)
  elseif opts.corpus ~= nil or opts.corpus_file ~= nil or opts.text ~= nil then
    if opts.vocab_size == nil then error("[bpe] option vocab_size is required to train", 3) end
    handle = lumen_internal.text_bpe_train(Tokenizer.corpus_lines("bpe", opts), {vocab_size = opts.vocab_size,
      min_frequency = opts.min_frequency, special_tokens = opts.special_tokens})
  else
    error("[bpe] give path (a saved tokenizer), vocab + merges (GPT-2 files) or corpus (to train)", 3)
  end
  local self = setmetatable({_handle = handle, add_special_tokens_default = opts.add_special_tokens == true}, BPE)
  local tokens, specials = lumen_internal.text_vocab(handle)
  self:set_vocabulary(tokens, {pad = opts.pad_token, bos = opts.bos_token, eos = opts.eos_token, unk = opts.unk_token})
  self.special_tokens = specials
  return self
end

function BPE:_tokenize(s) return lumen_internal.text_tokenize(self._handle, s) end
function BPE:_encode(s) return lumen_internal.text_encode(self._handle, s) end

function BPE:_decode(ids, opts)
  return lumen_internal.text_decode(self._handle, ids, {skip_special_tokens = opts.skip_special_tokens})
end

--- Writes the tokenizer as JSON (vocab, merges, special tokens).
function BPE:save(path)
  lumen_internal.text_save(self._handle, path)
end

function BPE:describe()
  return "special_tokens=" .. #self.special_tokens
end

return BPE
