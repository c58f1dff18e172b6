-- Shared by the response-cache scripts. Every key lives under one hash tag, T (ARGV[1]), so that all of them
-- share a Redis Cluster slot; the scripts name keys they compute from entries' metadata, which is safe there.
--   T..':v:'..member   the entry's value (deflated bytes), with PX expiry
--   T..':m:'..member   its metadata hash: ns, model, tags (joined by \1), stored (epoch ms)
--   T..':ns:'..ns, T..':mo:'..model, T..':t:'..tag   sets of members, for invalidation
--   T..':stored', T..':exp'   sorted sets of members by stored and expiry time (epoch ms)
--   T..':l:'..member   the flight lock of a request being fetched (single flight across replicas), with PX expiry
-- A member is the entry's storage key: namespace, NUL, hash.
local T = ARGV[1]

local function split_tags(s)
  local out = {}
  if s == nil or s == '' then return out end
  for tag in string.gmatch(s, '([^\1]+)') do out[#out + 1] = tag end
  return out
end

-- Removes one entry and every index reference to it; returns 1 if it had metadata.
local function remove_entry(member)
  local meta = redis.call('HMGET', T .. ':m:' .. member, 'ns', 'model', 'tags')
  redis.call('DEL', T .. ':v:' .. member, T .. ':m:' .. member)
  redis.call('ZREM', T .. ':stored', member)
  redis.call('ZREM', T .. ':exp', member)
  if meta[1] then
    redis.call('SREM', T .. ':ns:' .. meta[1], member)
    redis.call('SREM', T .. ':mo:' .. meta[2], member)
    for _, tag in ipairs(split_tags(meta[3])) do redis.call('SREM', T .. ':t:' .. tag, member) end
    return 1
  end
  return 0
end
