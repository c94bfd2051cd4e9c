// The Redis store's writes, as Lua scripts: Redis runs each script alone, so a compare-and-set, the indexes it keeps
// and the change it announces happen together or not at all, in one round trip. Keys other than those passed in KEYS
// are built from the prefix, so the store is for one Redis server (or a primary and its replicas), not a cluster.

/**
 * A Lua function: lists `key` in `index` after every other entry (two of one millisecond keep their order), then
 * forgets what the retention leaves out, entries older than `maxAge` and the oldest beyond `maxCount` (their keys
 * too), and keeps the index itself for `maxAge`.
 */
const remember = `
local function remember(index, key, now, maxAge, maxCount)
  local last = redis.call('ZRANGE', index, -1, -1, 'WITHSCORES')[2]
  local score = now
  if last and tonumber(last) >= now then score = tonumber(last) + 0.001 end
  redis.call('ZADD', index, score, key)
  redis.call('ZREMRANGEBYSCORE', index, '-inf', now - maxAge)
  local excess = redis.call('ZCARD', index) - maxCount
  if excess > 0 then
    for _, oldest in ipairs(redis.call('ZRANGE', index, 0, excess - 1)) do redis.call('DEL', oldest) end
    redis.call('ZREMRANGEBYRANK', index, 0, excess - 1)
  end
  redis.call('PEXPIRE', index, maxAge)
end`;

/**
 * Lua functions for the tokens of a record's last writes, kept in its hash as one space-separated field, newest first.
 * A write whose reply a dropped connection lost is sent again with its token; if others have written over it since,
 * its revision no longer matches, and only its token in this list says it was applied, rather than lost to a conflict
 * and applied a second time by the caller's retry. The last 64 are kept: a write sent again after as many others went
 * over it would be taken for a conflict.
 */
const recentWritesKept = 64;
const recentWrites = `
local function appliedBefore(tokens, token)
  return tokens and string.find(' ' .. tokens .. ' ', ' ' .. token .. ' ', 1, true) ~= nil
end
local function withWrite(tokens, token)
  local list, count = token, 1
  if tokens then
    for earlier in string.gmatch(tokens, '%S+') do
      if count >= ${recentWritesKept} then break end
      list, count = list .. ' ' .. earlier, count + 1
    end
  end
  return list
end`;

/**
 * Claims a delivery key for the deliveries' retention, forgets the oldest keys beyond the count, and keeps the body
 * in the inbox, under this instance's name, until the delivery is finished: if the instance stops first, another
 * takes it over. Also says this instance is alive.
 * KEYS: delivery key, deliveries index, the delivery's inbox entry, the inbox index, this instance's heartbeat.
 * ARGV: max age ms, now ms, max count, the claim's token, body ('' to keep none), this instance, heartbeat ms, the
 * delivery's key (its name in the inbox index), prefix, then the keys of deliveries finished since the last claim,
 * whose bodies go.
 * Returns 1 when claimed (by this token: a claim sent again after a lost reply is still this one's), 0 when the key
 * was claimed before.
 */
export const claimDelivery = `
${remember}
redis.call('SET', KEYS[5], '1', 'PX', ARGV[7])
for index = 10, #ARGV do
  redis.call('DEL', ARGV[9] .. 'inbox:' .. ARGV[index])
  redis.call('ZREM', KEYS[4], ARGV[index])
end
if not redis.call('SET', KEYS[1], ARGV[4], 'NX', 'PX', ARGV[1]) then
  if redis.call('GET', KEYS[1]) == ARGV[4] then return 1 end
  return 0
end
remember(KEYS[2], KEYS[1], tonumber(ARGV[2]), tonumber(ARGV[1]), tonumber(ARGV[3]))
if ARGV[5] ~= '' then
  redis.call('HSET', KEYS[3], 'owner', ARGV[6], 'body', ARGV[5])
  redis.call('PEXPIRE', KEYS[3], ARGV[1])
  redis.call('ZADD', KEYS[4], ARGV[2], ARGV[8])
  redis.call('PEXPIRE', KEYS[4], ARGV[1])
end
return 1
`;

/** Forgets the bodies of finished deliveries. KEYS: the inbox index. ARGV: prefix, then delivery keys. */
export const finishDeliveries = `
for index = 2, #ARGV do
  redis.call('DEL', ARGV[1] .. 'inbox:' .. ARGV[index])
  redis.call('ZREM', KEYS[1], ARGV[index])
end
return 1
`;

/**
 * Takes over deliveries claimed at least a while ago by an instance whose heartbeat has stopped: they become this
 * instance's, and their keys and bodies are returned to be processed. Also says this instance is alive.
 * KEYS: the inbox index. ARGV: prefix, claimed before (ms), this instance, now ms, most to take, heartbeat ms.
 * Returns key, body, key, body, …
 */
export const takeUnfinishedDeliveries = `
redis.call('SET', ARGV[1] .. 'instance:' .. ARGV[3], '1', 'PX', ARGV[6])
local taken = {}
local candidates = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[5]))
for _, key in ipairs(candidates) do
  local entry = ARGV[1] .. 'inbox:' .. key
  local owner = redis.call('HGET', entry, 'owner')
  if not owner then
    redis.call('ZREM', KEYS[1], key)
  elseif owner ~= ARGV[3] and redis.call('EXISTS', ARGV[1] .. 'instance:' .. owner) == 0 then
    redis.call('HSET', entry, 'owner', ARGV[3])
    redis.call('ZADD', KEYS[1], ARGV[4], key)
    table.insert(taken, key)
    table.insert(taken, redis.call('HGET', entry, 'body'))
  end
end
return taken
`;

