package dev.tokenrt.store.ledger;

import dev.tokenrt.ledger.LedgerEntry;
import dev.tokenrt.ledger.UsageLedger;
import dev.tokenrt.ledger.UsageQuery;
import dev.tokenrt.ledger.UsageReport;
import dev.tokenrt.store.jdbc.Dialect;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The usage ledger on a SQL database: SQLite (a file, WAL mode, for one machine) or PostgreSQL (pooled, for
 * many gateway replicas). It is the durable source of truth for spend, so the design favours never losing
 * or doubling a row over anything else:
 * <ul>
 *   <li>{@link #append} only queues the row (bounded; see {@link LedgerOptions} for back-pressure and
 *       drops); one writer thread commits batches, each with its daily-rollup update, in one transaction.</li>
 *   <li>Rows are keyed by request id and inserted idempotently, so a retried batch never counts twice.</li>
 *   <li>{@link #flush} returns once everything appended before it is committed; {@link #close} flushes.</li>
 *   <li>Reports come from the {@code usage_daily} rollup when the query allows it, from raw rows otherwise.</li>
 * </ul>
 * The schema is created and upgraded by Flyway migrations on {@link #open}; opening twice is harmless.
 *
 * <p>Durability: a row is durable once its batch commits, at most {@code flushInterval} (default 50 ms)
 * plus one commit after {@code append} returned. With SQLite's {@code synchronous=NORMAL} a committed batch
 * survives the process being killed, not a power cut or an OS crash (the last commits may then be lost).
 */
public final class JdbcUsageLedger implements UsageLedger {

    private static final Logger LOG = LoggerFactory.getLogger(JdbcUsageLedger.class);
    private static final int RETENTION_CHUNK = 5_000;

    private final Connections connections;
    private final BatchWriter writer;
    private final LedgerOptions options;

    private JdbcUsageLedger(Connections connections, LedgerOptions options) {
        this.connections = connections;
        this.options = options;
        this.writer = new BatchWriter(connections, options);
    }

    /**
     * Opens (creating or migrating the schema) the ledger at {@code jdbc:sqlite:/path/file.db} or
     * {@code jdbc:postgresql://host:port/db}.
     *
     * @throws IllegalArgumentException for any other URL, or an in-memory SQLite database
     * @throws LedgerException          if the database cannot be reached or migrated
     */
    public static JdbcUsageLedger open(String jdbcUrl, LedgerOptions opts) {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Objects.requireNonNull(opts, "opts");
        Connections connections = Connections.open(jdbcUrl, opts);
        LOG.info("usage ledger open on {} ({})", Dialect.redact(jdbcUrl), connections.dialect());
        return new JdbcUsageLedger(connections, opts);
    }

    /** The embedded default: {@code <dataDir>/tokenrt.db} in SQLite, created with its directory if missing. */
    public static JdbcUsageLedger sqlite(Path dataDir) {
        return sqlite(dataDir, LedgerOptions.defaults());
    }

    public static JdbcUsageLedger sqlite(Path dataDir, LedgerOptions opts) {
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the ledger directory " + dataDir, e);
        }
        return open("jdbc:sqlite:" + dataDir.toAbsolutePath().resolve("tokenrt.db"), opts);
    }

    /**
     * Queues one row; never waits on the database. If the queue stays full for {@code enqueueTimeout} the row
     * is dropped, counted in {@link LedgerStats#dropped()} and logged at WARN; rows appended after
     * {@link #close} are dropped the same way.
     *
     * @throws IllegalArgumentException if the row's time is outside what the ledger stores (years 1678–2261)
     */
    @Override
    public void append(LedgerEntry entry) {
        Objects.requireNonNull(entry, "entry");
        Rows.toNanos(entry.time()); // a programming error, reported to the caller rather than the writer
        writer.append(entry);
    }

    /**
     * Blocks until every row accepted by {@link #append} before this call is committed, or the timeout
     * passes. Rows that were dropped or rejected as invalid are not waited for (see {@link #stats()}).
     */
    @Override
    public boolean flush(Duration timeout) {
        return writer.flush(Objects.requireNonNull(timeout, "timeout"));
    }

    @Override
    public UsageReport query(UsageQuery query) {
        return query(query, Reports.plan(query));
    }

    /** Whether {@link #query} answers this query from the daily rollup (rather than the raw rows). */
    public boolean answersFromRollup(UsageQuery query) {
        return Reports.plan(query) == Reports.Source.ROLLUP;
    }

    /** Runs the query on the given source; package-private so tests can compare both. */
    UsageReport query(UsageQuery query, Reports.Source source) {
        try (Connection c = connections.read()) {
            try {
                return Reports.run(c, query, source);
            } finally {
                c.rollback();
            }
        } catch (SQLException e) {
            throw new LedgerException("usage query failed: " + e.getMessage(), e);
        }
    }

    /** One stored row by request id. */
    public Optional<LedgerEntry> find(String requestId) {
        Objects.requireNonNull(requestId, "requestId");
        List<LedgerEntry> found = read(Rows.SELECT + " WHERE request_id = ?",
                "SELECT request_id, tag FROM request_tags WHERE request_id = ? ORDER BY request_id, position",
                ps -> ps.setString(1, requestId));
        return found.stream().findFirst();
    }

    /** Stored rows with {@code from <= time < to}, oldest first (ties by request id), at most {@code limit}. */
    public List<LedgerEntry> entries(Instant from, Instant to, int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit cannot be negative: " + limit);
        }
        long lo = Rows.toNanosSaturated(from);
        long hi = Rows.toNanosSaturated(to);
        String page = " WHERE time_ns >= ? AND time_ns < ? ORDER BY time_ns, request_id LIMIT ?";
        return read(Rows.SELECT + page,
                "SELECT request_id, tag FROM request_tags WHERE request_id IN (SELECT request_id FROM requests"
                        + page + ") ORDER BY request_id, position",
                ps -> {
                    ps.setLong(1, lo);
                    ps.setLong(2, hi);
                    ps.setInt(3, limit);
                });
    }

    private interface Binder {
        void bind(PreparedStatement ps) throws SQLException;
    }

    private List<LedgerEntry> read(String rowsSql, String tagsSql, Binder binder) {
        try (Connection c = connections.read()) {
            try {
                Map<String, List<String>> tags = new HashMap<>();
                try (PreparedStatement ps = c.prepareStatement(tagsSql)) {
                    binder.bind(ps);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            tags.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(rs.getString(2));
                        }
                    }
                }
                List<LedgerEntry> out = new ArrayList<>();
                try (PreparedStatement ps = c.prepareStatement(rowsSql)) {
                    binder.bind(ps);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            out.add(Rows.read(rs, tags.getOrDefault(rs.getString(1), List.of())));
                        }
                    }
                }
                return out;
            } finally {
                c.rollback();
            }
        } catch (SQLException e) {
            throw new LedgerException("ledger read failed: " + e.getMessage(), e);
        }
    }

    /**
     * Retention: deletes raw rows (and their tags) with {@code time < cutoff}, in chunks so that the writer
     * keeps committing in between. The daily rollup is kept, so day-level reports over the deleted period
     * still answer; queries that need raw rows (session, tag, hour, or bounds off midnight) no longer see them.
     *
     * @return the number of requests deleted (saturating at {@link Integer#MAX_VALUE})
     */
    public int deleteOlderThan(Instant cutoff) {
        Objects.requireNonNull(cutoff, "cutoff");
        long before = Rows.toNanosSaturated(cutoff);
        long total = 0;
        try {
            while (true) {
                int n = deleteChunk(before);
                total += n;
                if (n < RETENTION_CHUNK) {
                    break;
                }
            }
        } catch (SQLException e) {
            throw new LedgerException("ledger retention failed after deleting " + total + " rows: " + e.getMessage(),
                    e);
        }
        if (total > 0) {
            LOG.info("usage ledger retention deleted {} requests older than {}", total, cutoff);
        }
        return (int) Math.min(Integer.MAX_VALUE, total);
    }

    private int deleteChunk(long before) throws SQLException {
        try (Connection c = connections.write()) {
            try {
                List<String> ids = new ArrayList<>();
                try (PreparedStatement ps = c.prepareStatement(
                        "SELECT request_id FROM requests WHERE time_ns < ? ORDER BY time_ns LIMIT ?")) {
                    ps.setLong(1, before);
                    ps.setInt(2, RETENTION_CHUNK);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            ids.add(rs.getString(1));
                        }
                    }
                }
                if (!ids.isEmpty()) {
                    deleteBy(c, "DELETE FROM request_tags WHERE request_id = ?", ids);
                    deleteBy(c, "DELETE FROM requests WHERE request_id = ?", ids);
                }
                c.commit();
                return ids.size();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    private static void deleteBy(Connection c, String sql, List<String> ids) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (String id : ids) {
                ps.setString(1, id);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** Counters since open: accepted, written, duplicate, dropped and failed rows, and the queue's length. */
    public LedgerStats stats() {
        return writer.stats();
    }

    /** Rows refused by {@link #append} since open (queue full or ledger closed); each also logged at WARN. */
    public long droppedCount() {
        return writer.stats().dropped();
    }

    /**
     * Writes everything queued (waiting up to {@code closeTimeout}), then closes the pools. A row appended
     * before a clean close is stored; if the database stays unavailable past the timeout, the rows still
     * queued are counted as failed and logged at ERROR. Calling it again does nothing.
     */
    @Override
    public void close() {
        try {
            writer.close(options.closeTimeout());
        } finally {
            connections.close();
        }
    }
}
