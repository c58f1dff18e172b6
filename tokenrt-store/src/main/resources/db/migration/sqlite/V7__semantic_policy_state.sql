-- What the semantic cache's verified policy has learnt (keep in step with ../postgresql/V7__semantic_policy_state.sql):
-- one snapshot per embedder and scoring, written by the replicas as they learn, read by one that starts, so a
-- restart does not repeat the hundreds of verifications of a cold start.
CREATE TABLE semantic_policy_state (
    state_key     TEXT    NOT NULL PRIMARY KEY,
    updated_at_ns INTEGER NOT NULL,
    state         BLOB    NOT NULL
) STRICT;
