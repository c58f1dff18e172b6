package dev.tokenrt.pricing;

/**
 * The cost of one request, split by kind of token, in nano-US-dollars ({@link Money}). Each part is computed
 * exactly and rounded once, half up, to a whole nano-dollar; the totals are plain sums of the rounded parts,
 * so a report's parts always add up to its total (at most half a nano-dollar per part away from the
 * unrounded figure, which no invoice shows).
 *
 * @param inputNanos        uncached prompt tokens
 * @param cacheReadNanos    prompt tokens read from the provider's prompt cache
 * @param cacheWrite5mNanos prompt tokens written to a 5-minute cache
 * @param cacheWrite1hNanos prompt tokens written to a 1-hour cache
 * @param outputNanos       visible generated tokens
 * @param reasoningNanos    hidden reasoning tokens
 */
public record Cost(
        long inputNanos,
        long cacheReadNanos,
        long cacheWrite5mNanos,
        long cacheWrite1hNanos,
        long outputNanos,
        long reasoningNanos) {

    public static final Cost ZERO = new Cost(0, 0, 0, 0, 0, 0);

    public Cost {
        if (inputNanos < 0 || cacheReadNanos < 0 || cacheWrite5mNanos < 0 || cacheWrite1hNanos < 0
                || outputNanos < 0 || reasoningNanos < 0) {
            throw new IllegalArgumentException("cost parts cannot be negative");
        }
    }

    /** Everything billed for the prompt: uncached input, cache reads and cache writes. */
    public long inputSideNanos() {
        return Math.addExact(Math.addExact(inputNanos, cacheReadNanos), Math.addExact(cacheWrite5mNanos, cacheWrite1hNanos));
    }

    /** Everything billed for generation: visible output and reasoning. */
    public long outputSideNanos() {
        return Math.addExact(outputNanos, reasoningNanos);
    }

    public long totalNanos() {
        return Math.addExact(inputSideNanos(), outputSideNanos());
    }

    /** Part-by-part sum, for adding up the requests of a session or a report. */
    public Cost plus(Cost other) {
        return new Cost(Math.addExact(inputNanos, other.inputNanos),
                Math.addExact(cacheReadNanos, other.cacheReadNanos),
                Math.addExact(cacheWrite5mNanos, other.cacheWrite5mNanos),
                Math.addExact(cacheWrite1hNanos, other.cacheWrite1hNanos),
                Math.addExact(outputNanos, other.outputNanos),
                Math.addExact(reasoningNanos, other.reasoningNanos));
    }

    /** The total as a USD decimal string ({@link Money#format(long)}). */
    public String totalUsd() {
        return Money.format(totalNanos());
    }

    @Override
    public String toString() {
        return "Cost[total=$" + Money.format(totalNanos())
                + ", input=$" + Money.format(inputNanos)
                + ", cacheRead=$" + Money.format(cacheReadNanos)
                + ", cacheWrite5m=$" + Money.format(cacheWrite5mNanos)
                + ", cacheWrite1h=$" + Money.format(cacheWrite1hNanos)
                + ", output=$" + Money.format(outputNanos)
                + ", reasoning=$" + Money.format(reasoningNanos) + "]";
    }
}
