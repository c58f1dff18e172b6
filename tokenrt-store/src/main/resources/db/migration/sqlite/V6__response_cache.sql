-- The response cache (keep in step with ../postgresql/V6__response_cache.sql).
-- 1. What cache hits saved, in tokens: a hit bills nothing (its usage columns stay 0), and these say what the
--    upstream call would have billed; saved_cost_nanos (V1) prices them.
ALTER TABLE requests ADD COLUMN saved_input_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE requests ADD COLUMN saved_output_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_daily ADD COLUMN saved_input_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_daily ADD COLUMN saved_output_tokens INTEGER NOT NULL DEFAULT 0;

-- 2. The database layer (L3) of the exact response cache: one row per (namespace, request hash); the value is
--    the deflated entry (CacheCodec). Expired rows are never read and are swept in the background.
CREATE TABLE cache_entries (
    namespace     TEXT    NOT NULL,
    hash          TEXT    NOT NULL,
    model         TEXT    NOT NULL,
    stored_at_ns  INTEGER NOT NULL,
    expires_at_ns INTEGER NOT NULL,
    value         BLOB    NOT NULL,
    PRIMARY KEY (namespace, hash)
) STRICT;

CREATE INDEX cache_entries_expires ON cache_entries (expires_at_ns);
CREATE INDEX cache_entries_model   ON cache_entries (model, namespace);
CREATE INDEX cache_entries_stored  ON cache_entries (stored_at_ns);

CREATE TABLE cache_entry_tags (
    namespace TEXT NOT NULL,
    hash      TEXT NOT NULL,
    tag       TEXT NOT NULL,
    PRIMARY KEY (namespace, hash, tag)
) STRICT, WITHOUT ROWID;

CREATE INDEX cache_entry_tags_tag ON cache_entry_tags (tag);
