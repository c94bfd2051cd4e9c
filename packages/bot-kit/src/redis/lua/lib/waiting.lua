-- The instances waiting on an invite, kept in its record's hash as one space-separated field, so that a write reads
-- them with the revision it compares.

-- withWaiting(waiting, origin): the waiting (nil when none) with `origin` too, unless it is '' or there already.
local function withWaiting(waiting, origin)
  waiting = waiting or ''
  if origin == '' or string.find(' ' .. waiting .. ' ', ' ' .. origin .. ' ', 1, true) then return waiting end
  if waiting == '' then return origin end
  return waiting .. ' ' .. origin
end
