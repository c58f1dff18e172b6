-- ARGV: T, ns or '', model or '', tag or '', stored-before ms or '', then candidate members.
-- Removes each candidate whose metadata meets every given condition; returns how many it removed.
local ns, model, tag, before = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local removed = 0
for i = 6, #ARGV do
  local member = ARGV[i]
  local meta = redis.call('HMGET', T .. ':m:' .. member, 'ns', 'model', 'tags', 'stored')
  local match = meta[1] ~= false
  if match and ns ~= '' and meta[1] ~= ns then match = false end
  if match and model ~= '' and meta[2] ~= model then match = false end
  if match and tag ~= '' then
    local found = false
    for _, t in ipairs(split_tags(meta[3])) do if t == tag then found = true end end
    match = found
  end
  if match and before ~= '' and tonumber(meta[4]) >= tonumber(before) then match = false end
  if match then
    remove_entry(member)
    removed = removed + 1
  elseif meta[1] == false then
    -- Metadata gone (expired): a stale index reference; drop it quietly.
    remove_entry(member)
    if ns ~= '' then redis.call('SREM', T .. ':ns:' .. ns, member) end
    if model ~= '' then redis.call('SREM', T .. ':mo:' .. model, member) end
    if tag ~= '' then redis.call('SREM', T .. ':t:' .. tag, member) end
  end
end
return removed
