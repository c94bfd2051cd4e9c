-- Forgets the bodies of finished deliveries.
--
-- KEYS[1] inbox   unfinished deliveries by time (sorted set of encoded delivery keys)
-- ARGV[1] space   the store's key prefix with its hash tag
-- ARGV[2…]        encoded keys of the finished deliveries
local inbox, space = KEYS[1], ARGV[1]
for index = 2, #ARGV do
  redis.call('DEL', space .. 'unfinished:' .. ARGV[index])
  redis.call('ZREM', inbox, ARGV[index])
end
return 1
