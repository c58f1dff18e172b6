package dev.tokenrt.cache.semantic;

import java.util.Locale;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * What a policy has seen and the false-hit rate it achieves.
 *
 * @param policy            the policy's name
 * @param bound             the false-hit rate the policy is configured to stay under (empty for a fixed threshold)
 * @param lookups           lookups seen, with or without a candidate
 * @param served            lookups answered from the cache
 * @param verifications     candidates sent upstream for a comparison (each counted as a miss)
 * @param labels            comparisons fed back
 * @param threshold         the similarity score from which the policy serves now (empty: it serves nothing yet)
 * @param wrongShareOfHits  wrong hits among the audited would-be hits (a uniform random sample of the hits it would
 *                          have served), with its interval: the share of served answers that are wrong
 * @param falseHitRate      the achieved false-hit rate (wrong hits per lookup) = served / lookups times
 *                          {@code wrongShareOfHits}, with the interval scaled likewise
 * @param modelBound        the upper bound the policy computed for its false-hit rate at {@code threshold} from all
 *                          of its feedback (empty when it serves nothing)
 */
public record PolicyReport(String policy, OptionalDouble bound, long lookups, long served, long verifications,
                           long labels, OptionalDouble threshold, Proportion wrongShareOfHits, Proportion falseHitRate,
                           OptionalDouble modelBound) {

    public PolicyReport {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(bound, "bound");
        Objects.requireNonNull(threshold, "threshold");
        Objects.requireNonNull(wrongShareOfHits, "wrongShareOfHits");
        Objects.requireNonNull(falseHitRate, "falseHitRate");
        Objects.requireNonNull(modelBound, "modelBound");
    }

    /** One line for logs and the CLI. */
    public String summary() {
        StringBuilder b = new StringBuilder(policy).append(": ").append(lookups).append(" lookups, ")
                .append(served).append(" served, ").append(verifications).append(" verified");
        threshold.ifPresent(t -> b.append(String.format(Locale.ROOT, ", serving from score %.3f", t)));
        if (falseHitRate.n() > 0) {
            b.append(String.format(Locale.ROOT, "; achieved false-hit rate %.4f (%.0f%% CI %.4f-%.4f, %d of %d audited hits wrong)",
                    falseHitRate.estimate(), falseHitRate.confidence() * 100, falseHitRate.lower(), falseHitRate.upper(),
                    wrongShareOfHits.k(), wrongShareOfHits.n()));
        } else if (bound.isPresent()) {
            b.append("; no audited hit yet");
        }
        bound.ifPresent(v -> b.append(String.format(Locale.ROOT, "; bound %.4f", v)));
        modelBound.ifPresent(v -> b.append(String.format(Locale.ROOT, ", computed bound at threshold %.4f", v)));
        return b.toString();
    }
}
