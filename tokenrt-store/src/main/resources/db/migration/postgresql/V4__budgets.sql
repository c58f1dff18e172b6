-- Token Runtime budgets set through the admin API, PostgreSQL dialect (keep in step with ../sqlite/V4__budgets.sql).
-- Every gateway replica reads the whole table into memory and reloads it every second or so; the counters the
-- budgets limit live elsewhere (a CounterStore), keyed by budget id. scope_id is '' for a global budget and
-- '*' for "each member separately". limit_amount is in the metric's unit (nano-USD for cost_usd, as in the
-- ledger); warn_at and critical_at are exact decimal text. Times are epoch nanoseconds, as in the ledger.

CREATE TABLE budgets (
    id           TEXT    NOT NULL PRIMARY KEY,
    scope        TEXT    NOT NULL,
    scope_id     TEXT    NOT NULL,
    period       TEXT    NOT NULL,
    metric       TEXT    NOT NULL,
    limit_amount BIGINT  NOT NULL CHECK (limit_amount >= 0),
    warn_at      TEXT    NOT NULL,
    critical_at  TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    degrade_to   TEXT,
    created_ns   BIGINT  NOT NULL,
    updated_ns   BIGINT  NOT NULL
);

CREATE INDEX budgets_created ON budgets (created_ns, id);
