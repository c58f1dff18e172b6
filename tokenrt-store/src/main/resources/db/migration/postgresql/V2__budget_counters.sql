-- Token Runtime budget counters, PostgreSQL dialect (keep in step with ../sqlite/V2__budget_counters.sql).
-- One row per counter (a budget in one period window) and one row per counter a hold is on. Amounts are
-- integers in the counter's own unit (nano-USD, tokens or requests); times are epoch nanoseconds like the
-- ledger's. held is always the sum of the live holds' amounts on the counter.

CREATE TABLE budget_counters (
    counter_key   TEXT   NOT NULL PRIMARY KEY,
    used          BIGINT NOT NULL CHECK (used >= 0),
    held          BIGINT NOT NULL CHECK (held >= 0),
    window_end_ns BIGINT NOT NULL
);

-- Forgetting ended windows (sweep) looks counters up by window end.
CREATE INDEX budget_counters_window_end ON budget_counters (window_end_ns);

CREATE TABLE budget_holds (
    hold_id     TEXT   NOT NULL,
    counter_key TEXT   NOT NULL,
    amount      BIGINT NOT NULL CHECK (amount >= 0),
    expires_ns  BIGINT NOT NULL,
    PRIMARY KEY (hold_id, counter_key)
);

-- The sweep finds expired holds by deadline.
CREATE INDEX budget_holds_expires ON budget_holds (expires_ns);
