-- Claims a delivery for the deliveries' retention, forgets the oldest claims beyond the count, and keeps the body,
-- under this instance's name, until the delivery is finished: if the instance stops first, another takes it over.
-- Also forgets the bodies of the deliveries finished since its last claim, and says this instance is alive when it
-- gives no signs of life of its own.
--
-- KEYS[1] claim       the delivery's claim (a string: the claim's token)
-- KEYS[2] claims      claimed delivery keys, newest first (list), for the count
-- KEYS[3] unfinished  the delivery's body while unfinished (a string: owner, a line feed, the body)
-- KEYS[4] inbox       unfinished deliveries by time (sorted set of encoded delivery keys)
-- KEYS[5] alive       this instance's sign of life
-- ARGV[1] maxAgeMs    the deliveries' retention
-- ARGV[2] nowMs
-- ARGV[3] maxCount    the most claims remembered
-- ARGV[4] token       this claim's token: a claim sent again after a lost reply is still this one's
-- ARGV[5] body        the body as received, '' to keep none
-- ARGV[6] origin      this instance
-- ARGV[7] heartbeatMs how long the sign of life lasts, '' when the instance gives signs of life of its own
-- ARGV[8] id          the delivery's encoded key, its name in the inbox
-- ARGV[9] space       the store's key prefix with its hash tag
-- ARGV[10…]           encoded keys of deliveries finished since the last claim, whose bodies go
-- Returns 1 when claimed by this token, 0 when claimed before.
--@include finished
local claim, claims, unfinished, inbox, alive = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local maxAgeMs, nowMs, maxCount, token = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local body, origin, heartbeatMs, id, space = ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]

if heartbeatMs ~= '' then redis.call('SET', alive, '1', 'PX', heartbeatMs) end
forgetFinished(inbox, space, ARGV, 10)
if not redis.call('SET', claim, token, 'NX', 'PX', maxAgeMs) then
  if redis.call('GET', claim) == token then return 1 end
  return 0
end
-- A claim is never renewed, so the list is in claim order: the oldest are at its end.
local excess = redis.call('LPUSH', claims, claim) - maxCount
if excess > 0 then redis.call('DEL', unpack(redis.call('RPOP', claims, excess))) end
redis.call('PEXPIRE', claims, maxAgeMs)
if body ~= '' then
  redis.call('SET', unfinished, origin .. '\n' .. body, 'PX', maxAgeMs)
  redis.call('ZADD', inbox, nowMs, id)
  redis.call('PEXPIRE', inbox, maxAgeMs)
end
return 1
