-- text.char_tokenizer{...}: one token per UTF-8 character, the vocabulary being the sorted
-- distinct characters of a corpus (after any special tokens). For character-level language
-- models (the Shakespeare GPT).
--
--   local tok = text.char_tokenizer{text = io.open("input.txt"):read("a")}
--   tok:encode("hi") --> {47, 48};  tok:decode({47, 48}) --> "hi";  #tok --> 65
-- Options: text / corpus / corpus_file, or chars (the vocabulary itself, a list); specials
-- (list, first in the vocabulary), unk_token (else unknown characters are an error), pad_token,
-- bos_token, eos_token.
local Tokenizer = require "lumen.text.Tokenizer"

local CharTokenizer = Tokenizer:extend("CharTokenizer")

local function characters(s)
  local out = {}
  for _, code in utf8.codes(s) do out[#out + 1] = utf8.char(code) end
  return out
end

function CharTokenizer.new(opts)
  if type(opts) ~= "table" then error("[char_tokenizer] expected an options table, e.g. text.char_tokenizer{text = s}", 3) end
  local tokens, seen = {}, {}
  for _, s in ipairs(opts.specials or {}) do
    if not seen[s] then tokens[#tokens + 1] = s; seen[s] = true end
  end
  local chars
  if opts.chars ~= nil then
    chars = opts.chars
  else
    local ok, lines = pcall(Tokenizer.corpus_lines, "char_tokenizer", opts)
    if not ok then error(lines, 0) end
    local set = {}
    for i, line in ipairs(lines) do
      local valid, list = pcall(characters, line)
      if not valid then error(string.format("[char_tokenizer] corpus line %d is not valid UTF-8", i), 3) end
      for _, c in ipairs(list) do set[c] = true end
    end
    if type(opts.text or opts.corpus) == "string" and (opts.text or opts.corpus):find("\n") then set["\n"] = true end
    chars = {}
    for c in pairs(set) do chars[#chars + 1] = c end
    table.sort(chars, function(a, b) return utf8.codepoint(a) < utf8.codepoint(b) end)
  end
  for _, c in ipairs(chars) do
    if not seen[c] then tokens[#tokens + 1] = c; seen[c] = true end
  end
  local self = setmetatable({}, CharTokenizer)
  self:set_vocabulary(tokens, {unk = opts.unk_token, pad = opts.pad_token, bos = opts.bos_token, eos = opts.eos_token})
  return self
end

function CharTokenizer:_tokenize(s)
  local ok, list = pcall(characters, s)
  if not ok then error("[CharTokenizer] text is not valid UTF-8", 4) end
  return list
end

function CharTokenizer:_encode(s)
  local ids = {}
  for i, c in ipairs(self:_tokenize(s)) do
    local id = self.ids[c] or self.unk_id
    if id == nil then
      error(string.format("[CharTokenizer] character %q (position %d) is not in the vocabulary (give unk_token to map it)", c, i), 4)
    end
    ids[i] = id
  end
  return ids
end

function CharTokenizer:_decode(ids, opts)
  local parts = {}
  for _, id in ipairs(ids) do
    local t = self.tokens[id]
    if t == nil then error(string.format("[CharTokenizer] token id %s out of range 1..%d", tostring(id), #self.tokens), 4) end
    if not (opts.skip_special_tokens and (id == self.bos_id or id == self.eos_id or id == self.unk_id)) then parts[#parts + 1] = t end
  end
  return table.concat(parts)
end

return CharTokenizer
