-- Writes an operation record if its stored revision is the expected one, keeps the indexes (by Graph's id, by
-- creation, by call, of invites still waiting with their deadline), forgets the oldest finished records beyond the
-- count, and tells the instances that wait on the invite (or hold a notification that names its id) in their inboxes.
-- Once the invite has ended nobody waits any more: its followers are forgotten.
--
-- Each command here runs for every write of every invite, so the record keeps in its own hash what spares one: the
-- instances waiting on it, its deadline as indexed, when its id's entry expires, and when its indexes were last made
-- to outlive it. What has not changed is not written again.
--
-- KEYS[1] record        the operation (hash: rev, data, call, id, writes, waiting, deadline, idUntil, indexedUntil)
-- KEYS[2] operations    every operation by creation (sorted set of encoded clientContexts)
-- KEYS[3] callOps       the call's operations by creation
-- KEYS[4] pending       invites still waiting, by deadline
-- KEYS[5] order         the creation counter
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
-- ARGV[17] nowMs        the writer's clock
-- Returns 1 when written (or written already by this token), 0 on a conflict.
--@include recent-writes
--@include waiting
local record, operations, callOps, pending, order = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local expected, revision, data, ttlMs, context = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
local operationId, deadline, change, origin = ARGV[6], ARGV[7], ARGV[8], ARGV[9]
local maxCount, inboxLength, space, token, follower = tonumber(ARGV[10]), ARGV[11], ARGV[12], ARGV[13], ARGV[14]
local indexTtlMs, entryBytes, nowMs = tonumber(ARGV[15]), tonumber(ARGV[16]), tonumber(ARGV[17])

local stored = redis.call('HMGET', record, 'rev', 'writes', 'id', 'waiting', 'deadline', 'idUntil', 'indexedUntil')
local storedId, storedWaiting, storedDeadline = stored[3], stored[4], stored[5]
if (stored[1] or '0') ~= expected then
  if appliedBefore(stored[2], token) then return 1 end
  return 0
end
local expiresAt = nowMs + ttlMs
-- An index lives as long as the longest-lived record it lists: a record's indexes are given the longest time to live
-- any record can have when it is created, and again only when this write makes it outlive them (a late update).
local indexedUntil = tonumber(stored[7] or '0')
-- (A minute to spare, for the writers' clocks.)
local extendIndexes = expiresAt + 60000 > indexedUntil
if extendIndexes then indexedUntil = nowMs + indexTtlMs end
-- Graph's id names the record for as long as the record lives: its entry is written again only when it would not.
local idUntil = tonumber(stored[6] or '0')
local writeId = operationId ~= '' and (storedId ~= operationId or expiresAt > idUntil)
if writeId then idUntil = expiresAt end
local waitingNow = withWaiting(storedWaiting, follower)
redis.call('HSET', record, 'rev', revision, 'data', data, 'call', callOps, 'id', operationId,
  'writes', withWrite(stored[2], token), 'waiting', deadline == '' and '' or waitingNow, 'deadline', deadline,
  'idUntil', tostring(idUntil), 'indexedUntil', tostring(indexedUntil))
redis.call('PEXPIRE', record, ttlMs)
if writeId then redis.call('SET', space .. 'op-id:' .. operationId, context, 'PX', ttlMs) end
local excess = 0
if expected == '0' then
  local created = redis.call('INCR', order)
  redis.call('ZADD', operations, created, context)
  redis.call('ZADD', callOps, created, context)
  excess = redis.call('ZCARD', operations) - maxCount
end
if extendIndexes then
  redis.call('PEXPIRE', operations, indexTtlMs)
  redis.call('PEXPIRE', callOps, indexTtlMs)
end
if deadline ~= '' then
  if storedDeadline ~= deadline then redis.call('ZADD', pending, deadline, context) end
  if extendIndexes or storedDeadline ~= deadline then redis.call('PEXPIRE', pending, indexTtlMs) end
elseif storedDeadline ~= '' and (storedDeadline or expected ~= '0') then
  -- Listed as waiting (or written before the record said whether it was): no longer.
  redis.call('ZREM', pending, context)
end
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
local targets = {}
for waiter in string.gmatch(waitingNow, '%S+') do table.insert(targets, waiter) end
if operationId ~= '' and storedId ~= operationId then
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
return 1
