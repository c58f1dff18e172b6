package dev.tokenrt.store.cache;

import com.zaxxer.hikari.HikariDataSource;
import dev.tokenrt.cache.CacheCodec;
import dev.tokenrt.cache.CacheKey;
import dev.tokenrt.cache.CacheLayerException;
import dev.tokenrt.cache.CachedResponse;
import dev.tokenrt.cache.Invalidation;
import dev.tokenrt.cache.ResponseCache;
import dev.tokenrt.store.jdbc.Databases;
import dev.tokenrt.store.jdbc.Dialect;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The database layer (L3) of the exact response cache, in the SQL database the ledger uses (SQLite on one
 * machine, PostgreSQL for many): the largest and slowest layer, which survives restarts and, on PostgreSQL,
 * is shared by every replica. One row per entry ({@code cache_entries}, migration V6) holding the deflated
 * bytes, plus its tags; expired rows are never read and {@link #sweep} deletes them.
 */
public final class JdbcResponseCache implements ResponseCache {

    /**
     * @param busyTimeout how long a statement may wait for a lock (SQLite) or a connection (both)
     * @param poolSize    connections in the pool
     * @param clock       "now", for what {@link #put} refuses as already expired
     */
    public record Options(Duration busyTimeout, int poolSize, Clock clock) {
        public Options {
            Objects.requireNonNull(busyTimeout, "busyTimeout");
            Objects.requireNonNull(clock, "clock");
            if (poolSize < 1) {
                throw new IllegalArgumentException("poolSize must be at least 1");
            }
        }

        public static Options defaults() {
            return new Options(Duration.ofSeconds(2), 4, Clock.systemUTC());
        }

        public Options withClock(Clock c) {
            return new Options(busyTimeout, poolSize, c);
        }
    }

    private static final String UPSERT = "INSERT INTO cache_entries (namespace, hash, model, stored_at_ns, "
            + "expires_at_ns, value) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (namespace, hash) DO UPDATE SET "
            + "model = excluded.model, stored_at_ns = excluded.stored_at_ns, expires_at_ns = excluded.expires_at_ns, "
            + "value = excluded.value";

    private final HikariDataSource pool;
    private final Clock clock;
    private final String where;

    private JdbcResponseCache(HikariDataSource pool, Clock clock, String where) {
        this.pool = pool;
        this.clock = clock;
        this.where = where;
    }

    /** Opens (and migrates) the database at {@code jdbcUrl}. */
    public static JdbcResponseCache open(String jdbcUrl, Options opts) {
        Dialect dialect = Dialect.of(jdbcUrl);
        DataSource ds = Databases.dataSource(dialect, jdbcUrl, opts.busyTimeout(), Optional.empty(), Optional.empty(),
                "tokenrt-cache");
        try {
            Databases.migrate(dialect, ds);
        } catch (RuntimeException e) {
            throw new CacheLayerException("cannot migrate the cache tables at " + Dialect.redact(jdbcUrl) + ": "
                    + e.getMessage(), e);
        }
        return new JdbcResponseCache(Databases.pool(ds, "tokenrt-cache", opts.poolSize(), opts.busyTimeout(), true),
                opts.clock(), Dialect.redact(jdbcUrl));
    }

    private static long nanos(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
    }

    /** Work inside one transaction. */
    @FunctionalInterface
    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /** Runs {@code work} in a transaction on a pooled connection: committed when it returns, rolled back when it throws. */
    private <T> T transaction(String op, Work<T> work) {
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw failed(op, e);
        }
    }

    private CacheLayerException failed(String op, SQLException e) {
        return new CacheLayerException("response cache " + op + " failed on " + where + ": " + e.getMessage(), e);
    }

    @Override
    public String name() {
        return "database";
    }

    @Override
    public Optional<CachedResponse> get(CacheKey key, Instant now) {
        try (Connection c = pool.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT value FROM cache_entries WHERE namespace = ? AND hash = ? AND expires_at_ns > ?")) {
            ps.setString(1, key.namespace());
            ps.setString(2, key.hash());
            ps.setLong(3, nanos(now));
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                byte[] bytes = rs.getBytes(1);
                try {
                    return Optional.of(CacheCodec.decode(bytes)).filter(v -> !v.expiredAt(now));
                } catch (IllegalArgumentException e) {
                    throw new CacheLayerException("unreadable cache entry " + key + " on " + where + ": " + e.getMessage());
                }
            }
        } catch (SQLException e) {
            throw failed("get", e);
        }
    }

    @Override
    public void put(CacheKey key, CachedResponse value) {
        if (value.expiredAt(clock.instant())) {
            return;
        }
        transaction("put", c -> {
            try (PreparedStatement ps = c.prepareStatement(UPSERT)) {
                ps.setString(1, key.namespace());
                ps.setString(2, key.hash());
                ps.setString(3, value.model());
                ps.setLong(4, nanos(value.storedAt()));
                ps.setLong(5, nanos(value.expiresAt()));
                ps.setBytes(6, CacheCodec.encode(value));
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM cache_entry_tags WHERE namespace = ? AND hash = ?")) {
                ps.setString(1, key.namespace());
                ps.setString(2, key.hash());
                ps.executeUpdate();
            }
            if (!value.tags().isEmpty()) {
                try (PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO cache_entry_tags (namespace, hash, tag) VALUES (?, ?, ?)")) {
                    for (String t : new LinkedHashSet<>(value.tags())) {
                        ps.setString(1, key.namespace());
                        ps.setString(2, key.hash());
                        ps.setString(3, t);
                        ps.addBatch();
                    }
                    ps.executeBatch();
                }
            }
            return null;
        });
    }

    @Override
    public long invalidate(Invalidation which) {
        List<String> where = new ArrayList<>();
        List<Object> args = new ArrayList<>();
        which.namespace().ifPresent(ns -> {
            where.add("e.namespace = ?");
            args.add(ns);
        });
        which.model().ifPresent(m -> {
            where.add("e.model = ?");
            args.add(m);
        });
        which.tag().ifPresent(t -> {
            where.add("EXISTS (SELECT 1 FROM cache_entry_tags t WHERE t.namespace = e.namespace AND t.hash = e.hash "
                    + "AND t.tag = ?)");
            args.add(t);
        });
        which.storedBefore().ifPresent(t -> {
            where.add("e.stored_at_ns < ?");
            args.add(nanos(t));
        });
        String sql = "DELETE FROM cache_entries" + (where.isEmpty() ? "" : " WHERE (namespace, hash) IN "
                + "(SELECT e.namespace, e.hash FROM cache_entries e WHERE " + String.join(" AND ", where) + ")");
        return transaction("invalidate", c -> {
            int n;
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                for (int i = 0; i < args.size(); i++) {
                    ps.setObject(i + 1, args.get(i));
                }
                n = ps.executeUpdate();
            }
            deleteOrphanTags(c);
            return (long) n;
        });
    }

    private static void deleteOrphanTags(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM cache_entry_tags WHERE NOT EXISTS (SELECT 1 FROM "
                + "cache_entries e WHERE e.namespace = cache_entry_tags.namespace AND e.hash = cache_entry_tags.hash)")) {
            ps.executeUpdate();
        }
    }

    /** Deletes entries expired by {@code now}; returns how many. */
    public long sweep(Instant now) {
        return transaction("sweep", c -> {
            int n;
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM cache_entries WHERE expires_at_ns <= ?")) {
                ps.setLong(1, nanos(now));
                n = ps.executeUpdate();
            }
            if (n > 0) {
                deleteOrphanTags(c);
            }
            return (long) n;
        });
    }

    @Override
    public long size() {
        try (Connection c = pool.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM cache_entries");
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw failed("size", e);
        }
    }

    @Override
    public void close() {
        pool.close();
    }
}
