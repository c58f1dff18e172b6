package dev.tokenrt.cache;

import dev.tokenrt.chat.ChatRequest;
import dev.tokenrt.chat.ChatResponse;
import java.time.Instant;
import java.util.Objects;

/**
 * The semantic cache as the cache step sees it: after an exact miss, is there an earlier answer to a question
 * that means the same, in an identical context? The answers themselves live in the exact cache; the semantic
 * stage only points at them by key.
 */
public interface SemanticStage {

    /**
     * The best earlier answer for {@code request} (sent to {@code provider} as {@code model}) in
     * {@code namespace}, if the policy would serve it; empty if none is close enough or the request cannot be
     * compared by meaning (no plain-text last user turn, too long to embed whole).
     */
    java.util.Optional<Candidate> find(String namespace, ChatRequest request, String provider, String model, Instant now);

    /** Makes the answer stored under {@code entry} findable by the meaning of {@code request}'s last user turn. */
    void remember(String namespace, ChatRequest request, String provider, String model, CacheKey entry,
            Instant expiresAt);

    /**
     * The outcome of a verification: the candidate was not served, the request went upstream, and this is what
     * came back. The policy learns from whether the two answers agree.
     */
    void verified(Candidate candidate, ChatResponse cached, ChatResponse fresh);

    /** The candidate's answer is no longer in the exact cache (expired or invalidated): forget the candidate too. */
    void stale(Candidate candidate);

    /** Forgets every entry of {@code namespace}, or of every namespace when empty. Returns how many. */
    long forget(java.util.Optional<String> namespace);

    /** Drops expired entries and makes what was added durable (run periodically). */
    default void sweep(Instant now) {
    }

    /** What the stage reports about its decisions (policy, bound, counts), for the admin API. */
    default String summary() {
        return "";
    }

    /**
     * A neighbour the policy would serve.
     *
     * @param entry      where its answer is in the exact cache
     * @param similarity how alike the two questions are (the policy's score, for the ledger and metrics)
     * @param verify     true when the policy wants this one checked: send upstream anyway, compare, learn
     * @param handle     the policy's own record of the decision, handed back in {@link #verified}
     */
    record Candidate(CacheKey entry, double similarity, boolean verify, Object handle) {
        public Candidate {
            Objects.requireNonNull(entry, "entry");
            Objects.requireNonNull(handle, "handle");
        }
    }
}
