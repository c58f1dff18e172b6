-- states: the figures of several counters in one round trip. KEYS the counters (hash: used, held).
-- Returns used, held for each key in order, as decimal strings ('0' for a counter that does not exist).
local out = {}
for i = 1, #KEYS do
  local v = redis.call('HMGET', KEYS[i], 'used', 'held')
  out[#out + 1] = v[1] or '0'
  out[#out + 1] = v[2] or '0'
end
return out
