package dev.tokenrt.store.budget;

import com.zaxxer.hikari.HikariDataSource;
import dev.tokenrt.budget.CounterStore;
import dev.tokenrt.budget.CounterStoreUnavailableException;
import dev.tokenrt.store.jdbc.Databases;
import dev.tokenrt.store.jdbc.Dialect;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import javax.sql.DataSource;
import org.flywaydb.core.api.FlywayException;
import org.postgresql.ds.PGSimpleDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Budget counters in a SQL database: the embedded default on SQLite (the same {@code tokenrt.db} file as the
 * usage ledger, so a restart keeps what was spent), and PostgreSQL for replicas that share one database.
 * Every operation is one transaction:
 * <ul>
 *   <li>SQLite: {@code BEGIN IMMEDIATE} takes the database's write lock before anything is read, so a
 *       check-and-hold is atomic across connections and across processes on one machine; this store uses one
 *       connection, so threads of one process queue for it instead of polling SQLite's busy handler.</li>
 *   <li>PostgreSQL: each counter row is created if missing and then locked with {@code SELECT … FOR UPDATE},
 *       always in key order, so concurrent reservations on overlapping counters serialize without
 *       deadlocks; a deadlock or serialization failure is retried a few times.</li>
 * </ul>
 * A reserve under a hold id that is already held returns the existing grant and holds nothing more, so a
 * retry after a lost reply cannot hold twice. Settling keys the hold does not have is ignored. The sweep also
 * forgets counters whose window ended more than {@code counterGrace} ago and that hold nothing.
 *
 * <p>Failures to reach or use the database (including every wait, each bounded by {@code busyTimeout}: SQLite's
 * busy timeout, the pool's wait for a connection, PostgreSQL's lock, statement and socket timeouts) raise
 * {@link CounterStoreUnavailableException}.
 */
public final class JdbcCounterStore implements CounterStore {

    private static final Logger LOG = LoggerFactory.getLogger(JdbcCounterStore.class);
    private static final int SWEEP_BATCH = 500;
    private static final int ATTEMPTS = 5;

    /**
     * Tuning of a {@link JdbcCounterStore}; exists so configuration can set it and tests can inject time.
     *
     * @param busyTimeout      how long an operation may wait for a lock or a pooled connection (SQLite busy
     *                         timeout, pool wait; PostgreSQL connect and lock timeouts, twice it for a
     *                         statement, and the socket read timeout rounded up to whole seconds plus one)
     *                         before failing as unavailable
     * @param postgresPoolSize connections kept to PostgreSQL (SQLite always uses exactly one)
     * @param counterGrace     how long after its window ends a counter is kept (then the sweep forgets it)
     * @param clock            where {@code reserve} takes "now" from to compute a hold's expiry
     * @param username         database user, if not given in the URL (PostgreSQL)
     * @param password         database password, if not given in the URL (PostgreSQL); never printed
     */
    public record Options(Duration busyTimeout, int postgresPoolSize, Duration counterGrace, Clock clock,
            Optional<String> username, Optional<String> password) {

        public Options {
            Objects.requireNonNull(busyTimeout, "busyTimeout");
            Objects.requireNonNull(counterGrace, "counterGrace");
            Objects.requireNonNull(clock, "clock");
            Objects.requireNonNull(username, "username");
            Objects.requireNonNull(password, "password");
            if (busyTimeout.isNegative() || busyTimeout.isZero()) {
                throw new IllegalArgumentException("busyTimeout must be positive, got " + busyTimeout);
            }
            if (counterGrace.isNegative()) {
                throw new IllegalArgumentException("counterGrace cannot be negative, got " + counterGrace);
            }
            if (postgresPoolSize < 1) {
                throw new IllegalArgumentException("postgresPoolSize must be at least 1, got " + postgresPoolSize);
            }
        }

        /** 5 s busy timeout, 8 PostgreSQL connections, counters kept a day past their window, the UTC clock. */
        public static Options defaults() {
            return new Options(Duration.ofSeconds(5), 8, Duration.ofDays(1), Clock.systemUTC(), Optional.empty(),
                    Optional.empty());
        }

        public Options withBusyTimeout(Duration timeout) {
            return new Options(timeout, postgresPoolSize, counterGrace, clock, username, password);
        }

        public Options withPostgresPoolSize(int connections) {
            return new Options(busyTimeout, connections, counterGrace, clock, username, password);
        }

        public Options withCounterGrace(Duration grace) {
            return new Options(busyTimeout, postgresPoolSize, grace, clock, username, password);
        }

        public Options withClock(Clock c) {
            return new Options(busyTimeout, postgresPoolSize, counterGrace, c, username, password);
        }

        public Options withCredentials(String user, String secret) {
            return new Options(busyTimeout, postgresPoolSize, counterGrace, clock, Optional.of(user),
                    Optional.of(secret));
        }

        /** Like the record's own, but the password is masked: options end up in logs. */
        @Override
        public String toString() {
            return "JdbcCounterStore.Options[busyTimeout=" + busyTimeout + ", postgresPoolSize=" + postgresPoolSize
                    + ", counterGrace=" + counterGrace + ", clock=" + clock + ", username=" + username.orElse("")
                    + ", password=" + (password.isPresent() ? "****" : "") + "]";
        }
    }

