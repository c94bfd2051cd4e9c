-- forgetFinished(inbox, space, ids, first): forgets the bodies of the finished deliveries ids[first…] (encoded keys),
-- and takes them off the inbox of unfinished deliveries: two commands for any number of them.
local function forgetFinished(inbox, space, ids, first)
  -- unpack takes a few thousand values at most: larger batches go in slices.
  for from = first, #ids, 1000 do
    local to = math.min(from + 999, #ids)
    local bodies = {}
    for index = from, to do table.insert(bodies, space .. 'unfinished-body:' .. ids[index]) end
    redis.call('DEL', unpack(bodies))
    redis.call('ZREM', inbox, unpack(ids, from, to))
  end
end
