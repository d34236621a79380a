-- text.Vocabulary(tokens, {unk_token = nil}): a token <-> id map (ids count from 1).
--
--   local v = text.Vocabulary({"<pad>", "<unk>", "the", "cat"}, {unk_token = "<unk>"})
--   v:id("cat") --> 4;  v:id("dog") --> 2 (unk);  v:token(3) --> "the";  #v --> 4
--   local v2 = text.Vocabulary.build({{"a", "b"}, {"a"}}, {min_freq = 1, specials = {"<unk>"}})
-- build orders tokens by frequency (highest first, ties alphabetically) after the specials.
local Vocabulary = {}
Vocabulary.__index = Vocabulary
Vocabulary.__name = "Vocabulary"

local function new(tokens, opts)
  if type(tokens) ~= "table" then error("[Vocabulary] expected a list of tokens", 3) end
  opts = opts or {}
  local self = setmetatable({tokens = {}, ids = {}}, Vocabulary)
  for i, t in ipairs(tokens) do
    if type(t) ~= "string" then error(string.format("[Vocabulary] token %d is a %s; expected a string", i, type(t)), 3) end
    if self.ids[t] then error(string.format("[Vocabulary] duplicate token %q (ids %d and %d)", t, self.ids[t], i), 3) end
    self:add(t)
  end
  if opts.unk_token ~= nil then
    if self.ids[opts.unk_token] == nil then error(string.format("[Vocabulary] unk_token %q is not in the vocabulary", opts.unk_token), 3) end
    self.unk_token, self.unk_id = opts.unk_token, self.ids[opts.unk_token]
  end
  return self
end

setmetatable(Vocabulary, {__call = function(_, tokens, opts) return new(tokens, opts) end})

--- Adds `token` at the end if new; returns its id.
function Vocabulary:add(token)
  local id = self.ids[token]
  if id then return id end
  self.tokens[#self.tokens + 1] = token
  self.ids[token] = #self.tokens
  return #self.tokens
end

--- The id of `token`: the unknown token's id when absent (an error without an unk_token).
function Vocabulary:id(token)
  local id = self.ids[token]
  if id then return id end
  if self.unk_id then return self.unk_id end
  error(string.format("[Vocabulary] token %q is not in the vocabulary (and no unk_token was given)", tostring(token)), 2)
end

function Vocabulary:token(id)
  local t = self.tokens[id]
  if t == nil then error(string.format("[Vocabulary] id %s out of range 1..%d", tostring(id), #self.tokens), 2) end
  return t
end

function Vocabulary:contains(token) return self.ids[token] ~= nil end
function Vocabulary:__len() return #self.tokens end
function Vocabulary:__tostring() return string.format("Vocabulary(size=%d)", #self.tokens) end

--- Ids of a list of tokens.
function Vocabulary:lookup(tokens)
  local out = {}
  for i, t in ipairs(tokens) do out[i] = self:id(t) end
  return out
end

--- A vocabulary from lists of tokens: specials first, then tokens seen at least min_freq times
--- (default 1), most frequent first (ties alphabetically), at most max_size in total.
function Vocabulary.build(token_lists, opts)
  opts = opts or {}
  local counts = {}
  for _, list in ipairs(token_lists) do
    for _, t in ipairs(list) do counts[t] = (counts[t] or 0) + 1 end
  end
  local specials = opts.specials or {}
  local is_special = {}
  for _, s in ipairs(specials) do is_special[s] = true end
  local words = {}
  for t, c in pairs(counts) do
    if c >= (opts.min_freq or 1) and not is_special[t] then words[#words + 1] = t end
  end
  table.sort(words, function(a, b)
    if counts[a] ~= counts[b] then return counts[a] > counts[b] end
    return a < b
  end)
  local tokens = {}
  for _, s in ipairs(specials) do tokens[#tokens + 1] = s end
  for _, w in ipairs(words) do
    if opts.max_size and #tokens >= opts.max_size then break end
    tokens[#tokens + 1] = w
  end
  return new(tokens, {unk_token = opts.unk_token})
end

return Vocabulary
