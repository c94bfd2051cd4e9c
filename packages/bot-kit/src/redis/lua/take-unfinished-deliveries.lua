-- Takes over deliveries claimed a while ago by instances whose sign of life has stopped: they become this instance's,
-- and their keys and bodies are returned to be processed. Also says this instance is alive.
--
-- KEYS[1] inbox          unfinished deliveries by time (sorted set of encoded delivery keys)
-- ARGV[1] space          the store's key prefix with its hash tag
-- ARGV[2] claimedBefore  ms: younger claims are left alone
-- ARGV[3] origin         this instance
-- ARGV[4] nowMs
-- ARGV[5] most           the most deliveries taken at once
-- ARGV[6] heartbeatMs    how long the sign of life lasts
-- Returns encoded key, body, encoded key, body, …
local inbox = KEYS[1]
local space, claimedBefore, origin, nowMs, most, heartbeatMs = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]

redis.call('SET', space .. 'instance:' .. origin, '1', 'PX', heartbeatMs)
local taken = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', inbox, '-inf', claimedBefore, 'LIMIT', 0, tonumber(most))) do
  local entry = space .. 'unfinished:' .. id
  local owner = redis.call('HGET', entry, 'owner')
  if not owner then
    redis.call('ZREM', inbox, id)
  elseif owner ~= origin and redis.call('EXISTS', space .. 'instance:' .. owner) == 0 then
    redis.call('HSET', entry, 'owner', origin)
    redis.call('ZADD', inbox, nowMs, id)
    table.insert(taken, id)
    table.insert(taken, redis.call('HGET', entry, 'body'))
  end
end
return taken
