package dev.tokenrt.pricing;

import java.util.Optional;

/**
 * The kinds of token a model can price differently. A closed set: adding one means teaching
 * {@link CostCalculator} how to bill it, so it is an enum rather than free-form keys.
 */
public enum PriceKind {
    /** Prompt tokens neither read from nor written to the prompt cache. */
    INPUT("input"),
    /** Generated tokens (visible output; reasoning too unless {@link #REASONING} is priced). */
    OUTPUT("output"),
    /** Prompt tokens read from the provider's prompt cache. */
    CACHE_READ("cacheRead"),
    /** Prompt tokens written to a 5-minute prompt cache (Anthropic's default TTL). */
    CACHE_WRITE_5M("cacheWrite5m"),
    /** Prompt tokens written to a 1-hour prompt cache. */
    CACHE_WRITE_1H("cacheWrite1h"),
    /** Hidden reasoning tokens, where a provider prices them apart from output. */
    REASONING("reasoning"),
    /** Uncached input through a batch API. */
    BATCH_INPUT("batchInput"),
    /** Output through a batch API. */
    BATCH_OUTPUT("batchOutput");

    private final String wireName;

    PriceKind(String wireName) {
        this.wireName = wireName;
    }

    /** The key used in the catalog file's {@code usdPerMTok} object. */
    public String wireName() {
        return wireName;
    }

    public static Optional<PriceKind> fromWireName(String name) {
        for (PriceKind kind : values()) {
            if (kind.wireName.equals(name)) {
                return Optional.of(kind);
            }
        }
        return Optional.empty();
    }
}
