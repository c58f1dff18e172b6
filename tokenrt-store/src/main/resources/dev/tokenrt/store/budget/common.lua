-- Shared by the budget counter scripts (prepended to each one by RedisCounterStore).
--
-- Amounts travel and are stored as decimal strings of non-negative 64-bit integers, and only HINCRBY (exact
-- 64-bit integer arithmetic in Redis) changes them. Lua's numbers are doubles, exact only up to 2^53, so the
-- one comparison made here, a + b + c <= limit, is done on two exact parts of each number: the last nine
-- decimal digits and the rest (at most 10 digits). Written by hand: no library offers this inside Redis Lua.
local BILLION = 1000000000
local MAX = '9223372036854775807'

local function parts(s)
  local n = #s
  if n <= 9 then
    return 0, tonumber(s)
  end
  return tonumber(string.sub(s, 1, n - 9)), tonumber(string.sub(s, n - 8))
end

local function fits(a, b, c, limit)
  local ah, al = parts(a)
  local bh, bl = parts(b)
  local ch, cl = parts(c)
  local lh, ll = parts(limit)
  local lo = al + bl + cl
  local hi = ah + bh + ch + math.floor(lo / BILLION)
  lo = lo % BILLION
  return hi < lh or (hi == lh and lo <= ll)
end

-- Ends one hold: on each of its counters, gives back the amount held and adds what was used (actual maps a
-- counter's full key to a decimal string), then forgets the hold. A counter that expired meanwhile is left
-- alone. Returns 1 if the hold existed, 0 if it was already settled, released or swept.
local function finish(holdKey, holdsKey, holdId, actual)
  redis.call('ZREM', holdsKey, holdId)
  local hold = redis.call('HGETALL', holdKey)
  if #hold == 0 then
    return 0
  end
  for i = 1, #hold, 2 do
    local counter, amount = hold[i], hold[i + 1]
    if redis.call('EXISTS', counter) == 1 then
      if amount ~= '0' then
        redis.call('HINCRBY', counter, 'held', '-' .. amount)
      end
      local used = actual[counter]
      if used ~= nil and used ~= '0' then
        if fits(redis.call('HGET', counter, 'used') or '0', used, '0', MAX) then
          redis.call('HINCRBY', counter, 'used', used)
        else
          redis.call('HSET', counter, 'used', MAX)
        end
      end
    end
  end
  redis.call('DEL', holdKey)
  return 1
end
