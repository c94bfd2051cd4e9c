-- Reads a record by Graph's operation id.
--
-- KEYS[1] byId    the id's entry (a string: the encoded clientContext)
-- ARGV[1] space   the store's key prefix with its hash tag
-- Returns the record's JSON, or nil.
local byId, space = KEYS[1], ARGV[1]
local context = redis.call('GET', byId)
if not context then return false end
return redis.call('HGET', space .. 'op:' .. context, 'data')
