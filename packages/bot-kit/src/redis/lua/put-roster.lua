-- Writes a roster if its stored revision is the expected one, forgets the least recently changed rosters beyond the
-- count, beyond the byte budget (never the one written) and past their age, and hands the change to the inboxes of
-- the instances that asked for every event: whole when it fits an inbox entry's budget, else as a note that it did
-- not, so that an inbox stays within its bytes.
--
-- KEYS[1] roster      the call's roster (hash: rev, data, writes, bytes: the size of data)
-- KEYS[2] rosters     rosters by last change (sorted set of roster keys)
-- KEYS[3] broadcast   instances that asked for every event (sorted set, scored by when that lapses)
-- ARGV[1] expected    the revision the writer read ('0': none stored)
-- ARGV[2] revision    the new revision
-- ARGV[3] data        the roster as JSON
-- ARGV[4] maxAgeMs    the rosters' retention
-- ARGV[5] nowMs
-- ARGV[6] change      the change for the inboxes, as JSON
-- ARGV[7] origin      the writing instance
-- ARGV[8] maxCount    the most rosters kept
-- ARGV[9] inboxLength about how many changes an inbox keeps
-- ARGV[10] token      this write's token
-- ARGV[11] space      the store's key prefix with its hash tag
-- ARGV[12] maxBytes   the most bytes of rosters kept
-- ARGV[13] tooLarge   the change to send instead when it is larger than an inbox entry may be
-- ARGV[14] entryBytes the most bytes of an inbox entry
-- KEYS[4] sizes       each roster's bytes (hash), and their sum under the field ''
-- Returns 1 when written (or written already by this token), 0 on a conflict.
--@include recent-writes
local roster, rosters, broadcast, sizes = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local expected, revision, data, maxAgeMs, nowMs = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local change, origin, maxCount, inboxLength, token = ARGV[6], ARGV[7], tonumber(ARGV[8]), ARGV[9], ARGV[10]
local space, maxBytes, tooLarge, entryBytes = ARGV[11], tonumber(ARGV[12]), ARGV[13], tonumber(ARGV[14])

local stored = redis.call('HMGET', roster, 'rev', 'writes', 'bytes')
if (stored[1] or '0') ~= expected then
  if appliedBefore(stored[2], token) then return 1 end
  return 0
end
local bytes = string.len(data)
redis.call('HSET', roster, 'rev', revision, 'data', data, 'writes', withWrite(stored[2], token), 'bytes', bytes)
redis.call('PEXPIRE', roster, maxAgeMs)
-- The least recently changed first; the count is looked at only when a roster joins the index.
local added = redis.call('ZADD', rosters, nowMs, roster) == 1
local forgotten = {}
if added then
  local excess = redis.call('ZCARD', rosters) - maxCount
  if excess > 0 then
    forgotten = redis.call('ZRANGE', rosters, 0, excess - 1)
    redis.call('DEL', unpack(forgotten))
    redis.call('ZREMRANGEBYRANK', rosters, 0, excess - 1)
  end
end
redis.call('PEXPIRE', rosters, maxAgeMs)
-- The byte budget. A roster that expired stays counted until the budget is reached: then the oldest go first, and
-- those that expired are the oldest. The size counted before is the stored roster's own, none for a roster new to the
-- index, else (one that expired, or written before rosters kept their size) the one in the sizes.
local before = tonumber(stored[3] or '')
if not before then before = added and 0 or tonumber(redis.call('HGET', sizes, roster) or '0') end
if bytes ~= before or #forgotten > 0 then
  local total = redis.call('HINCRBY', sizes, '', bytes - before)
  if bytes ~= before or added then redis.call('HSET', sizes, roster, bytes) end
  for _, gone in ipairs(forgotten) do
    total = redis.call('HINCRBY', sizes, '', -tonumber(redis.call('HGET', sizes, gone) or '0'))
    redis.call('HDEL', sizes, gone)
  end
  while total > maxBytes do
    local oldest = redis.call('ZRANGE', rosters, 0, 0)[1]
    if not oldest or oldest == roster then break end
    total = redis.call('HINCRBY', sizes, '', -tonumber(redis.call('HGET', sizes, oldest) or '0'))
    redis.call('HDEL', sizes, oldest)
    redis.call('DEL', oldest)
    redis.call('ZREM', rosters, oldest)
  end
end
redis.call('PEXPIRE', sizes, maxAgeMs)
if string.len(change) > entryBytes then change = tooLarge end
for _, target in ipairs(redis.call('ZRANGEBYSCORE', broadcast, nowMs, '+inf')) do
  if target ~= origin then
    redis.call('XADD', space .. 'inbox:' .. target, 'NOMKSTREAM', 'MAXLEN', '=', inboxLength, '*',
      'origin', origin, 'change', change)
  end
end
return 1