    private final Dialect dialect;
    private final String where;
    private final HikariDataSource pool;
    private final Clock clock;
    private final Duration counterGrace;
    private final String lock;

    private JdbcCounterStore(Dialect dialect, String where, HikariDataSource pool, Options opts) {
        this.dialect = dialect;
        this.where = where;
        this.pool = pool;
        this.clock = opts.clock();
        this.counterGrace = opts.counterGrace();
        this.lock = dialect == Dialect.POSTGRESQL ? " FOR UPDATE" : "";
    }

    /**
     * Opens (creating or migrating the schema, shared with the ledger) the counters at
     * {@code jdbc:sqlite:/path/file.db} or {@code jdbc:postgresql://host:port/db}.
     *
     * @throws IllegalArgumentException         for any other URL, or an in-memory SQLite database
     * @throws CounterStoreUnavailableException if the database cannot be reached or migrated
     */
    public static JdbcCounterStore open(String jdbcUrl, Options opts) {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Objects.requireNonNull(opts, "opts");
        Dialect dialect = Dialect.of(jdbcUrl);
        String where = Dialect.redact(jdbcUrl);
        DataSource plain = Databases.dataSource(dialect, jdbcUrl, opts.busyTimeout(), opts.username(),
                opts.password(), "tokenrt-counters");
        if (plain instanceof PGSimpleDataSource pg) {
            // Bound every wait on the server too: a row lock held by a stuck transaction, a statement, a socket
            // that stopped answering. Any of them fails the operation as unavailable instead of hanging it.
            long ms = Math.max(1, opts.busyTimeout().toMillis());
            // The statement timeout is the wider net, so that a lock wait reports itself as such.
            pg.setOptions("-c lock_timeout=" + ms + " -c statement_timeout=" + Math.multiplyExact(ms, 2));
            pg.setSocketTimeout((int) Math.min(Integer.MAX_VALUE, (ms + 999) / 1000 + 1));
        }
        try {
            Databases.migrate(dialect, plain);
        } catch (FlywayException e) {
            throw new CounterStoreUnavailableException("cannot migrate the budget counter schema at " + where + ": "
                    + e.getMessage(), e);
        }
        HikariDataSource pool;
        try {
            // SQLite: one connection with auto-commit on, so that this class issues BEGIN IMMEDIATE itself (the
            // driver's own transaction mode would begin the next transaction eagerly and keep the lock idle).
            pool = dialect == Dialect.SQLITE
                    ? Databases.pool(plain, "tokenrt-counters", 1, opts.busyTimeout(), true)
                    : Databases.pool(plain, "tokenrt-counters", opts.postgresPoolSize(), opts.busyTimeout(), false);
        } catch (RuntimeException e) {
            throw new CounterStoreUnavailableException("cannot open budget counter connections to " + where, e);
        }
        LOG.info("budget counters open on {} ({})", where, dialect);
        return new JdbcCounterStore(dialect, where, pool, opts);
    }

    /** The embedded default: {@code <dataDir>/tokenrt.db} (the ledger's file), created with its directory. */
    public static JdbcCounterStore sqlite(Path dataDir) {
        return sqlite(dataDir, Options.defaults());
    }

