-- Shared by the rate-limit scripts (prepended to each one by RedisRateLimitStore).
--
-- A bucket's theoretical arrival time (TAT) is kept in scaled time: nanoseconds since the epoch times the limit's
-- rate, some 30 to 40 decimal digits, far past the 2^53 up to which Lua's doubles are exact. So the scripts never
-- turn them into numbers: they travel and are stored as decimal strings of non-negative integers (no leading
-- zeros), and the three operations GCRA needs here (compare, add, subtract) are done on limbs of seven digits,
-- whose sums stay exact in a double. Every product (rate times time, units times period) is made in Java
-- (BigInteger) and passed in. Written by hand: no library offers this inside Redis Lua.
local BASE = 10000000
local WIDTH = 7

local function limbs(s)
  local t = {}
  local i = #s
  while i > 0 do
    local j = i - WIDTH + 1
    if j < 1 then
      j = 1
    end
    t[#t + 1] = tonumber(string.sub(s, j, i))
    i = j - 1
  end
  return t
end

local function text(t)
  local n = #t
  while n > 1 and t[n] == 0 do
    n = n - 1
  end
  local parts = {string.format('%d', t[n])}
  for i = n - 1, 1, -1 do
    parts[#parts + 1] = string.format('%07d', t[i])
  end
  return table.concat(parts)
end

-- -1, 0 or 1 as a is less than, equal to or greater than b.
local function cmp(a, b)
  if #a ~= #b then
    return #a < #b and -1 or 1
  end
  for i = 1, #a do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then
      return x < y and -1 or 1
    end
  end
  return 0
end

local function add(a, b)
  local x, y = limbs(a), limbs(b)
  local out, carry = {}, 0
  local n = #x
  if #y > n then
    n = #y
  end
  for i = 1, n do
    local s = (x[i] or 0) + (y[i] or 0) + carry
    if s >= BASE then
      out[i] = s - BASE
      carry = 1
    else
      out[i] = s
      carry = 0
    end
  end
  if carry > 0 then
    out[n + 1] = carry
  end
  return text(out)
end

-- a - b, for a >= b.
local function sub(a, b)
  local x, y = limbs(a), limbs(b)
  local out, borrow = {}, 0
  for i = 1, #x do
    local d = x[i] - (y[i] or 0) - borrow
    if d < 0 then
      out[i] = d + BASE
      borrow = 1
    else
      out[i] = d
      borrow = 0
    end
  end
  return text(out)
end
