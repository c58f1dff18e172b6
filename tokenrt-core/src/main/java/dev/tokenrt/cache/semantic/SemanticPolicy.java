package dev.tokenrt.cache.semantic;

/**
 * Decides whether the nearest cached entry may answer a lookup. A policy sees every lookup (also those with no
 * entry near enough to be a candidate, which count in its false-hit rate's denominator) and learns from the
 * verifications it asked for. Implementations are safe for concurrent use.
 */
public sealed interface SemanticPolicy permits FixedThresholdPolicy, VerifiedPolicy {

    /** A short description for reports, for example {@code fixed(0.80)} or {@code verified(max_false_hit_rate=0.01)}. */
    String name();

    /**
     * The decision for the nearest entry of a lookup.
     *
     * @param candidate the nearest entry's similarity and its margin over the runner-up
     */
    Decision decide(Candidate candidate);

    /** Counts a lookup that had no candidate (an empty partition, or a text the embedder could not read whole). */
    void noCandidate();

    /**
     * The outcome of a verification: the fresh upstream answer did ({@code correct}) or did not agree with the
     * cached answer of the candidate. Only candidates the policy decided to {@link Decision#VERIFY} or
     * {@link Decision#AUDIT} are fed back, with that decision.
     */
    void feedback(Candidate candidate, Decision decision, boolean correct);

    /** What the policy has seen and the false-hit rate it achieves, with a confidence interval where it can tell. */
    PolicyReport report();

    /** What to do with a candidate. */
    enum Decision {
        /** Serve the cached answer. */
        SERVE,
        /**
         * Not to be served: go upstream, then report whether the fresh answer agrees with the cached one. Below the
         * policy's bar the lookup is a miss anyway, so the comparison costs no upstream call; just above it, it is
         * the policy exploring where it is least sure. Either way it teaches the policy where its bar should be.
         */
        VERIFY,
        /**
         * Close enough to serve, but drawn for an audit: go upstream instead and report whether the answers agree.
         * Audits are a uniform random sample of the hits the policy would serve, so they measure its false-hit
         * rate; each costs a hit.
         */
        AUDIT,
        /** Not similar enough to be worth a comparison: a plain miss. */
        MISS;

        /** True for the decisions that want {@link SemanticPolicy#feedback}. */
        public boolean wantsFeedback() {
            return this == VERIFY || this == AUDIT;
        }
    }

    /**
     * The nearest entry of a lookup, as the policy sees it.
     *
     * @param similarity the cosine similarity of the query with the nearest entry
     * @param margin     how much nearer that entry is than the runner-up (similarity minus the second similarity);
     *                   {@code Float.POSITIVE_INFINITY} when the partition held no second entry
     */
    record Candidate(float similarity, float margin) {
        public Candidate {
            if (Float.isNaN(similarity) || Float.isNaN(margin) || margin < 0) {
                throw new IllegalArgumentException("similarity must be a number and margin >= 0, got "
                        + similarity + ", " + margin);
            }
        }
    }
}
