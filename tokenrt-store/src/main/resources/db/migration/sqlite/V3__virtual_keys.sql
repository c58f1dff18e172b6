-- Token Runtime virtual keys, SQLite dialect (keep in step with ../postgresql/V3__virtual_keys.sql).
-- A key's secret is never stored: secret_hash is the SHA-256 of it (64 lower-case hex digits), looked up
-- through a unique index on every request. Times are epoch nanoseconds, as in the ledger; NULL expires_ns
-- means "never", NULL revoked_ns "not revoked". models, budgets and rate_limits are JSON array text.

CREATE TABLE virtual_keys (
    id          TEXT    NOT NULL PRIMARY KEY,
    secret_hash TEXT    NOT NULL CHECK (length(secret_hash) = 64),
    hint        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    user_id     TEXT    NOT NULL,
    project     TEXT    NOT NULL,
    team        TEXT    NOT NULL,
    models      TEXT    NOT NULL,
    tier        TEXT    NOT NULL,
    budgets     TEXT    NOT NULL,
    rate_limits TEXT    NOT NULL,
    created_ns  INTEGER NOT NULL,
    expires_ns  INTEGER,
    revoked_ns  INTEGER
) STRICT;

CREATE UNIQUE INDEX virtual_keys_secret_hash ON virtual_keys (secret_hash);
CREATE INDEX virtual_keys_created ON virtual_keys (created_ns, id);
