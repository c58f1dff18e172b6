-- correct: move buckets by what a reservation got wrong (actual minus reserved), never refusing.
-- KEYS the buckets. ARGV, four per bucket: now (scaled), '+' or '-', the amount (scaled, '0' for none), and for
-- '+' how many ms longer the bucket takes to drain.
-- A bucket moved back to now or before has drained: it is dropped (a missing bucket is a full one).
for i = 1, #KEYS do
  local base = (i - 1) * 4
  local now, sign, d = ARGV[base + 1], ARGV[base + 2], ARGV[base + 3]
  if d ~= '0' then
    local tat = redis.call('GET', KEYS[i])
    if sign == '+' then
      if not tat or cmp(tat, now) < 0 then
        tat = now
      end
      local left = redis.call('PTTL', KEYS[i])
      if left < 0 then
        left = 0
      end
      redis.call('SET', KEYS[i], add(tat, d), 'PX', left + tonumber(ARGV[base + 4]))
    elseif tat then
      if cmp(tat, d) <= 0 then
        redis.call('DEL', KEYS[i])
      else
        local new = sub(tat, d)
        if cmp(new, now) <= 0 then
          redis.call('DEL', KEYS[i])
        else
          redis.call('SET', KEYS[i], new, 'KEEPTTL')
        end
      end
    end
  end
end
return 1
