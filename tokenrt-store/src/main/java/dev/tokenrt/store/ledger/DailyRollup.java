package dev.tokenrt.store.ledger;

import dev.tokenrt.ledger.LedgerEntry;
import dev.tokenrt.ledger.LedgerEntry.CacheOutcome;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code usage_daily} rollup: one row per (day, provider, model served, key, user, project, team) with
 * summed counters. A batch's rows are summed in memory and upserted in the batch's own transaction, so the
 * rollup never disagrees with the raw rows it was built from.
 */
final class DailyRollup {

    /** The same upsert in both dialects; the target table name qualifies the existing row. */
    static final String UPSERT = "INSERT INTO usage_daily (day, provider, model_served, key_id, user_id, project, "
            + "team, requests, errors, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, "
            + "reasoning_tokens, cost_nanos, cache_hits, saved_cost_nanos, saved_input_tokens, saved_output_tokens) "
            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            + "ON CONFLICT (day, provider, model_served, key_id, user_id, project, team) DO UPDATE SET "
            + "requests = usage_daily.requests + excluded.requests, "
            + "errors = usage_daily.errors + excluded.errors, "
            + "input_tokens = usage_daily.input_tokens + excluded.input_tokens, "
            + "output_tokens = usage_daily.output_tokens + excluded.output_tokens, "
            + "cache_read_tokens = usage_daily.cache_read_tokens + excluded.cache_read_tokens, "
            + "cache_write_tokens = usage_daily.cache_write_tokens + excluded.cache_write_tokens, "
            + "reasoning_tokens = usage_daily.reasoning_tokens + excluded.reasoning_tokens, "
            + "cost_nanos = usage_daily.cost_nanos + excluded.cost_nanos, "
            + "cache_hits = usage_daily.cache_hits + excluded.cache_hits, "
            + "saved_cost_nanos = usage_daily.saved_cost_nanos + excluded.saved_cost_nanos, "
            + "saved_input_tokens = usage_daily.saved_input_tokens + excluded.saved_input_tokens, "
            + "saved_output_tokens = usage_daily.saved_output_tokens + excluded.saved_output_tokens";

    record Key(long day, String provider, String model, String keyId, String user, String project, String team) {
        // Keys are upserted in this order so that two PostgreSQL writers never lock rows in opposite orders.
        static final Comparator<Key> ORDER = Comparator.comparingLong(Key::day).thenComparing(Key::provider)
                .thenComparing(Key::model).thenComparing(Key::keyId).thenComparing(Key::user)
                .thenComparing(Key::project).thenComparing(Key::team);

        static Key of(LedgerEntry e) {
            var a = e.attribution();
            return new Key(Rows.epochDay(e.time()), e.provider(), e.modelServed(), a.keyId(), a.user(), a.project(),
                    a.team());
        }
    }

    private DailyRollup() {
    }

    /** Errors are requests the client saw fail: any status of 400 or more (499 included). */
    static boolean isError(LedgerEntry e) {
        return e.status() >= 400;
    }

    static boolean isCacheHit(LedgerEntry e) {
        return e.cache() == CacheOutcome.HIT || e.cache() == CacheOutcome.SEMANTIC;
    }

    /** Adds the given (newly inserted) rows to the rollup, in the caller's transaction. */
    static void add(Connection c, List<LedgerEntry> inserted) throws SQLException {
        if (inserted.isEmpty()) {
            return;
        }
        Map<Key, long[]> sums = new TreeMap<>(Key.ORDER);
        for (LedgerEntry e : inserted) {
            long[] s = sums.computeIfAbsent(Key.of(e), k -> new long[12]);
            var u = e.usage();
            s[0] += 1;
            s[1] += isError(e) ? 1 : 0;
            s[2] += u.inputTokens();
            s[3] += u.outputTokens();
            s[4] += u.cacheReadTokens();
            s[5] += u.cacheWriteTokens();
            s[6] += u.reasoningTokens();
            s[7] += e.costNanos();
            s[8] += isCacheHit(e) ? 1 : 0;
            s[9] += e.savedCostNanos();
            s[10] += e.savedInputTokens();
            s[11] += e.savedOutputTokens();
        }
        try (PreparedStatement ps = c.prepareStatement(UPSERT)) {
            for (var entry : sums.entrySet()) {
                Key k = entry.getKey();
                int i = 0;
                ps.setLong(++i, k.day());
                ps.setString(++i, k.provider());
                ps.setString(++i, k.model());
                ps.setString(++i, k.keyId());
                ps.setString(++i, k.user());
                ps.setString(++i, k.project());
                ps.setString(++i, k.team());
                for (long v : entry.getValue()) {
                    ps.setLong(++i, v);
                }
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }
}
