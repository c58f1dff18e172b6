-- What the semantic cache's verified policy has learnt (keep in step with ../sqlite/V7__semantic_policy_state.sql):
-- one snapshot per embedder and scoring, written by the replicas as they learn, read by one that starts, so a
-- restart does not repeat the hundreds of verifications of a cold start.
CREATE TABLE semantic_policy_state (
    state_key     TEXT   NOT NULL PRIMARY KEY,
    updated_at_ns BIGINT NOT NULL,
    state         BYTEA  NOT NULL
);
