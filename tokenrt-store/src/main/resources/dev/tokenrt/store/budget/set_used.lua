-- set_used: overwrite a counter's used figure (rebuilt from the ledger), keeping what live holds hold on it.
-- KEYS[1] the counter (hash: used, held). ARGV[1] used (decimal), ARGV[2] when it may be dropped (epoch ms).
-- Returns the counter's held figure.
redis.call('HSET', KEYS[1], 'used', ARGV[1])
local held = redis.call('HGET', KEYS[1], 'held')
if not held then
  held = '0'
  redis.call('HSET', KEYS[1], 'held', held)
end
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return held
