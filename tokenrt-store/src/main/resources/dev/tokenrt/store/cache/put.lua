-- ARGV: T, member, value, ttl ms, ns, model, tags (\1-joined), stored ms, expires ms, meta grace ms
local member = ARGV[2]
local ttl = tonumber(ARGV[4])
-- A replaced entry may have had other tags: drop its old index references first.
if redis.call('EXISTS', T .. ':m:' .. member) == 1 then remove_entry(member) end
redis.call('SET', T .. ':v:' .. member, ARGV[3], 'PX', ttl)
redis.call('HSET', T .. ':m:' .. member, 'ns', ARGV[5], 'model', ARGV[6], 'tags', ARGV[7], 'stored', ARGV[8])
-- The metadata outlives the value by a grace period, so that the sweep can still find what to unindex.
redis.call('PEXPIRE', T .. ':m:' .. member, ttl + tonumber(ARGV[10]))
redis.call('SADD', T .. ':ns:' .. ARGV[5], member)
redis.call('SADD', T .. ':mo:' .. ARGV[6], member)
for _, tag in ipairs(split_tags(ARGV[7])) do redis.call('SADD', T .. ':t:' .. tag, member) end
redis.call('ZADD', T .. ':stored', ARGV[8], member)
redis.call('ZADD', T .. ':exp', ARGV[9], member)
-- The answer is here: the flight that was fetching it (single flight across replicas) is over.
redis.call('DEL', T .. ':l:' .. member)
return 1
