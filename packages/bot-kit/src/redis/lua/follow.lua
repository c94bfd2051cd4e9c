-- Names this instance among those to wake when a record changes: an invite it waits on, or the operation id of a
-- notification it holds.
--
-- KEYS[1] followers  the set of instances to wake
-- ARGV[1] origin     this instance
-- ARGV[2] ttlMs      how long the set lives without another follower
local followers, origin, ttlMs = KEYS[1], ARGV[1], ARGV[2]
redis.call('SADD', followers, origin)
redis.call('PEXPIRE', followers, ttlMs)
return 1
