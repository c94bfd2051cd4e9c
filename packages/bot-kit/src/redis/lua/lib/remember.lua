-- remember(index, key, score, maxAge, maxCount): lists `key` in the sorted set `index` at `score` (its writer's clock,
-- in ms, made to grow with each write of one handle, so that two in one millisecond keep their order), forgets the
-- oldest beyond `maxCount` (their keys too), and keeps the index itself for `maxAge`. Entries past their age are not
-- looked for: their keys have expired already, and the count bounds the index. Returns the keys forgotten.
local function remember(index, key, score, maxAge, maxCount)
  redis.call('ZADD', index, score, key)
  local excess = redis.call('ZCARD', index) - maxCount
  local forgotten = {}
  if excess > 0 then
    forgotten = redis.call('ZRANGE', index, 0, excess - 1)
    for _, oldest in ipairs(forgotten) do redis.call('DEL', oldest) end
    redis.call('ZREMRANGEBYRANK', index, 0, excess - 1)
  end
  redis.call('PEXPIRE', index, maxAge)
  return forgotten
end
