package dev.tokenrt.store.ledger;

import dev.tokenrt.ledger.LedgerEntry;
import dev.tokenrt.ledger.LedgerEntry.Attribution;
import dev.tokenrt.ledger.LedgerEntry.CacheOutcome;
import dev.tokenrt.usage.Usage;
import dev.tokenrt.usage.UsageSource;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;

/**
 * How a {@link LedgerEntry} maps to the {@code requests} and {@code request_tags} tables, both ways. The SQL
 * is the same for both dialects.
 */
final class Rows {

    static final long NANOS_PER_SECOND = 1_000_000_000L;
    static final long SECONDS_PER_DAY = 86_400L;
    static final long NANOS_PER_HOUR = 3_600L * NANOS_PER_SECOND;

    static final String COLUMNS = "request_id, time_ns, day, key_id, user_id, project, team, session_id, provider, "
            + "model_requested, model_served, input_tokens, output_tokens, cache_read_tokens, cache_write_5m_tokens, "
            + "cache_write_1h_tokens, reasoning_tokens, input_source, output_source, cost_nanos, cache_outcome, "
            + "saved_cost_nanos, route, stream, status, error_type, latency_ms, first_chunk_ms, "
            + "saved_input_tokens, saved_output_tokens";

    /** Idempotent by request id: a retried batch or a repeated id never doubles a row or its rollup. */
    static final String INSERT = "INSERT INTO requests (" + COLUMNS + ") VALUES "
            + "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            + "ON CONFLICT (request_id) DO NOTHING";

    static final String INSERT_TAG = "INSERT INTO request_tags (request_id, tag, position) VALUES (?, ?, ?)";

    static final String SELECT = "SELECT " + COLUMNS + " FROM requests";

    private Rows() {
    }

    /** Epoch nanoseconds of an instant; the ledger's time column. */
    static long toNanos(Instant t) {
        try {
            return Math.addExact(Math.multiplyExact(t.getEpochSecond(), NANOS_PER_SECOND), t.getNano());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("ledger time out of range (years 1678 to 2261): " + t, e);
        }
    }

    /** Like {@link #toNanos} but clamps: query bounds may be anything. */
    static long toNanosSaturated(Instant t) {
        try {
            return toNanos(t);
        } catch (IllegalArgumentException e) {
            return t.getEpochSecond() < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }

    static Instant fromNanos(long nanos) {
        return Instant.ofEpochSecond(Math.floorDiv(nanos, NANOS_PER_SECOND), Math.floorMod(nanos, NANOS_PER_SECOND));
    }

    /** The UTC epoch day of an instant. */
    static long epochDay(Instant t) {
        return Math.floorDiv(t.getEpochSecond(), SECONDS_PER_DAY);
    }

    /** Tags are a set: the first occurrence of each wins and keeps its position. */
    static List<String> distinctTags(LedgerEntry e) {
        return List.copyOf(new LinkedHashSet<>(e.attribution().tags()));
    }

    static void bind(PreparedStatement ps, LedgerEntry e) throws SQLException {
        Attribution a = e.attribution();
        Usage u = e.usage();
        int i = 0;
        ps.setString(++i, e.requestId());
        ps.setLong(++i, toNanos(e.time()));
        ps.setLong(++i, epochDay(e.time()));
        ps.setString(++i, a.keyId());
        ps.setString(++i, a.user());
        ps.setString(++i, a.project());
        ps.setString(++i, a.team());
        ps.setString(++i, a.session());
        ps.setString(++i, e.provider());
        ps.setString(++i, e.modelRequested());
        ps.setString(++i, e.modelServed());
        ps.setLong(++i, u.inputTokens());
        ps.setLong(++i, u.outputTokens());
        ps.setLong(++i, u.cacheReadTokens());
        ps.setLong(++i, u.cacheWrite5mTokens());
        ps.setLong(++i, u.cacheWrite1hTokens());
        ps.setLong(++i, u.reasoningTokens());
        ps.setString(++i, u.inputSource().wireName());
        ps.setString(++i, u.outputSource().wireName());
        ps.setLong(++i, e.costNanos());
        ps.setString(++i, e.cache().name().toLowerCase(Locale.ROOT));
        ps.setLong(++i, e.savedCostNanos());
        ps.setString(++i, e.route());
        ps.setBoolean(++i, e.stream());
        ps.setInt(++i, e.status());
        ps.setString(++i, e.errorType());
        ps.setLong(++i, e.latencyMillis());
        ps.setLong(++i, e.firstChunkMillis());
        ps.setLong(++i, e.savedInputTokens());
        ps.setLong(++i, e.savedOutputTokens());
    }

    /** Reads the row at the cursor (columns in {@link #COLUMNS} order); tags come from a separate query. */
    static LedgerEntry read(ResultSet rs, List<String> tags) throws SQLException {
        int i = 0;
        String requestId = rs.getString(++i);
        Instant time = fromNanos(rs.getLong(++i));
        ++i; // day is derived from time
        Attribution attribution = new Attribution(rs.getString(++i), rs.getString(++i), rs.getString(++i),
                rs.getString(++i), rs.getString(++i), tags);
        String provider = rs.getString(++i);
        String modelRequested = rs.getString(++i);
        String modelServed = rs.getString(++i);
        long input = rs.getLong(++i);
        long output = rs.getLong(++i);
        long cacheRead = rs.getLong(++i);
        long write5m = rs.getLong(++i);
        long write1h = rs.getLong(++i);
        long reasoning = rs.getLong(++i);
        UsageSource inputSource = source(rs.getString(++i));
        UsageSource outputSource = source(rs.getString(++i));
        Usage usage = new Usage(input, output, cacheRead, write5m, write1h, reasoning, inputSource, outputSource);
        long cost = rs.getLong(++i);
        CacheOutcome cache = CacheOutcome.valueOf(rs.getString(++i).toUpperCase(Locale.ROOT));
        long saved = rs.getLong(++i);
        String route = rs.getString(++i);
        boolean stream = rs.getBoolean(++i);
        int status = rs.getInt(++i);
        String errorType = rs.getString(++i);
        long latency = rs.getLong(++i);
        long firstChunk = rs.getLong(++i);
        long savedInput = rs.getLong(++i);
        long savedOutput = rs.getLong(++i);
        return new LedgerEntry(requestId, time, attribution, provider, modelRequested, modelServed, usage, cost,
                cache, saved, route, stream, status, errorType, latency, firstChunk, savedInput, savedOutput);
    }

    private static UsageSource source(String wire) {
        return UsageSource.valueOf(wire.toUpperCase(Locale.ROOT));
    }

    /** Tags of one request, in their original order. */
    static List<String> tags(ResultSet rs) throws SQLException {
        List<String> tags = new ArrayList<>();
        while (rs.next()) {
            tags.add(rs.getString(1));
        }
        return tags;
    }
}
