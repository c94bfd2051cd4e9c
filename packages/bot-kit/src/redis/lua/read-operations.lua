-- Reads records by clientContext, leaving out (and unindexing) those whose record has expired.
--
-- KEYS[1] index   the index the clientContexts come from
-- ARGV[1] space   the store's key prefix with its hash tag
-- ARGV[2…]        encoded clientContexts
-- Returns the records' JSON, in the order given.
local index, space = KEYS[1], ARGV[1]
local records = {}
for position = 2, #ARGV do
  local data = redis.call('HGET', space .. 'op:' .. ARGV[position], 'data')
  if data then table.insert(records, data) else redis.call('ZREM', index, ARGV[position]) end
end
return records
