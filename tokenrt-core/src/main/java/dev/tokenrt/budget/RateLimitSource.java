package dev.tokenrt.budget;

import dev.tokenrt.ledger.LedgerEntry.Attribution;
import java.util.ArrayList;
import java.util.List;

/**
 * Which rate limits a request is held to: those of the configuration file, and those its virtual key carries
 * ({@link KeyBudgets#rateLimits}). Looked up on every request, so implementations answer from memory.
 */
@FunctionalInterface
public interface RateLimitSource {

    /** The limits that may apply to a request with this attribution (each still checks its own subject). */
    List<RateLimit> rateLimits(Attribution attribution);

    /** A fixed list, the same for every request. */
    static RateLimitSource of(List<RateLimit> limits) {
        List<RateLimit> copy = List.copyOf(limits);
        return a -> copy;
    }

    /** Several sources, their limits in order. */
    static RateLimitSource all(RateLimitSource... sources) {
        List<RateLimitSource> copy = List.of(sources);
        return a -> {
            List<RateLimit> out = new ArrayList<>();
            for (RateLimitSource s : copy) {
                out.addAll(s.rateLimits(a));
            }
            return out;
        };
    }
}
