-- The tokens of a record's last writes, kept in its hash as one space-separated field, newest first. A write whose
-- reply a dropped connection lost is sent again with its token; if others have written over it since, its revision
-- no longer matches, and only its token in this list says it was applied, rather than lost to a conflict and applied
-- a second time by the caller's retry. The last 64 are kept: a write sent again after as many others went over it
-- would be taken for a conflict.
local recentWritesKept = 64

-- appliedBefore(tokens, token): whether `token` is among the recent writes `tokens` (nil when none).
local function appliedBefore(tokens, token)
  return tokens and string.find(' ' .. tokens .. ' ', ' ' .. token .. ' ', 1, true) ~= nil
end

-- withWrite(tokens, token): the recent writes with `token` first, at most recentWritesKept.
local function withWrite(tokens, token)
  local list, count = token, 1
  if tokens then
    for earlier in string.gmatch(tokens, '%S+') do
      if count >= recentWritesKept then break end
      list, count = list .. ' ' .. earlier, count + 1
    end
  end
  return list
end
