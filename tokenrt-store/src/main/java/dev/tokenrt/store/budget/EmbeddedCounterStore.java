package dev.tokenrt.store.budget;

import com.zaxxer.hikari.HikariDataSource;
import dev.tokenrt.budget.CounterStore;
import dev.tokenrt.budget.CounterStoreUnavailableException;
import dev.tokenrt.budget.InMemoryCounterStore;
import dev.tokenrt.store.jdbc.Databases;
import dev.tokenrt.store.jdbc.Dialect;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded default for budget counters on one machine: the counters live in this process's memory (an
 * {@link InMemoryCounterStore}: one lock, a reserve over several counters a few map operations) and what was
 * spent is persisted to the SQLite database beside the ledger, in the background, so a restart keeps it. No
 * database round trip is on the request path: at 2,000 requests/s the two SQLite transactions a request cost
 * were a third of the gateway's CPU and, as JNI calls that pin a virtual thread's carrier, most of its tail.
 *
 * <p><b>One owner.</b> In-process counters are only right while one process decides on them, so the store takes
 * an OS lock on {@code <database>.counters.lock}; gateways in one JVM share one store per file. A second process
 * is refused with an error that says what to use instead: {@code budgets.counters: database} (the transactional
 * {@link JdbcCounterStore}, shared by processes through SQLite's write lock) or Redis for replicas.
 *
 * <p><b>What a crash can lose.</b> Settled spend reaches the database every {@code flushInterval} (50 ms by
 * default), as the ledger's rows do, so a killed process forgets at most that last slice of spend (the ledger
 * forgets the same requests; {@code tokenrt budgets rebuild} recomputes counters from it). Holds are not
 * persisted: they belong to requests of this process, which die with it; at start, holds that a transactional
 * store left in the file are dropped.
 */