    public static JdbcCounterStore sqlite(Path dataDir, Options opts) {
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the data directory " + dataDir, e);
        }
        return open("jdbc:sqlite:" + dataDir.toAbsolutePath().resolve("tokenrt.db"), opts);
    }

    @Override
    public Reservation reserve(String holdId, List<Hold> holds, Duration ttl) {
        Checks.holdId(holdId);
        Checks.holds(holds);
        Checks.ttl(ttl);
        Instant expiresAt;
        try {
            expiresAt = clock.instant().plus(ttl).truncatedTo(ChronoUnit.MILLIS);
        } catch (DateTimeException | ArithmeticException e) {
            throw new IllegalArgumentException("ttl too long: " + ttl, e);
        }
        if (holds.isEmpty()) {
            return new Reservation.Granted(holdId, expiresAt);
        }
        long expiresNs = Checks.epochNanos(expiresAt);
        List<Hold> inLockOrder = holds.stream().sorted(Comparator.comparing(Hold::key)).toList();
        return transaction("reserve", true, (c, tx) -> {
            Map<String, long[]> now = new HashMap<>();
            try (PreparedStatement ensure = c.prepareStatement("INSERT INTO budget_counters "
                    + "(counter_key, used, held, window_end_ns) VALUES (?, 0, 0, ?) ON CONFLICT (counter_key) DO NOTHING");
                    PreparedStatement read = c.prepareStatement(
                            "SELECT used, held FROM budget_counters WHERE counter_key = ?" + lock)) {
                for (Hold h : inLockOrder) {
                    ensure.setString(1, h.key());
                    ensure.setLong(2, Checks.epochNanos(h.windowEnd()));
                    ensure.executeUpdate();
                    read.setString(1, h.key());
                    try (ResultSet rs = read.executeQuery()) {
                        if (!rs.next()) {
                            throw new SQLException("counter row " + h.key() + " vanished inside its transaction");
                        }
                        now.put(h.key(), new long[] {rs.getLong(1), rs.getLong(2)});
                    }
                }
            }
            // After the counters are locked, so that a concurrent retry of the same hold sees the first one.
            Optional<Instant> existing = existingExpiry(c, holdId);
            if (existing.isPresent()) {
                tx.rollbackOnly = true;
                return new Reservation.Granted(holdId, existing.get());
            }
            for (Hold h : holds) {
                long[] uh = now.get(h.key());
                if (!Checks.fits(uh[0], uh[1], h.amount(), h.limit())) {
                    tx.rollbackOnly = true;
                    return new Reservation.Refused(h.key(), uh[0], uh[1], h.limit());
                }
            }
            try (PreparedStatement hold = c.prepareStatement("UPDATE budget_counters SET held = held + ?, "
                    + "window_end_ns = CASE WHEN window_end_ns < ? THEN ? ELSE window_end_ns END WHERE counter_key = ?");
                    PreparedStatement row = c.prepareStatement("INSERT INTO budget_holds "
                            + "(hold_id, counter_key, amount, expires_ns) VALUES (?, ?, ?, ?)")) {
                for (Hold h : inLockOrder) {
                    long windowEnd = Checks.epochNanos(h.windowEnd());
                    hold.setLong(1, h.amount());
                    hold.setLong(2, windowEnd);
                    hold.setLong(3, windowEnd);
                    hold.setString(4, h.key());
                    hold.executeUpdate();
                    row.setString(1, holdId);
                    row.setString(2, h.key());
                    row.setLong(3, h.amount());
                    row.setLong(4, expiresNs);
                    row.executeUpdate();
                }
            }
            return new Reservation.Granted(holdId, expiresAt);
        });
    }

    private Optional<Instant> existingExpiry(Connection c, String holdId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT expires_ns FROM budget_holds WHERE hold_id = ? LIMIT 1")) {
            ps.setString(1, holdId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(fromNanos(rs.getLong(1))) : Optional.empty();
            }
        }
    }

    private static Instant fromNanos(long ns) {
        return Instant.ofEpochSecond(Math.floorDiv(ns, 1_000_000_000L), Math.floorMod(ns, 1_000_000_000L));
    }

    @Override
    public void settle(String holdId, Map<String, Long> actual) {
        Checks.holdId(holdId);
        Checks.actual(actual);
        Map<String, Long> copy = Map.copyOf(actual);
        transaction("settle", true, (c, tx) -> finish(c, holdId, copy, Long.MAX_VALUE));
    }

    @Override
    public void release(String holdId) {
        Checks.holdId(holdId);
        transaction("release", true, (c, tx) -> finish(c, holdId, Map.of(), Long.MAX_VALUE));
    }

    /**
     * Ends one hold: gives back what it held and adds what was used, on each of its counters in key order,
     * then deletes it. Only if it expires at or before {@code expiredByNs}. Returns whether it existed.
     */
    private boolean finish(Connection c, String holdId, Map<String, Long> actual, long expiredByNs)
            throws SQLException {
        Map<String, Long> amounts = new TreeMap<>(); // Java's key order, the order reserve locks in
        try (PreparedStatement ps = c.prepareStatement("SELECT counter_key, amount FROM budget_holds "
                + "WHERE hold_id = ? AND expires_ns <= ?" + lock)) {
            ps.setString(1, holdId);
            ps.setLong(2, expiredByNs);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    amounts.put(rs.getString(1), rs.getLong(2));
                }
            }
        }
        if (amounts.isEmpty()) {
            return false;
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE budget_counters SET held = held - ?, "
                + "used = CASE WHEN used > ? THEN ? ELSE used + ? END WHERE counter_key = ?")) {
            for (Map.Entry<String, Long> e : amounts.entrySet()) {
                long used = actual.getOrDefault(e.getKey(), 0L);
                ps.setLong(1, e.getValue());
                ps.setLong(2, Long.MAX_VALUE - used); // saturate rather than overflow
                ps.setLong(3, Long.MAX_VALUE);
                ps.setLong(4, used);
                ps.setString(5, e.getKey());
                ps.executeUpdate(); // no row: its window was forgotten, nothing to give back
            }
        }
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM budget_holds WHERE hold_id = ?")) {
            ps.setString(1, holdId);
            ps.executeUpdate();
        }
        return true;
    }

    /**
     * Releases every hold with {@code expiresAt <= now}, each in its own transaction (so that lock order stays
     * that of a single hold), then forgets counters whose window ended before {@code now - counterGrace} and
     * that hold nothing.
     */
    @Override
    public int sweep(Instant now) {
        Objects.requireNonNull(now, "now");
        long nowNs = Checks.epochNanos(now);
        int released = 0;
        while (true) {
            List<String> expired = transaction("sweep", false, (c, tx) -> {
                List<String> ids = new ArrayList<>();
                try (PreparedStatement ps = c.prepareStatement("SELECT DISTINCT hold_id FROM budget_holds "
                        + "WHERE expires_ns <= ? ORDER BY hold_id LIMIT ?")) {
                    ps.setLong(1, nowNs);
                    ps.setInt(2, SWEEP_BATCH);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            ids.add(rs.getString(1));
                        }
                    }
                }
                return ids;
            });
            for (String id : expired) {
                if (transaction("sweep", true, (c, tx) -> finish(c, id, Map.of(), nowNs))) {
                    released++;
                }
            }
            if (expired.size() < SWEEP_BATCH) {
                break;
            }
        }
        long forgetBefore = Checks.epochNanos(now.minus(counterGrace));
        int forgotten = transaction("sweep", true, (c, tx) -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "DELETE FROM budget_counters WHERE window_end_ns < ? AND held = 0")) {
                ps.setLong(1, forgetBefore);
                return ps.executeUpdate();
            }
        });
        if (released > 0 || forgotten > 0) {
            LOG.info("budget sweep at {}: released {} expired holds, forgot {} ended counters", now, released,
                    forgotten);
        }
        return released;
    }

    @Override
    public State state(String key) {
        Objects.requireNonNull(key, "key");
        return transaction("state", false, (c, tx) -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT used, held FROM budget_counters WHERE counter_key = ?")) {
                ps.setString(1, key);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? new State(rs.getLong(1), rs.getLong(2)) : new State(0, 0);
                }
            }
        });
    }

    /** One SELECT for all the keys. */
    @Override
    public Map<String, State> states(List<String> keys) {
        Objects.requireNonNull(keys, "keys");
        if (keys.isEmpty()) {
            return new java.util.LinkedHashMap<>();
        }
        return transaction("state", false, (c, tx) -> {
            Map<String, State> found = new HashMap<>();
            String marks = String.join(", ", java.util.Collections.nCopies(keys.size(), "?"));
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT counter_key, used, held FROM budget_counters WHERE counter_key IN (" + marks + ")")) {
                for (int i = 0; i < keys.size(); i++) {
                    ps.setString(i + 1, keys.get(i));
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        found.put(rs.getString(1), new State(rs.getLong(2), rs.getLong(3)));
                    }
                }
            }
            Map<String, State> out = new java.util.LinkedHashMap<>();
            for (String k : keys) {
                out.put(k, found.getOrDefault(k, new State(0, 0)));
            }
            return out;
        });
    }

    @Override
    public void setUsed(String key, long used, Instant windowEnd) {
        Checks.setUsed(key, used, windowEnd);
        long end = Checks.epochNanos(windowEnd);
        transaction("set used", true, (c, tx) -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO budget_counters "
                    + "(counter_key, used, held, window_end_ns) VALUES (?, ?, 0, ?) ON CONFLICT (counter_key) "
                    + "DO UPDATE SET used = excluded.used, window_end_ns = CASE WHEN budget_counters.window_end_ns < "
                    + "excluded.window_end_ns THEN excluded.window_end_ns ELSE budget_counters.window_end_ns END")) {
                ps.setString(1, key);
                ps.setLong(2, used);
                ps.setLong(3, end);
                ps.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public void close() {
        pool.close();
    }

    @Override
    public String toString() {
        return "JdbcCounterStore[" + where + "]";
    }

    // ---- transactions ----

    /** Set by a unit of work that wrote nothing worth keeping (a refusal, a repeated reserve). */
    private static final class Tx {
        boolean rollbackOnly;
    }

    private interface Work<T> {
        T run(Connection c, Tx tx) throws SQLException;
    }

    private <T> T transaction(String op, boolean write, Work<T> work) {
        for (int attempt = 1;; attempt++) {
            try (Connection c = pool.getConnection()) {
                begin(c, write);
                boolean ended = false;
                try {
                    Tx tx = new Tx();
                    T result = work.run(c, tx);
                    if (tx.rollbackOnly) {
                        rollback(c);
                    } else {
                        commit(c);
                    }
                    ended = true;
                    return result;
                } finally {
                    if (!ended) {
                        rollbackQuietly(c);
                    }
                }
            } catch (SQLException e) {
                if (attempt < ATTEMPTS && retryable(e)) {
                    LOG.debug("budget {} retried after {}", op, e.getMessage());
                    continue;
                }
                throw new CounterStoreUnavailableException("budget counter " + op + " failed on " + where + ": "
                        + e.getMessage(), e);
            }
        }
    }

    /** PostgreSQL: serialization failure or deadlock; the transaction is rolled back and may simply run again. */
    private boolean retryable(SQLException e) {
        String state = e.getSQLState();
        return dialect == Dialect.POSTGRESQL && ("40001".equals(state) || "40P01".equals(state));
    }

    private void begin(Connection c, boolean write) throws SQLException {
        if (dialect == Dialect.SQLITE) {
            try (Statement st = c.createStatement()) {
                st.execute(write ? "BEGIN IMMEDIATE" : "BEGIN");
            }
        }
    }

    private void commit(Connection c) throws SQLException {
        if (dialect == Dialect.SQLITE) {
            try (Statement st = c.createStatement()) {
                st.execute("COMMIT");
            }
        } else {
            c.commit();
        }
    }

    private void rollback(Connection c) throws SQLException {
        if (dialect == Dialect.SQLITE) {
            try (Statement st = c.createStatement()) {
                st.execute("ROLLBACK");
            }
        } else {
            c.rollback();
        }
    }

    /**
     * After a failure. If BEGIN itself failed there is no transaction and SQLite's complaint is ignored; if a
     * transaction may still be open, the connection is taken out of the pool so that it cannot poison the next
     * operation (and Hikari opens a fresh one).
     */
    private void rollbackQuietly(Connection c) {
        try {
            rollback(c);
        } catch (SQLException e) {
            String message = String.valueOf(e.getMessage());
            if (!message.contains("no transaction is active")) {
                LOG.warn("rollback after a failed budget operation failed too; dropping the connection: {}",
                        message);
                pool.evictConnection(c);
            }
        }
    }
}
