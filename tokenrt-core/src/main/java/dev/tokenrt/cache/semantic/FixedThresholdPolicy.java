package dev.tokenrt.cache.semantic;

import java.util.Locale;
import java.util.OptionalDouble;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The peers' rule, kept as the baseline: serve whenever the cosine similarity reaches a fixed threshold (0.8 in
 * GPTCache and most gateways). It never asks for a verification, so it cannot tell how often it is wrong; the
 * evaluation measures that from the labels.
 */
public final class FixedThresholdPolicy implements SemanticPolicy {

    /** The threshold peers use by default. */
    public static final double PEERS_DEFAULT = 0.8;

    private final double threshold;
    private final AtomicLong lookups = new AtomicLong();
    private final AtomicLong served = new AtomicLong();

    public FixedThresholdPolicy(double threshold) {
        if (!(threshold >= -1 && threshold <= 1)) {
            throw new IllegalArgumentException("threshold must be a cosine in [-1, 1], got " + threshold);
        }
        this.threshold = threshold;
    }

    public double threshold() {
        return threshold;
    }

    @Override
    public String name() {
        return String.format(Locale.ROOT, "fixed(%.2f)", threshold);
    }

    @Override
    public Decision decide(Candidate candidate) {
        lookups.incrementAndGet();
        if (candidate.similarity() >= threshold) {
            served.incrementAndGet();
            return Decision.SERVE;
        }
        return Decision.MISS;
    }

    @Override
    public void noCandidate() {
        lookups.incrementAndGet();
    }

    /** Ignored: this policy does not learn. */
    @Override
    public void feedback(Candidate candidate, Decision decision, boolean correct) {
    }

    @Override
    public PolicyReport report() {
        return new PolicyReport(name(), OptionalDouble.empty(), lookups.get(), served.get(), 0, 0,
                OptionalDouble.of(threshold), Proportion.wilson(0, 0, 0.95), Proportion.wilson(0, 0, 0.95),
                OptionalDouble.empty());
    }
}
