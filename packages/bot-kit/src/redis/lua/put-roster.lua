-- Writes a roster if its stored revision is the expected one, forgets the least recently changed rosters beyond the
-- count and those past their age, and hands the change to the inboxes of the instances that asked for every event.
--
-- KEYS[1] roster      the call's roster (hash: rev, data, writes)
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
-- Returns 1 when written (or written already by this token), 0 on a conflict.
--@include remember
--@include recent-writes
local roster, rosters, broadcast = KEYS[1], KEYS[2], KEYS[3]
local expected, revision, data, maxAgeMs, nowMs = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local change, origin, maxCount, inboxLength, token = ARGV[6], ARGV[7], tonumber(ARGV[8]), ARGV[9], ARGV[10]
local space = ARGV[11]

local stored = redis.call('HMGET', roster, 'rev', 'writes')
if (stored[1] or '0') ~= expected then
  if appliedBefore(stored[2], token) then return 1 end
  return 0
end
redis.call('HSET', roster, 'rev', revision, 'data', data, 'writes', withWrite(stored[2], token))
redis.call('PEXPIRE', roster, maxAgeMs)
remember(rosters, roster, nowMs, maxAgeMs, maxCount)
for _, target in ipairs(redis.call('ZRANGEBYSCORE', broadcast, nowMs, '+inf')) do
  if target ~= origin then
    redis.call('XADD', space .. 'inbox:' .. target, 'NOMKSTREAM', 'MAXLEN', '~', inboxLength, '*',
      'origin', origin, 'change', change)
  end
end
return 1
