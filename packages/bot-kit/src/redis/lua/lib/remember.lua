-- remember(index, key, now, maxAge, maxCount): lists `key` in the sorted set `index` after every other entry (two
-- of one millisecond keep their order), then forgets what the retention leaves out, entries older than `maxAge` and
-- the oldest beyond `maxCount` (their keys too), and keeps the index itself for `maxAge`.
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
end