public final class EmbeddedCounterStore implements CounterStore {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedCounterStore.class);
    private static final Map<Path, EmbeddedCounterStore> OPEN = new HashMap<>();

    /**
     * @param flushInterval how often settled spend is written to the database
     * @param grace         how long after its window ends a counter is kept (in memory and in the file)
     * @param clock         "now", for holds' deadlines and forgetting ended windows
     */
    public record Options(Duration flushInterval, Duration grace, Clock clock) {
        public static Options defaults() {
            return new Options(Duration.ofMillis(50), Duration.ofDays(1), Clock.systemUTC());
        }

        public Options withClock(Clock c) {
            return new Options(flushInterval, grace, c);
        }

        public Options withFlushInterval(Duration d) {
            return new Options(d, grace, clock);
        }
    }

    private final Path file;
    private final String where;
    private final InMemoryCounterStore memory;
    private final HikariDataSource pool;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final Clock clock;
    private final Duration grace;
    private final ScheduledExecutorService flusher;
    /** Counters changed since the last flush. */
    private final Set<String> dirty = ConcurrentHashMap.newKeySet();
    /** Each counter's window end, for the row (the in-memory store keeps its own). */
    private final Map<String, Instant> windowEnds = new ConcurrentHashMap<>();
    /** Each open hold's counters (so a settle knows what it changed) and its grant (a repeated reserve gets it back). */
    private final Map<String, OpenHold> open = new ConcurrentHashMap<>();

    private record OpenHold(List<String> keys, Reservation.Granted grant) {
    }
    private int users;

    private EmbeddedCounterStore(Path file, String where, InMemoryCounterStore memory, HikariDataSource pool,
            FileChannel lockChannel, FileLock lock, Options opts) {
        this.file = file;
        this.where = where;
        this.memory = memory;
        this.pool = pool;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.clock = opts.clock();
        this.grace = opts.grace();
        this.flusher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tokenrt-budget-counters-flush");
            t.setDaemon(true);
            return t;
        });
        long ms = Math.max(1, opts.flushInterval().toMillis());
        flusher.scheduleWithFixedDelay(this::flushQuietly, ms, ms, TimeUnit.MILLISECONDS);
    }

    /**
     * The counters of the SQLite database at {@code jdbcUrl}, loaded into memory; the same store for every caller
     * in this JVM (each {@link #close} releases one use).
     *
     * @throws IllegalStateException            if another process owns them
     * @throws CounterStoreUnavailableException if the database cannot be read
     */
    public static EmbeddedCounterStore open(String jdbcUrl, Options opts) {
        if (Dialect.of(jdbcUrl) != Dialect.SQLITE) {
            throw new IllegalArgumentException("embedded counters live in a SQLite database, not " + Dialect.redact(jdbcUrl));
        }
        Path file = Path.of(jdbcUrl.substring("jdbc:sqlite:".length()).replaceFirst("\\?.*$", "")).toAbsolutePath()
                .normalize();
        synchronized (OPEN) {
            EmbeddedCounterStore open = OPEN.get(file);
            if (open != null) {
                open.users++;
                return open;
            }
            EmbeddedCounterStore s = create(jdbcUrl, file, opts);
            s.users = 1;
            OPEN.put(file, s);
            return s;
        }
    }

    private static EmbeddedCounterStore create(String jdbcUrl, Path file, Options opts) {
        String where = Dialect.redact(jdbcUrl);
        Path lockFile = file.resolveSibling(file.getFileName() + ".counters.lock");
        FileChannel channel;
        FileLock lock;
        try {
            Files.createDirectories(file.getParent());
            channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            lock = channel.tryLock();
        } catch (IOException | OverlappingFileLockException e) {
            throw new CounterStoreUnavailableException("cannot lock " + lockFile + ": " + e.getMessage(), e);
        }
        if (lock == null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing held
            }
            throw new IllegalStateException("the budget counters in " + file + " belong to another running tokenrt "
                    + "process (it holds " + lockFile + "). To share budgets between processes, set budgets.counters: "
                    + "database (transactional SQLite) or budgets.redis_url (replicas); to rebuild them while a gateway "
                    + "runs, ask it: tokenrt budgets rebuild --server URL");
        }
        HikariDataSource pool = null;
        try {
            DataSource ds = Databases.dataSource(Dialect.SQLITE, jdbcUrl, Duration.ofSeconds(5), Optional.empty(),
                    Optional.empty(), "tokenrt-counters");
            Databases.migrate(Dialect.SQLITE, ds);
            pool = Databases.pool(ds, "tokenrt-counters", 1, Duration.ofSeconds(5), true);
            InMemoryCounterStore memory = new InMemoryCounterStore(opts.clock(), opts.grace());
            EmbeddedCounterStore s = new EmbeddedCounterStore(file, where, memory, pool, channel, lock, opts);
            int n = s.load();
            LOG.info("budget counters in memory, persisted to {} ({} counters loaded)", where, n);
            return s;
        } catch (RuntimeException | SQLException e) {
            if (pool != null) {
                pool.close();
            }
            try {
                lock.release();
                channel.close();
            } catch (IOException ignored) {
                // the process ends the lock anyway
            }
            throw new CounterStoreUnavailableException("cannot load the budget counters from " + where + ": "
                    + e.getMessage(), e);
        }
    }

    /** Loads every counter still in its window (or its grace); drops holds a transactional store left behind. */
    private int load() throws SQLException {
        Instant now = clock.instant();
        int n = 0;
        try (Connection c = pool.getConnection()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT counter_key, used, window_end_ns FROM budget_counters");
                    ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Instant end = fromNanos(rs.getLong(3));
                    if (end.isBefore(now.minus(grace))) {
                        continue;
                    }
                    memory.setUsed(rs.getString(1), rs.getLong(2), end);
                    windowEnds.put(rs.getString(1), end);
                    n++;
                }
            }
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM budget_holds")) {
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE budget_counters SET held = 0 WHERE held <> 0")) {
                ps.executeUpdate();
            }
        }
        return n;
    }

    /**
     * As every store: checked first, atomic over all counters, and idempotent by hold id (a repeated reserve of an
     * open hold returns its grant and holds nothing more).
     */
    @Override
    public synchronized Reservation reserve(String holdId, List<Hold> holds, Duration ttl) {
        Checks.holdId(holdId);
        Checks.holds(holds);
        Checks.ttl(ttl);
        OpenHold already = open.get(holdId);
        if (already != null && memory.holding(holdId)) {
            return already.grant();
        }
        Reservation r = memory.reserve(holdId, holds, ttl);
        if (r instanceof Reservation.Granted g) {
            List<String> keys = new ArrayList<>(holds.size());
            for (Hold h : holds) {
                keys.add(h.key());
                windowEnds.merge(h.key(), h.windowEnd(), (a, b) -> a.isAfter(b) ? a : b);
            }
            open.put(holdId, new OpenHold(keys, g));
        }
        return r;
    }

    @Override
    public void settle(String holdId, Map<String, Long> actual) {
        Checks.actual(actual);
        memory.settle(holdId, actual);
        OpenHold h = open.remove(holdId);
        if (h != null) {
            dirty.addAll(h.keys());
        }
    }

    @Override
    public void release(String holdId) {
        memory.release(holdId);
        open.remove(holdId);
    }

    @Override
    public int sweep(Instant now) {
        int n = memory.sweep(now);
        open.keySet().removeIf(id -> !memory.holding(id));
        return n;
    }

    /** Holds open now (for tests and the status of the store). */
    public long openHolds() {
        return open.keySet().stream().filter(memory::holding).count();
    }

    @Override
    public State state(String key) {
        return memory.state(key);
    }

    /** Whether a hold of that id is open. */
    public boolean holding(String holdId) {
        return memory.holding(holdId);
    }

    @Override
    public Map<String, State> states(List<String> keys) {
        return memory.states(keys);
    }

    @Override
    public void setUsed(String key, long used, Instant windowEnd) {
        Checks.setUsed(key, used, windowEnd);
        memory.setUsed(key, used, windowEnd);
        windowEnds.merge(key, windowEnd, (a, b) -> a.isAfter(b) ? a : b);
        dirty.add(key);
    }

    /** Writes the counters changed since the last flush, in one transaction; returns how many. */
    public int flush() {
        if (dirty.isEmpty()) {
            return 0;
        }
        List<String> keys = new ArrayList<>(dirty);
        dirty.removeAll(keys);
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO budget_counters (counter_key, used, held, "
                    + "window_end_ns) VALUES (?, ?, 0, ?) ON CONFLICT (counter_key) DO UPDATE SET used = excluded.used, "
                    + "window_end_ns = CASE WHEN budget_counters.window_end_ns < excluded.window_end_ns "
                    + "THEN excluded.window_end_ns ELSE budget_counters.window_end_ns END")) {
                for (String k : keys) {
                    ps.setString(1, k);
                    ps.setLong(2, memory.state(k).used());
                    ps.setLong(3, nanos(windowEnds.getOrDefault(k, clock.instant())));
                    ps.addBatch();
                }
                ps.executeBatch();
                Instant forget = clock.instant().minus(grace);
                try (PreparedStatement old = c.prepareStatement("DELETE FROM budget_counters WHERE window_end_ns < ?")) {
                    old.setLong(1, nanos(forget));
                    old.executeUpdate();
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            dirty.addAll(keys); // written next time
            throw new CounterStoreUnavailableException("persisting budget counters to " + where + " failed: "
                    + e.getMessage(), e);
        }
        Instant forgotten = clock.instant().minus(grace);
        windowEnds.keySet().removeIf(k -> windowEnds.get(k).isBefore(forgotten) && !dirty.contains(k));
        return keys.size();
    }

    private void flushQuietly() {
        try {
            flush();
        } catch (RuntimeException e) {
            LOG.warn("budget counters not persisted yet (retrying): {}", e.toString());
        }
    }

    /** Epoch nanoseconds, saturated: a {@code total} budget's window never ends, which no long can say exactly. */
    private static long nanos(Instant t) {
        try {
            return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
        } catch (ArithmeticException e) {
            return t.getEpochSecond() < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }

    private static Instant fromNanos(long n) {
        return Instant.ofEpochSecond(Math.floorDiv(n, 1_000_000_000L), Math.floorMod(n, 1_000_000_000L));
    }

    /** Releases one use; the last flushes what is left, releases the file lock and closes the database. */
    @Override
    public void close() {
        synchronized (OPEN) {
            if (--users > 0) {
                return;
            }
            OPEN.remove(file);
        }
        flusher.shutdown();
        try {
            flusher.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            flush();
        } catch (RuntimeException e) {
            LOG.error("the last budget counters could not be persisted to {}: {}", where, e.toString());
        } finally {
            pool.close();
            try {
                lock.release();
                lockChannel.close();
            } catch (IOException e) {
                LOG.warn("releasing {}: {}", file, e.toString());
            }
        }
    }

    @Override
    public String toString() {
        return "EmbeddedCounterStore[" + where + "]";
    }
}
