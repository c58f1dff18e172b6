-- Token Runtime usage ledger, SQLite dialect (keep in step with ../postgresql/V1__ledger.sql).
-- Times are epoch nanoseconds (exact round-trip of java.time.Instant, plain integer arithmetic in both
-- dialects, no driver time-zone conversions); "day" is the UTC epoch day, derived from time_ns on insert.
-- Money is integer nano-USD. STRICT tables make SQLite reject values of the wrong type.

CREATE TABLE requests (
    request_id            TEXT    NOT NULL PRIMARY KEY,
    time_ns               INTEGER NOT NULL,
    day                   INTEGER NOT NULL,
    key_id                TEXT    NOT NULL,
    user_id               TEXT    NOT NULL,
    project               TEXT    NOT NULL,
    team                  TEXT    NOT NULL,
    session_id            TEXT    NOT NULL,
    provider              TEXT    NOT NULL,
    model_requested       TEXT    NOT NULL,
    model_served          TEXT    NOT NULL,
    input_tokens          INTEGER NOT NULL,
    output_tokens         INTEGER NOT NULL,
    cache_read_tokens     INTEGER NOT NULL,
    cache_write_5m_tokens INTEGER NOT NULL,
    cache_write_1h_tokens INTEGER NOT NULL,
    reasoning_tokens      INTEGER NOT NULL,
    input_source          TEXT    NOT NULL CHECK (input_source IN ('provider', 'estimated')),
    output_source         TEXT    NOT NULL CHECK (output_source IN ('provider', 'estimated')),
    cost_nanos            INTEGER NOT NULL,
    cache_outcome         TEXT    NOT NULL CHECK (cache_outcome IN ('hit', 'semantic', 'miss', 'bypass')),
    saved_cost_nanos      INTEGER NOT NULL,
    route                 TEXT    NOT NULL,
    stream                INTEGER NOT NULL CHECK (stream IN (0, 1)),
    status                INTEGER NOT NULL,
    error_type            TEXT    NOT NULL,
    latency_ms            INTEGER NOT NULL,
    first_chunk_ms        INTEGER NOT NULL
) STRICT;

CREATE INDEX requests_time    ON requests (time_ns);
CREATE INDEX requests_day     ON requests (day);
CREATE INDEX requests_key     ON requests (key_id, time_ns);
CREATE INDEX requests_user    ON requests (user_id, time_ns);
CREATE INDEX requests_project ON requests (project, time_ns);
CREATE INDEX requests_model   ON requests (model_served, time_ns);

-- Tags are a set per request; position keeps the order they were given in.
CREATE TABLE request_tags (
    request_id TEXT    NOT NULL,
    tag        TEXT    NOT NULL,
    position   INTEGER NOT NULL,
    PRIMARY KEY (request_id, tag)
) STRICT, WITHOUT ROWID;

CREATE INDEX request_tags_tag ON request_tags (tag);

-- Daily rollup, upserted in the same transaction as the raw rows it sums. Kept when raw rows are
-- deleted by retention, so long-range reports survive.
CREATE TABLE usage_daily (
    day                INTEGER NOT NULL,
    provider           TEXT    NOT NULL,
    model_served       TEXT    NOT NULL,
    key_id             TEXT    NOT NULL,
    user_id            TEXT    NOT NULL,
    project            TEXT    NOT NULL,
    team               TEXT    NOT NULL,
    requests           INTEGER NOT NULL,
    errors             INTEGER NOT NULL,
    input_tokens       INTEGER NOT NULL,
    output_tokens      INTEGER NOT NULL,
    cache_read_tokens  INTEGER NOT NULL,
    cache_write_tokens INTEGER NOT NULL,
    reasoning_tokens   INTEGER NOT NULL,
    cost_nanos         INTEGER NOT NULL,
    cache_hits         INTEGER NOT NULL,
    saved_cost_nanos   INTEGER NOT NULL,
    PRIMARY KEY (day, provider, model_served, key_id, user_id, project, team)
) STRICT, WITHOUT ROWID;
