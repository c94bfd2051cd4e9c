-- An instance's sign of life, given every third of the heartbeat while it follows the store: keeps its inbox (making
-- it when missing, with a first entry readers pass over), and its place among those that asked for every event.
--
-- KEYS[1] alive        this instance's sign of life
-- KEYS[2] inbox        this instance's inbox (stream)
-- KEYS[3] broadcast    instances that asked for every event (sorted set, scored by when that lapses)
-- ARGV[1] heartbeatMs  how long the sign of life lasts
-- ARGV[2] inboxMs      how long the inbox outlives the last sign of life
-- ARGV[3] origin       this instance
-- ARGV[4] until        ms when its wish for every event lapses, '' when it has none
-- ARGV[5] nowMs
local alive, inbox, broadcast = KEYS[1], KEYS[2], KEYS[3]
local heartbeatMs, inboxMs, origin, untilMs, nowMs = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]

redis.call('SET', alive, '1', 'PX', heartbeatMs)
if redis.call('PEXPIRE', inbox, inboxMs) == 0 then
  redis.call('XADD', inbox, '*', 'opened', nowMs)
  redis.call('PEXPIRE', inbox, inboxMs)
end
if untilMs ~= '' then
  redis.call('ZADD', broadcast, untilMs, origin)
  redis.call('ZREMRANGEBYSCORE', broadcast, '-inf', nowMs)
  redis.call('PEXPIRE', broadcast, inboxMs)
end
return 1
