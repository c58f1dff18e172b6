-- ARGV: T, now ms, batch size. Removes entries expired by now (oldest first); returns how many.
local members = redis.call('ZRANGEBYSCORE', T .. ':exp', '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
for _, member in ipairs(members) do remove_entry(member) end
return #members
