-- Takes over deliveries claimed a while ago by instances whose sign of life has stopped: they become this instance's,
-- and their keys and bodies are returned to be processed. Also says this instance is alive, when it gives no signs
-- of life of its own.
--
-- KEYS[1] inbox          unfinished deliveries by time (sorted set of encoded delivery keys)
-- ARGV[1] space          the store's key prefix with its hash tag
-- ARGV[2] claimedBefore  ms: younger claims are left alone
-- ARGV[3] origin         this instance
-- ARGV[4] nowMs
-- ARGV[5] most           the most deliveries taken at once
-- ARGV[6] heartbeatMs    how long the sign of life lasts, '' when the instance gives signs of life of its own
-- Returns encoded key, body, encoded key, body, …
local inbox = KEYS[1]
local space, claimedBefore, origin, nowMs, most, heartbeatMs = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]

if heartbeatMs ~= '' then redis.call('SET', space .. 'instance:' .. origin, '1', 'PX', heartbeatMs) end
local taken = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', inbox, '-inf', claimedBefore, 'LIMIT', 0, tonumber(most))) do
  local entry = space .. 'unfinished-body:' .. id
  -- The owner, a line feed, the body.
  local stored = redis.call('GET', entry)
  local split = stored and string.find(stored, '\n', 1, true)
  if not split then
    redis.call('ZREM', inbox, id)
  else
    local owner = string.sub(stored, 1, split - 1)
    if owner ~= origin and redis.call('EXISTS', space .. 'instance:' .. owner) == 0 then
      local body = string.sub(stored, split + 1)
      redis.call('SET', entry, origin .. '\n' .. body, 'KEEPTTL')
      redis.call('ZADD', inbox, nowMs, id)
      table.insert(taken, id)
      table.insert(taken, body)
    end
  end
end
return taken
