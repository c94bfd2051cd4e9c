-- Appends an unmatched notification and drops the oldest beyond the count or the bytes.
--
-- KEYS[1] list       unmatched notifications, newest first
-- KEYS[2] bytes      the list's size in bytes
-- ARGV[1] entry      the entry as JSON
-- ARGV[2] maxCount
-- ARGV[3] maxBytes
-- ARGV[4] maxAgeMs
local list, bytesKey = KEYS[1], KEYS[2]
local entry, maxCount, maxBytes, maxAgeMs = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
redis.call('LPUSH', list, entry)
local bytes = redis.call('INCRBY', bytesKey, string.len(entry))
while redis.call('LLEN', list) > maxCount or bytes > maxBytes do
  local dropped = redis.call('RPOP', list)
  if not dropped then break end
  bytes = redis.call('DECRBY', bytesKey, string.len(dropped))
end
redis.call('PEXPIRE', list, maxAgeMs)
redis.call('PEXPIRE', bytesKey, maxAgeMs)
return 1
