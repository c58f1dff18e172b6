-- reserve: hold an amount on every counter, or on none.
-- KEYS[1] the hold (hash: counter key -> amount), KEYS[2] the holds by deadline (sorted set),
-- KEYS[3..] the counters (hash: used, held).
-- ARGV[1] hold id, ARGV[2] its deadline (epoch ms), ARGV[3] when the hold hash may be dropped (epoch ms),
-- then for each counter: limit, amount, when the counter may be dropped (epoch ms).
-- Returns {'granted'}, {'held', deadline} when the hold id is already held, or
-- {'refused', index of the counter (1-based, in KEYS[3..] order), used, held}.
local deadline = redis.call('ZSCORE', KEYS[2], ARGV[1])
if deadline then
  return {'held', deadline}
end
local n = #KEYS - 2
for i = 1, n do
  local base = 3 + (i - 1) * 3
  local now = redis.call('HMGET', KEYS[i + 2], 'used', 'held')
  local used, held = now[1] or '0', now[2] or '0'
  if not fits(used, held, ARGV[base + 2], ARGV[base + 1]) then
    return {'refused', tostring(i), used, held}
  end
end
for i = 1, n do
  local base = 3 + (i - 1) * 3
  local counter = KEYS[i + 2]
  redis.call('HINCRBY', counter, 'held', ARGV[base + 2])
  redis.call('PEXPIREAT', counter, ARGV[base + 3])
  redis.call('HSET', KEYS[1], counter, ARGV[base + 2])
end
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return {'granted'}
