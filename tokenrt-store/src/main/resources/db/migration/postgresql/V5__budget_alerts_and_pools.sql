-- Token Runtime budget alerts and shared pools, PostgreSQL dialect (keep in step with
-- ../sqlite/V5__budget_alerts_and_pools.sql).
--
-- budget_alerts: every alert fired, one row per budget (and member), window and level. dedup_key is
-- "<budget id>[:<member>]|<window start epoch seconds | total>|<level>"; the replica whose
-- INSERT ... ON CONFLICT DO NOTHING adds the row is the one that fires the alert, so a crossing fires once
-- however many replicas see it. window_start_ns and window_end_ns are NULL for a total budget. used and
-- limit_amount are in the metric's unit (nano-USD for cost_usd). Times are epoch nanoseconds, as in the ledger.

CREATE TABLE budget_alerts (
    dedup_key       TEXT    NOT NULL PRIMARY KEY,
    budget_id       TEXT    NOT NULL,
    member          TEXT    NOT NULL,
    scope           TEXT    NOT NULL,
    period          TEXT    NOT NULL,
    metric          TEXT    NOT NULL,
    level           TEXT    NOT NULL CHECK (level IN ('warn', 'critical', 'exceeded')),
    window_start_ns BIGINT,
    window_end_ns   BIGINT,
    used            BIGINT  NOT NULL,
    limit_amount    BIGINT  NOT NULL,
    action          TEXT    NOT NULL,
    message         TEXT    NOT NULL,
    fired_ns        BIGINT  NOT NULL
);

CREATE INDEX budget_alerts_fired ON budget_alerts (fired_ns);
CREATE INDEX budget_alerts_budget ON budget_alerts (budget_id, fired_ns);

-- A budget that is a pool shared by priority: its weights as "critical=0.5,high=0.3,medium=0.15,low=0.05"
-- (exact decimals); NULL for an ordinary budget.
ALTER TABLE budgets ADD COLUMN pool_weights TEXT;
