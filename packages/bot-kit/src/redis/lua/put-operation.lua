-- Writes an operation record if its stored revision is the expected one, keeps the indexes (by Graph's id, by
-- creation, by call, of invites still waiting with their deadline), forgets the oldest finished records beyond the
-- count, and tells the instances that wait on the invite (or hold a notification that names its id) in their inboxes.
-- Once the invite has ended nobody waits any more: its followers are forgotten.
--
-- KEYS[1] record        the operation (hash: rev, data, call, id, writes)
-- KEYS[2] operations    every operation by creation (sorted set of encoded clientContexts)
-- KEYS[3] callOps       the call's operations by creation
-- KEYS[4] pending       invites still waiting, by deadline
-- KEYS[5] order         the creation counter
-- KEYS[6] waiting       the instances waiting on the invite (set of origins)
-- ARGV[1] expected      the revision the writer read ('0': none stored)
-- ARGV[2] revision      the new revision
-- ARGV[3] data          the record as JSON
-- ARGV[4] ttlMs         how long the record (and the indexes listing it) live
-- ARGV[5] context       the encoded clientContext
-- ARGV[6] operationId   Graph's encoded id for the operation, '' while unknown
-- ARGV[7] deadline      ms when the invite stops waiting, '' when it does not wait
-- ARGV[8] change        the change for the inboxes, as a JSON object (the record is added to it)
-- ARGV[9] origin        the writing instance
-- ARGV[10] maxCount     the most operations kept, invites still waiting aside
-- ARGV[11] inboxLength  about how many changes an inbox keeps
-- ARGV[12] space        the store's key prefix with its hash tag
-- ARGV[13] token        this write's token
-- ARGV[14] follower     an instance to name among the waiting with this write, '' for none
-- ARGV[15] indexTtlMs   how long an index lives after a write of one of its records: at least any record's ttl
-- ARGV[16] entryBytes   the most bytes of an inbox entry: a record larger does not go with the news
-- Returns 1 when written (or written already by this token), 0 on a conflict.
--@include recent-writes
local record, operations, callOps, pending, order, waiting = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local expected, revision, data, ttlMs, context = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
local operationId, deadline, change, origin = ARGV[6], ARGV[7], ARGV[8], ARGV[9]
local maxCount, inboxLength, space, token, follower = tonumber(ARGV[10]), ARGV[11], ARGV[12], ARGV[13], ARGV[14]
local indexTtlMs, entryBytes = ARGV[15], tonumber(ARGV[16])

-- An index lives as long as the longest-lived record it lists: every write of a record sets the index's time to live
-- to the longest any record can have, no shorter than any member's, and with no need to read the index's own first.
local function extend(key)
  redis.call('PEXPIRE', key, indexTtlMs)
end

local stored = redis.call('HMGET', record, 'rev', 'writes', 'id')
if (stored[1] or '0') ~= expected then
  if appliedBefore(stored[2], token) then return 1 end
  return 0
end
redis.call('HSET', record, 'rev', revision, 'data', data, 'call', callOps, 'id', operationId,
  'writes', withWrite(stored[2], token))
redis.call('PEXPIRE', record, ttlMs)
if operationId ~= '' then redis.call('SET', space .. 'op-id:' .. operationId, context, 'PX', ttlMs) end
if expected == '0' then
  local created = redis.call('INCR', order)
  redis.call('ZADD', operations, created, context)
  redis.call('ZADD', callOps, created, context)
end
extend(operations)
extend(callOps)
if deadline ~= '' then
  redis.call('ZADD', pending, deadline, context)
  extend(pending)
else
  redis.call('ZREM', pending, context)
end
local excess = redis.call('ZCARD', operations) - maxCount
if excess > 0 then
  -- Oldest first, passing over invites still waiting: as many as the application has in flight, never more.
  local candidates = redis.call('ZRANGE', operations, 0, excess + redis.call('ZCARD', pending) - 1)
  for _, oldest in ipairs(candidates) do
    if excess == 0 then break end
    if not redis.call('ZSCORE', pending, oldest) then
      local key = space .. 'op:' .. oldest
      local fields = redis.call('HMGET', key, 'call', 'id')
      if fields[1] then redis.call('ZREM', fields[1], oldest) end
      if fields[2] and fields[2] ~= '' then redis.call('DEL', space .. 'op-id:' .. fields[2]) end
      redis.call('DEL', key)
      redis.call('ZREM', operations, oldest)
      excess = excess - 1
    end
  end
end

-- Who to wake: the waiting, and on the write that first names Graph's id, whoever holds a notification naming it.
if follower ~= '' then
  redis.call('SADD', waiting, follower)
  redis.call('PEXPIRE', waiting, ttlMs)
end
local targets = redis.call('SMEMBERS', waiting)
if operationId ~= '' and stored[3] ~= operationId then
  local held = space .. 'held:' .. operationId
  for _, holder in ipairs(redis.call('SMEMBERS', held)) do table.insert(targets, holder) end
end
-- The record goes with the news, so that the waiter need not read it again.
local news = string.sub(change, 1, -2) .. ',"record":' .. data .. '}'
if string.len(news) > entryBytes then news = change end
local woken = {}
for _, target in ipairs(targets) do
  if target ~= origin and not woken[target] then
    woken[target] = true
    redis.call('XADD', space .. 'inbox:' .. target, 'NOMKSTREAM', 'MAXLEN', '=', inboxLength, '*',
      'origin', origin, 'change', news)
  end
end
if deadline == '' and #targets > 0 then redis.call('DEL', waiting) end
return 1
