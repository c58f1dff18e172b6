package dev.tokenrt.ledger;

import java.util.List;
import java.util.Map;

/**
 * The answer to a {@link UsageQuery}: one row per group, plus totals over all matching requests. Group keys
 * are keyed by {@link UsageQuery.Dimension#wireName()}; {@code day} and {@code hour} are ISO-8601 UTC
 * instants of the bucket start.
 */
public record UsageReport(List<Row> rows, Totals totals) {

    public UsageReport {
        rows = List.copyOf(rows);
    }

    public record Row(Map<String, String> group, Totals totals) {
        public Row {
            group = Map.copyOf(group);
        }
    }

    /**
     * Sums over a set of ledger rows. Money in nano-USD. Tokens are what was billed; {@code savedInputTokens}
     * and {@code savedOutputTokens} are what cache hits did not have to buy, priced in {@code savedCostNanos}.
     */
    public record Totals(long requests, long errors, long inputTokens, long outputTokens, long cachedInputTokens,
            long cacheWriteTokens, long reasoningTokens, long costNanos, long cacheHits, long savedCostNanos,
            long savedInputTokens, long savedOutputTokens) {
        public static final Totals ZERO = new Totals(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

        public Totals(long requests, long errors, long inputTokens, long outputTokens, long cachedInputTokens,
                long cacheWriteTokens, long reasoningTokens, long costNanos, long cacheHits, long savedCostNanos) {
            this(requests, errors, inputTokens, outputTokens, cachedInputTokens, cacheWriteTokens, reasoningTokens,
                    costNanos, cacheHits, savedCostNanos, 0, 0);
        }
    }
}
