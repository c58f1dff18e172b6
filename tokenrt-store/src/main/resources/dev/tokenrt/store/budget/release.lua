-- release: drop a hold, using nothing. KEYS[1] the hold, KEYS[2] the holds by deadline. ARGV[1] hold id.
-- Returns 1 if the hold existed.
return finish(KEYS[1], KEYS[2], ARGV[1], {})
