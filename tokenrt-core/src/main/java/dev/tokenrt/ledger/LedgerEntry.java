package dev.tokenrt.ledger;

import dev.tokenrt.usage.Usage;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One append-only ledger row: everything known about one request once it has ended. Rows are never
 * updated; aggregates (daily rollups, budget counters) are derived from them, so the ledger is the source
 * of truth from which any counter can be rebuilt.
 *
 * <p>No secret ever reaches a row: {@code keyId} is the virtual key's public id, never the key itself,
 * and prompts are not stored.
 *
 * @param requestId      the id returned to the client in {@code x-tokenrt-request-id}
 * @param time           when the request arrived (UTC)
 * @param attribution    who the request belongs to
 * @param provider       the provider that served it ({@code openai}, {@code anthropic}, {@code google}, {@code fake}, …)
 * @param modelRequested the model the client asked for (an alias stays as the client wrote it)
 * @param modelServed    the model that actually answered (after aliasing, routing, degrade or fallback)
 * @param usage          tokens, with whether each figure was reported or estimated
 * @param costNanos      what the request cost, in nano-USD
 * @param cache          the cache outcome ({@link CacheOutcome})
 * @param savedCostNanos for a cache hit, what the upstream call would have cost; 0 otherwise
 * @param route          routing and policy decisions in a compact text form (e.g. {@code "fallback:gpt-4o-mini"}), empty if none
 * @param stream         whether the client asked for a stream
 * @param status         the HTTP status returned to the client (499 when the client went away)
 * @param errorType      the error type for failed requests, empty otherwise
 * @param latencyMillis  total time from arrival to the last byte
 * @param firstChunkMillis time to the first streamed chunk (or to the response for non-streamed), -1 if none
 * @param savedInputTokens  for a cache hit, the prompt tokens the upstream call would have billed; 0 otherwise
 * @param savedOutputTokens for a cache hit, the generated tokens it would have billed; 0 otherwise
 */
public record LedgerEntry(
        String requestId,
        Instant time,
        Attribution attribution,
        String provider,
        String modelRequested,
        String modelServed,
        Usage usage,
        long costNanos,
        CacheOutcome cache,
        long savedCostNanos,
        String route,
        boolean stream,
        int status,
        String errorType,
        long latencyMillis,
        long firstChunkMillis,
        long savedInputTokens,
        long savedOutputTokens) {

    public LedgerEntry {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(attribution, "attribution");
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(modelRequested, "modelRequested");
        Objects.requireNonNull(modelServed, "modelServed");
        Objects.requireNonNull(usage, "usage");
        Objects.requireNonNull(cache, "cache");
        Objects.requireNonNull(route, "route");
        Objects.requireNonNull(errorType, "errorType");
        if (savedInputTokens < 0 || savedOutputTokens < 0) {
            throw new IllegalArgumentException("saved tokens cannot be negative");
        }
    }

    /** A row that saved nothing: no cache hit. */
    public LedgerEntry(String requestId, Instant time, Attribution attribution, String provider, String modelRequested,
            String modelServed, Usage usage, long costNanos, CacheOutcome cache, long savedCostNanos, String route,
            boolean stream, int status, String errorType, long latencyMillis, long firstChunkMillis) {
        this(requestId, time, attribution, provider, modelRequested, modelServed, usage, costNanos, cache,
                savedCostNanos, route, stream, status, errorType, latencyMillis, firstChunkMillis, 0, 0);
    }

    /** Who a request belongs to. Empty strings mean "not given"; tags are free-form labels. */
    public record Attribution(String keyId, String user, String project, String team, String session,
            List<String> tags) {
        public static final Attribution NONE = new Attribution("", "", "", "", "", List.of());

        public Attribution {
            Objects.requireNonNull(keyId, "keyId");
            Objects.requireNonNull(user, "user");
            Objects.requireNonNull(project, "project");
            Objects.requireNonNull(team, "team");
            Objects.requireNonNull(session, "session");
            tags = List.copyOf(tags);
        }
    }

    /** How the response cache took part in a request. */
    public enum CacheOutcome {
        /** Exact-cache hit: no upstream call. */
        HIT,
        /** Semantic-cache hit: no upstream call. */
        SEMANTIC,
        /** Looked up, not found, upstream called. */
        MISS,
        /** Not looked up (caching off, not cacheable, or {@code Cache-Control: no-cache}). */
        BYPASS
    }
}
