-- settle: replace a hold by what was used. KEYS[1] the hold, KEYS[2] the holds by deadline.
-- ARGV[1] hold id, then pairs: counter full key, amount used (decimal). Returns 1 if the hold existed.
local actual = {}
for i = 2, #ARGV, 2 do
  actual[ARGV[i]] = ARGV[i + 1]
end
return finish(KEYS[1], KEYS[2], ARGV[1], actual)