/**
 * Writes an operation record if its stored revision is the expected one, keeps the indexes (by Graph's id, by
 * creation, by call, of invites still waiting with their deadline), forgets the oldest finished records beyond the
 * count, and appends the change to the feed.
 * KEYS: record, all operations, the call's operations, pending, creation counter, feed.
 * ARGV: expected revision, new revision, record JSON, ttl ms, clientContext, operation id or '', deadline ms or ''
 * (not waiting), change JSON, origin, max count, feed length, prefix, the write's token.
 * Returns 1 when written (or written already by this token: a write sent again after a lost reply), 0 on a conflict.
 */
export const putOperation = `
${recentWrites}
-- An index lives as long as the longest-lived record it lists.
local function extend(key, ttl)
  if redis.call('PTTL', key) < tonumber(ttl) then redis.call('PEXPIRE', key, ttl) end
end
local stored = redis.call('HMGET', KEYS[1], 'rev', 'writes')
if (stored[1] or '0') ~= ARGV[1] then
  if appliedBefore(stored[2], ARGV[13]) then return 1 end
  return 0
end
local prefix = ARGV[12]
redis.call('HSET', KEYS[1], 'rev', ARGV[2], 'data', ARGV[3], 'call', KEYS[3], 'id', ARGV[6], 'writes', withWrite(stored[2], ARGV[13]))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
if ARGV[6] ~= '' then redis.call('SET', prefix .. 'op-id:' .. ARGV[6], ARGV[5], 'PX', ARGV[4]) end
if ARGV[1] == '0' then
  local order = redis.call('INCR', KEYS[5])
  redis.call('ZADD', KEYS[2], order, ARGV[5])
  redis.call('ZADD', KEYS[3], order, ARGV[5])
end
extend(KEYS[2], ARGV[4])
extend(KEYS[3], ARGV[4])
if ARGV[7] ~= '' then
  redis.call('ZADD', KEYS[4], ARGV[7], ARGV[5])
  extend(KEYS[4], ARGV[4])
else
  redis.call('ZREM', KEYS[4], ARGV[5])
end
local excess = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[10])
if excess > 0 then
  -- Oldest first, passing over invites still waiting: as many as the application has in flight, never more.
  local candidates = redis.call('ZRANGE', KEYS[2], 0, excess + redis.call('ZCARD', KEYS[4]) - 1)
  for _, context in ipairs(candidates) do
    if excess == 0 then break end
    if not redis.call('ZSCORE', KEYS[4], context) then
      local key = prefix .. 'op:' .. context
      local fields = redis.call('HMGET', key, 'call', 'id')
      if fields[1] then redis.call('ZREM', fields[1], context) end
      if fields[2] and fields[2] ~= '' then redis.call('DEL', prefix .. 'op-id:' .. fields[2]) end
      redis.call('DEL', key)
      redis.call('ZREM', KEYS[2], context)
      excess = excess - 1
    end
  end
end
redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[11], '*', 'origin', ARGV[9], 'change', ARGV[8])
return 1
`;

/**
 * Reads records by clientContext, leaving out (and unindexing) those whose record has expired.
 * KEYS: the index the contexts come from. ARGV: prefix, then clientContexts.
 * Returns the records' JSON, in the order given.
 */
export const readOperations = `
local records = {}
for index = 2, #ARGV do
  local data = redis.call('HGET', ARGV[1] .. 'op:' .. ARGV[index], 'data')
  if data then table.insert(records, data) else redis.call('ZREM', KEYS[1], ARGV[index]) end
end
return records
`;

/**
 * Reads a record by Graph's operation id. KEYS: the id's index entry. ARGV: prefix. Returns the record's JSON or nil.
 */
export const operationById = `
local context = redis.call('GET', KEYS[1])
if not context then return false end
return redis.call('HGET', ARGV[1] .. 'op:' .. context, 'data')
`;

/**
 * Writes a roster if its stored revision is the expected one, forgets the least recently changed rosters beyond the
 * count and those past their age, and appends the change to the feed.
 * KEYS: roster, rosters index, feed. ARGV: expected revision, new revision, roster JSON, max age ms, now ms, call id,
 * change JSON, origin, max count, feed length, the write's token.
 * Returns 1 when written (or written already by this token, among the last 64 writes), 0 on a conflict.
 */
export const putRoster = `
${remember}
${recentWrites}
local stored = redis.call('HMGET', KEYS[1], 'rev', 'writes')
if (stored[1] or '0') ~= ARGV[1] then
  if appliedBefore(stored[2], ARGV[11]) then return 1 end
  return 0
end
redis.call('HSET', KEYS[1], 'rev', ARGV[2], 'data', ARGV[3], 'writes', withWrite(stored[2], ARGV[11]))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
remember(KEYS[2], KEYS[1], tonumber(ARGV[5]), tonumber(ARGV[4]), tonumber(ARGV[9]))
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[10], '*', 'origin', ARGV[8], 'change', ARGV[7])
return 1
`;

/**
 * Appends an unmatched notification and drops the oldest beyond the count or the bytes.
 * KEYS: the list, its byte count. ARGV: entry JSON, max count, max bytes, max age ms.
 */
export const recordUnmatched = `
redis.call('LPUSH', KEYS[1], ARGV[1])
local bytes = redis.call('INCRBY', KEYS[2], string.len(ARGV[1]))
while redis.call('LLEN', KEYS[1]) > tonumber(ARGV[2]) or bytes > tonumber(ARGV[3]) do
  local dropped = redis.call('RPOP', KEYS[1])
  if not dropped then break end
  bytes = redis.call('DECRBY', KEYS[2], string.len(dropped))
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 1
`;
