-- sweep: release holds whose deadline has passed, at most ARGV[3] of them per call.
-- KEYS[1] the holds by deadline. ARGV[1] the hold key prefix, ARGV[2] now (epoch ms), ARGV[3] batch size.
-- Hold keys are not in KEYS: they are derived here, and share KEYS[1]'s hash tag (so its cluster slot).
-- Returns {holds looked at, holds released}.
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, ARGV[3])
local released = 0
for _, id in ipairs(ids) do
  released = released + finish(ARGV[1] .. id, KEYS[1], id, {})
end
return {#ids, released}
