-- acquire: take units from every bucket, or from none.
-- KEYS the buckets (string: TAT in scaled time). ARGV, four per bucket: now (scaled), increment (scaled: units
-- times the period in ns; '0' draws nothing), capacity (scaled: burst times the period), expiry after admission
-- (ms: enough for a full bucket to drain).
-- Returns {'admitted'}, or {'limited', index (1-based), excess (scaled), index, excess, ...} for every bucket that
-- cannot take its draw, where excess is how far past its capacity the draw would fill it.
local n = #KEYS
local tats = {}
local refused = {}
for i = 1, n do
  local base = (i - 1) * 4
  local now, inc, cap = ARGV[base + 1], ARGV[base + 2], ARGV[base + 3]
  if inc ~= '0' then
    local tat = redis.call('GET', KEYS[i])
    if not tat or cmp(tat, now) < 0 then
      tat = now
    end
    local new = add(tat, inc)
    local fill = sub(new, now)
    if cmp(fill, cap) > 0 then
      refused[#refused + 1] = tostring(i)
      refused[#refused + 1] = sub(fill, cap)
    end
    tats[i] = new
  end
end
if #refused > 0 then
  table.insert(refused, 1, 'limited')
  return refused
end
for i = 1, n do
  if tats[i] then
    local ttl = tonumber(ARGV[(i - 1) * 4 + 4])
    local left = redis.call('PTTL', KEYS[i])
    if left > ttl then
      ttl = left
    end
    redis.call('SET', KEYS[i], tats[i], 'PX', ttl)
  end
end
return {'admitted'}
