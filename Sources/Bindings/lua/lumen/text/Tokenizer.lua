-- text.Tokenizer: the base class of every tokenizer (WordPiece, BPE, characters, words). A
-- subclass supplies `_encode(s)` (ids without special tokens), `_decode(ids, opts)`,
-- `_tokenize(s)`, and its vocabulary (`tokens`, a list in id order, and `ids`, token → id).
-- The base class adds special tokens, truncation, and padded batches with attention masks:
--
--   local ids = tok:encode("a text")                                -- Lua list of ids (1-based)
--   local b = tok:encode_batch(texts, {padding = true, truncation = true, max_length = 64})
--   b.input_ids, b.attention_mask                                   -- int64 (B, L); 1 = real token
--   tok:decode_batch(b.input_ids)                                   -- padding dropped
local Tokenizer = {}
Tokenizer.__index = Tokenizer
Tokenizer.__name = "Tokenizer"

--- A subclass: `local WordPiece = Tokenizer:extend("WordPieceTokenizer")`.
function Tokenizer:extend(name)
  local class = setmetatable({}, {__index = self})
  class.__index = class
  class.__name = name
  class.__tostring = self.__tostring
  class.__len = self.__len
  class.super = self
  return class
end

function Tokenizer:__tostring()
  return string.format("%s(vocab_size=%d%s)", self.__name, #self.tokens, self.describe and (", " .. self:describe()) or "")
end

function Tokenizer:__len() return #self.tokens end

--- Records the vocabulary (list of tokens in id order) and looks up the special tokens given by
--- name in `roles` (e.g. {pad = "[PAD]", unk = "[UNK]"} → self.pad_id, self.pad_token, ...).
function Tokenizer:set_vocabulary(tokens, roles)
  self.tokens = tokens
  local ids = {}
  for i, t in ipairs(tokens) do ids[t] = i end
  self.ids = ids
  for role, token in pairs(roles or {}) do
    if token ~= nil then
      if ids[token] == nil then
        error(string.format("[%s] %s_token %q is not in the vocabulary", self.__name, role, token), 3)
      end
      self[role .. "_token"], self[role .. "_id"] = token, ids[token]
    end
  end
end

function Tokenizer:vocab_size() return #self.tokens end

--- token → id table (a copy).
function Tokenizer:get_vocab()
  local out = {}
  for t, i in pairs(self.ids) do out[t] = i end
  return out
end

function Tokenizer:token_to_id(token) return self.ids[token] end

function Tokenizer:id_to_token(id)
  local t = self.tokens[id]
  if t == nil then error(string.format("[%s] token id %s out of range 1..%d", self.__name, tostring(id), #self.tokens), 2) end
  return t
end

local function check_text(self, s, what)
  if type(s) ~= "string" then
    error(string.format("[%s] %s must be a string; got %s", self.__name, what or "text", type(s)), 4)
  end
end

--- The tokens of `s` (strings).
function Tokenizer:tokenize(s)
  check_text(self, s)
  return self:_tokenize(s)
end

-- Special tokens around one sequence or a pair; returns ids and token type ids.
function Tokenizer:_with_specials(a, b)
  local ids, types = {}, {}
  local function add(id, t) ids[#ids + 1] = id; types[#types + 1] = t end
  if self.cls_id then add(self.cls_id, 0) elseif self.bos_id then add(self.bos_id, 0) end
  for _, id in ipairs(a) do add(id, 0) end
  if self.sep_id then add(self.sep_id, 0) elseif self.eos_id then add(self.eos_id, 0) end
  if b then
    for _, id in ipairs(b) do add(id, 1) end
    if self.sep_id then add(self.sep_id, 1) elseif self.eos_id then add(self.eos_id, 1) end
  end
  return ids, types
end

-- Truncates content ids so that content + `extra` special tokens fit in max_length (for pairs:
-- the longer sequence loses a token first).
local function truncate(a, b, max_length, extra)
  local budget = max_length - extra
  if budget < 0 then budget = 0 end
  while #a + (b and #b or 0) > budget do
    if b and #b > #a then b[#b] = nil else a[#a] = nil end
  end
end

local ENCODE = {add_special_tokens = true, max_length = true, truncation = true, pair = true}

--- Ids (1-based) of `s`. Options: add_special_tokens (the tokenizer's default: true for
--- WordPiece ([CLS] ... [SEP]), else only when bos/eos tokens were given), pair (a second text:
--- [CLS] a [SEP] b [SEP]), max_length with truncation. Returns ids and token type ids (0/1).
function Tokenizer:encode(s, opts)
  check_text(self, s)
  opts = opts or {}
  for k in pairs(opts) do
    if not ENCODE[k] then error(string.format("[%s] unknown encode option \"%s\"", self.__name, tostring(k)), 2) end
  end
  local a = self:_encode(s)
  local b
  if opts.pair ~= nil then
    check_text(self, opts.pair, "pair")
    b = self:_encode(opts.pair)
  end
  local specials = opts.add_special_tokens
  if specials == nil then specials = self.add_special_tokens_default == true end
  if opts.max_length and opts.truncation then
    local extra = 0
    if specials then
      local probe = self:_with_specials({}, b and {} or nil)
      extra = #probe
    end
    truncate(a, b, opts.max_length, extra)
  end
  if specials then return self:_with_specials(a, b) end
  local ids, types = {}, {}
  for _, id in ipairs(a) do ids[#ids + 1] = id; types[#types + 1] = 0 end
  for _, id in ipairs(b or {}) do ids[#ids + 1] = id; types[#types + 1] = 1 end
  return ids, types
end

local BATCH = {add_special_tokens = true, max_length = true, truncation = true, padding = true, padding_side = true,
  return_tensors = true, pairs = true}

--- Encodes a list of texts into a padded batch: {input_ids, attention_mask, token_type_ids,
--- lengths}. Options: padding (true / "longest": to the longest; "max_length": to max_length;
--- false: none, lists only), max_length, truncation, add_special_tokens, padding_side
--- ("right" or "left", for decoder prompts), pairs (second texts), return_tensors (default
--- true: int64 tensors (B, L); false: Lua lists).
function Tokenizer:encode_batch(texts, opts)
  if type(texts) ~= "table" then error(string.format("[%s] encode_batch expects a list of strings", self.__name), 2) end
  opts = opts or {}
  for k in pairs(opts) do
    if not BATCH[k] then error(string.format("[%s] unknown encode_batch option \"%s\"", self.__name, tostring(k)), 2) end
  end
  local padding = opts.padding
  if padding == nil then padding = true end
  if padding == "longest" then padding = true end
  if padding == "max_length" and not opts.max_length then
    error(string.format("[%s] padding = \"max_length\" needs max_length", self.__name), 2)
  end
  local rows, types, lengths, longest = {}, {}, {}, 0
  for i, s in ipairs(texts) do
    rows[i], types[i] = self:encode(s, {add_special_tokens = opts.add_special_tokens, max_length = opts.max_length,
      truncation = opts.truncation, pair = opts.pairs and opts.pairs[i] or nil})
    lengths[i] = #rows[i]
    if #rows[i] > longest then longest = #rows[i] end
  end
  local result = {lengths = lengths}
  if padding == false then
    result.input_ids, result.token_type_ids = rows, types
    return result
  end
  if self.pad_id == nil then
    error(string.format("[%s] padding needs a pad token; give pad_token when creating the tokenizer", self.__name), 2)
  end
  local width = padding == "max_length" and opts.max_length or longest
  local left = opts.padding_side == "left"
  local ids, mask, type_ids = {}, {}, {}
  for i, row in ipairs(rows) do
    local r, m, t = {}, {}, {}
    local pad = width - #row
    if pad < 0 then
      error(string.format("[%s] sequence %d has %d tokens, more than max_length %d (pass truncation = true)",
        self.__name, i, #row, width), 2)
    end
    if left then for _ = 1, pad do r[#r + 1] = self.pad_id; m[#m + 1] = 0; t[#t + 1] = 0 end end
    for k, id in ipairs(row) do r[#r + 1] = id; m[#m + 1] = 1; t[#t + 1] = types[i][k] end
    if not left then for _ = 1, pad do r[#r + 1] = self.pad_id; m[#m + 1] = 0; t[#t + 1] = 0 end end
    ids[i], mask[i], type_ids[i] = r, m, t
  end
  if opts.return_tensors == false then
    result.input_ids, result.attention_mask, result.token_type_ids = ids, mask, type_ids
    return result
  end
  local function tensor(list)
    if #list == 0 or width == 0 then return torch.zeros(#list, width, {dtype = "int64"}) end
    return torch.tensor(list, {dtype = "int64"})
  end
  result.input_ids, result.attention_mask, result.token_type_ids = tensor(ids), tensor(mask), tensor(type_ids)
  return result
end

-- ids as a Lua list from a list or a 1-d tensor.
local function id_list(self, ids)
  if torch.is_tensor(ids) then
    if ids:dim() > 1 then error(string.format("[%s] decode expects one sequence (use decode_batch for (B, L))", self.__name), 3) end
    return ids:dim() == 0 and {ids:item()} or ids:totable()
  end
  if type(ids) ~= "table" then error(string.format("[%s] decode expects a list or tensor of ids; got %s", self.__name, type(ids)), 3) end
  return ids
end

--- The text of 1-based ids (list or 1-d tensor). Options: skip_special_tokens (WordPiece:
--- true; others: false; padding is always dropped), clean_up_tokenization_spaces (WordPiece).
function Tokenizer:decode(ids, opts)
  local list = id_list(self, ids)
  if self.pad_id then
    local kept = {}
    for _, id in ipairs(list) do if id ~= self.pad_id then kept[#kept + 1] = id end end
    list = kept
  end
  return self:_decode(list, opts or {})
end

--- Texts of the rows of a (B, L) id tensor (or a list of id lists).
function Tokenizer:decode_batch(ids, opts)
  local rows = torch.is_tensor(ids) and ids:totable() or ids
  local out = {}
  for i, row in ipairs(rows) do out[i] = self:decode(row, opts) end
  return out
end

--- Lines of a corpus option: a list of strings, one string (split into lines), or a file.
function Tokenizer.corpus_lines(name, opts)
  if opts.corpus_file ~= nil then
    local f, err = io.open(opts.corpus_file, "r")
    if not f then error(string.format("[%s] cannot read corpus_file: %s", name, tostring(err)), 4) end
    local lines = {}
    for line in f:lines() do lines[#lines + 1] = line end
    f:close()
    return lines
  end
  local c = opts.corpus or opts.text
  if type(c) == "string" then
    local lines = {}
    for line in (c .. "\n"):gmatch("(.-)\r?\n") do lines[#lines + 1] = line end
    return lines
  end
  if type(c) ~= "table" then
    error(string.format("[%s] expected corpus (a list of strings or one string) or corpus_file", name), 4)
  end
  return c
end

return Tokenizer
