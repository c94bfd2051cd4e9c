-- Names this instance among those waiting on an invite, in its record: the next write of the record wakes it. An
-- invite not yet written gets a record with nothing but its waiting, which its first write fills in.
--
-- KEYS[1] record   the operation (hash; see put-operation.lua)
-- ARGV[1] origin   this instance
-- ARGV[2] ttlMs    how long a record made here lives without a write
--@include waiting
local record, origin, ttlMs = KEYS[1], ARGV[1], ARGV[2]
local existed = redis.call('EXISTS', record) == 1
redis.call('HSET', record, 'waiting', withWaiting(redis.call('HGET', record, 'waiting'), origin))
if not existed then redis.call('PEXPIRE', record, ttlMs) end
return 1
