-- Forgets the bodies of finished deliveries.
--
-- KEYS[1] inbox   unfinished deliveries by time (sorted set of encoded delivery keys)
-- ARGV[1] space   the store's key prefix with its hash tag
-- ARGV[2…]        encoded keys of the finished deliveries
--@include finished
forgetFinished(KEYS[1], ARGV[1], ARGV, 2)
return 1
