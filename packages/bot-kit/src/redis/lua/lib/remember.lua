-- remember(index, key, score, maxAge, maxCount): lists `key` in the sorted set `index` at `score` (its writer's clock,
-- in ms, made to grow with each write of one handle, so that two in one millisecond keep their order), forgets the
-- oldest beyond `maxCount` (their keys too), and keeps the index itself for `maxAge`. Entries past their age are not
-- looked for: their keys have expired already, and the count bounds the index.
local function remember(index, key, score, maxAge, maxCount)
  redis.call('ZADD', index, score, key)
  local excess = redis.call('ZCARD', index) - maxCount
  if excess > 0 then
    for _, oldest in ipairs(redis.call('ZRANGE', index, 0, excess - 1)) do redis.call('DEL', oldest) end
    redis.call('ZREMRANGEBYRANK', index, 0, excess - 1)
  end
  redis.call('PEXPIRE', index, maxAge)
end
