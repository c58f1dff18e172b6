package dev.tokenrt.store.budget;

import com.zaxxer.hikari.HikariDataSource;
import dev.tokenrt.budget.Action;
import dev.tokenrt.budget.Budget;
import dev.tokenrt.budget.BudgetRegistry;
import dev.tokenrt.budget.BudgetStoreException;
import dev.tokenrt.budget.DuplicateBudgetException;
import dev.tokenrt.budget.Metric;
import dev.tokenrt.budget.Period;
import dev.tokenrt.budget.PriorityPool;
import dev.tokenrt.budget.Scope;
import dev.tokenrt.store.keys.KeyDatabase;
import dev.tokenrt.store.ledger.LedgerOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API's budgets in the ledger's database ({@code budgets}, migration V4), SQLite or PostgreSQL, so
 * that every gateway replica enforces the budgets any of them was given.
 *
 * <p><b>The request path reads memory only.</b> {@link #budgets} answers from an immutable snapshot of the
 * whole table, indexed by scope member. The snapshot is reloaded when it is older than a ttl (1 s by
 * default): by a background thread ({@link Reload#BACKGROUND}, the default: no request ever waits for the
 * database), or by the first request that finds it stale ({@link Reload#ON_READ}: at most one reload a ttl,
 * on that request's thread, while other threads go on with the old snapshot).
 *
 * <p><b>The ttl is a trade-off.</b> A budget created, changed or deleted on one replica is enforced by the
 * others within about one ttl (plus the reload itself); the replica that made the change sees it at once.
 * A shorter ttl narrows that gap at the cost of one {@code SELECT} of the whole table per replica and ttl:
 * trivial for hundreds of budgets at 1 s, worth raising for many thousands. Counters are unaffected by the
 * gap (they live in the {@code CounterStore}); only which budgets apply can lag.
 *
 * <p>When a reload fails (the database is down) the last snapshot keeps being served and the failure is
 * logged once, until a reload succeeds again: budgets are configuration, and enforcing yesterday's budgets
 * beats enforcing none. The admin reads ({@link #get}, {@link #list}) and writes go to the database and fail
 * with a {@link BudgetStoreException}.
 *
 * <p>Opening reuses the virtual keys' database plumbing ({@link KeyDatabase}: the same URL forms, SQLite in
 * WAL with a busy timeout, PostgreSQL with the ledger's credentials, the same Flyway migrations, one
 * auto-commit pool); every statement is a single auto-committed one.
 */
public final class JdbcBudgetRegistry implements BudgetRegistry, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(JdbcBudgetRegistry.class);
    private static final String COLUMNS = "id, scope, scope_id, period, metric, limit_amount, warn_at, critical_at, "
            + "action, degrade_to, pool_weights";
    private static final String SELECT = "SELECT " + COLUMNS + " FROM budgets";
    private static final String ORDER = " ORDER BY created_ns, id";

    /** Who reloads the snapshot when it is older than the ttl. */
    public enum Reload {
        /** A daemon thread of the registry's own, every ttl: requests never wait for the database. */
        BACKGROUND,
        /** The first request to find the snapshot stale, at most once a ttl (others keep the old snapshot). */
        ON_READ
    }

    /**
     * How the registry caches.
     *
     * @param ttl      how old the snapshot may grow before it is reloaded (1 s by default)
     * @param reload   who reloads it
     * @param clock    the time stored as a budget's creation and update time
     * @param nanoTime the monotonic time the snapshot's age is measured on (injectable so tests need not wait)
     */
    public record Options(Duration ttl, Reload reload, Clock clock, LongSupplier nanoTime) {
        public Options {
            Objects.requireNonNull(ttl, "ttl");
            Objects.requireNonNull(reload, "reload");
            Objects.requireNonNull(clock, "clock");
            Objects.requireNonNull(nanoTime, "nanoTime");
            if (ttl.isNegative() || ttl.isZero()) {
                throw new IllegalArgumentException("ttl must be positive");
            }
        }

        public static Options defaults() {
            return new Options(Duration.ofSeconds(1), Reload.BACKGROUND, Clock.systemUTC(), System::nanoTime);
        }

        public Options withTtl(Duration d) {
            return new Options(d, reload, clock, nanoTime);
        }

        public Options withReload(Reload r) {
            return new Options(ttl, r, clock, nanoTime);
        }

        public Options withClock(Clock c) {
            return new Options(ttl, reload, c, nanoTime);
        }

        public Options withNanoTime(LongSupplier t) {
            return new Options(ttl, reload, clock, t);
        }
    }

    private record Member(Scope scope, String scopeId) {
    }

    /** The whole table as of {@code loadedAt} (on the {@code nanoTime} line), indexed by member. */
    private record Snapshot(Map<Member, List<Budget>> index, int size, long loadedAt) {
    }

    private final DataSource ds;
    private final Optional<HikariDataSource> owned;
    private final Options opts;
    private final long ttlNanos;
    private final ReentrantLock loadLock = new ReentrantLock();
    private final AtomicBoolean reloading = new AtomicBoolean();
    private final Optional<ScheduledExecutorService> reloader;
    private volatile Snapshot snapshot;
    private volatile long lastAttempt;
    private volatile boolean failing;

    private JdbcBudgetRegistry(DataSource ds, Optional<HikariDataSource> owned, Options opts) {
        this.ds = ds;
        this.owned = owned;
        this.opts = opts;
        this.ttlNanos = opts.ttl().toNanos();
        this.snapshot = load();
        this.lastAttempt = snapshot.loadedAt();
        if (opts.reload() == Reload.BACKGROUND) {
            ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "tokenrt-budgets-reload");
                t.setDaemon(true);
                return t;
            });
            s.scheduleWithFixedDelay(this::reloadQuietly, ttlNanos, ttlNanos, TimeUnit.NANOSECONDS);
            this.reloader = Optional.of(s);
        } else {
            this.reloader = Optional.empty();
        }
    }

    /**
     * Opens the registry at {@code jdbc:sqlite:/path/file.db} or {@code jdbc:postgresql://host:port/db} (the
     * ledger's URL), creating or migrating the schema, with a pool that {@link #close} closes.
     *
     * @throws IllegalArgumentException for any other URL, or an in-memory SQLite database
     * @throws BudgetStoreException     if the database cannot be reached, migrated or read
     */
    public static JdbcBudgetRegistry open(String jdbcUrl, LedgerOptions db, Options opts) {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Objects.requireNonNull(db, "db");
        Objects.requireNonNull(opts, "opts");
        HikariDataSource pool = SharedDatabase.open(jdbcUrl, db, "tokenrt-budgets", "the budget registry");
        String where = KeyDatabase.redact(jdbcUrl);
        KeyDatabase.Engine engine = KeyDatabase.engineOf(jdbcUrl);
        try {
            JdbcBudgetRegistry r = new JdbcBudgetRegistry(pool, Optional.of(pool), opts);
            LOG.info("budget registry open on {} ({}), {} budgets, reloaded every {} ({})", where, engine,
                    r.snapshot.size(), opts.ttl(), opts.reload());
            return r;
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
    }

    /**
     * A registry on a data source the caller owns (the pool the keys or ledger use, say): migrates the schema
     * and uses it as it is; {@link #close} leaves it open. Connections must be in auto-commit mode.
     */
    public static JdbcBudgetRegistry open(DataSource dataSource, Options opts) {
        Objects.requireNonNull(dataSource, "dataSource");
        Objects.requireNonNull(opts, "opts");
        SharedDatabase.migrate(dataSource, "the budget registry");
        return new JdbcBudgetRegistry(dataSource, Optional.empty(), opts);
    }

    /** The embedded default: {@code <dataDir>/tokenrt.db} (the ledger's and keys' file), default options. */
    public static JdbcBudgetRegistry sqlite(Path dataDir) {
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the data directory " + dataDir, e);
        }
        return open("jdbc:sqlite:" + dataDir.toAbsolutePath().resolve("tokenrt.db"), LedgerOptions.defaults(),
                Options.defaults());
    }

    // ---------------------------------------------------------------- request path

    /** From memory: the snapshot, reloaded first on this thread only in {@link Reload#ON_READ} mode when stale. */
    @Override
    public List<Budget> budgets(Scope scope, String scopeId) {
        return current().index().getOrDefault(new Member(scope, scopeId), List.of());
    }

    /** How old the budgets {@link #budgets} answers from are. */
    public Duration age() {
        return Duration.ofNanos(Math.max(0, opts.nanoTime().getAsLong() - snapshot.loadedAt()));
    }

    private Snapshot current() {
        Snapshot s = snapshot;
        if (opts.reload() == Reload.ON_READ) {
            long now = opts.nanoTime().getAsLong();
            if (now - s.loadedAt() >= ttlNanos && now - lastAttempt >= ttlNanos && reloading.compareAndSet(false, true)) {
                try {
                    lastAttempt = now;
                    return reloadQuietly();
                } finally {
                    reloading.set(false);
                }
            }
        }
        return s;
    }

    /**
     * Reloads the snapshot now, on this thread.
     *
     * @throws BudgetStoreException if the table cannot be read (the old snapshot stays)
     */
    public void refresh() {
        snapshot = load();
    }

    private Snapshot reloadQuietly() {
        try {
            Snapshot s = load();
            snapshot = s;
            if (failing) {
                failing = false;
                LOG.info("budgets reloaded again ({} budgets)", s.size());
            }
            return s;
        } catch (RuntimeException e) {
            if (!failing) {
                failing = true;
                LOG.warn("cannot reload budgets; enforcing the {} loaded {} ago until a reload succeeds: {}",
                        snapshot.size(), age(), e.getMessage());
            }
            return snapshot;
        }
    }

    /** Reads the whole table. Loads take turns, so a slow old read never replaces a newer snapshot. */
    private Snapshot load() {
        loadLock.lock();
        try {
            long at = opts.nanoTime().getAsLong();
            Map<Member, List<Budget>> index = new HashMap<>();
            int n = 0;
            try (Connection c = ds.getConnection();
                    PreparedStatement ps = c.prepareStatement(SELECT + ORDER);
                    ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Budget b;
                    try {
                        b = read(rs);
                    } catch (IllegalArgumentException e) {
                        // A row edited by hand: skip it rather than enforce no budget at all.
                        LOG.warn("budget row {} is not a valid budget and is not enforced: {}", rs.getString(1),
                                e.getMessage());
                        continue;
                    }
                    index.computeIfAbsent(new Member(b.scope(), b.scopeId()), k -> new ArrayList<>()).add(b);
                    n++;
                }
            } catch (SQLException e) {
                throw new BudgetStoreException("cannot read budgets: " + e.getMessage(), e);
            }
            Map<Member, List<Budget>> frozen = new HashMap<>();
            index.forEach((k, v) -> frozen.put(k, List.copyOf(v)));
            return new Snapshot(Map.copyOf(frozen), n, at);
        } finally {
            loadLock.unlock();
        }
    }

    // ---------------------------------------------------------------- admin

    @Override
    public Budget create(Budget budget) {
        Objects.requireNonNull(budget, "budget");
        long now = SharedDatabase.nanos(opts.clock().instant());
        String sql = "INSERT INTO budgets (" + COLUMNS + ", created_ns, updated_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            int i = bind(ps, budget);
            ps.setLong(++i, now);
            ps.setLong(++i, now);
            ps.executeUpdate();
        } catch (SQLException e) {
            if (isConstraintViolation(e) && get(budget.id()).isPresent()) {
                throw new DuplicateBudgetException(budget.id());
            }
            throw new BudgetStoreException("cannot store budget " + budget.id() + ": " + e.getMessage(), e);
        }
        LOG.info("budget {} created: {} {} per {}, {} beyond", budget.id(), budget.scopeText(),
                budget.format(budget.limit()), budget.period().wireName(), budget.action().wireName());
        afterWrite();
        return budget;
    }

    @Override
    public Optional<Budget> replace(Budget budget) {
        Objects.requireNonNull(budget, "budget");
        String sql = "UPDATE budgets SET scope = ?, scope_id = ?, period = ?, metric = ?, limit_amount = ?, "
                + "warn_at = ?, critical_at = ?, action = ?, degrade_to = ?, pool_weights = ?, updated_ns = ? WHERE id = ?";
        int changed;
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            int i = bindFields(ps, budget, 0);
            ps.setLong(++i, SharedDatabase.nanos(opts.clock().instant()));
            ps.setString(++i, budget.id());
            changed = ps.executeUpdate();
        } catch (SQLException e) {
            throw new BudgetStoreException("cannot replace budget " + budget.id() + ": " + e.getMessage(), e);
        }
        if (changed == 0) {
            return Optional.empty();
        }
        LOG.info("budget {} replaced: {} {} per {}, {} beyond", budget.id(), budget.scopeText(),
                budget.format(budget.limit()), budget.period().wireName(), budget.action().wireName());
        afterWrite();
        return Optional.of(budget);
    }

    /** From the database (not the snapshot), so an admin reads what any replica has just written. */
    @Override
    public Optional<Budget> get(String id) {
        Objects.requireNonNull(id, "id");
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(SELECT + " WHERE id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(readChecked(rs)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new BudgetStoreException("budget read failed: " + e.getMessage(), e);
        }
    }

    /** From the database, oldest first (ties by id). */
    @Override
    public List<Budget> list() {
        try (Connection c = ds.getConnection();
                PreparedStatement ps = c.prepareStatement(SELECT + ORDER);
                ResultSet rs = ps.executeQuery()) {
            List<Budget> out = new ArrayList<>();
            while (rs.next()) {
                out.add(readChecked(rs));
            }
            return out;
        } catch (SQLException e) {
            throw new BudgetStoreException("budget list failed: " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<Budget> delete(String id) {
        Objects.requireNonNull(id, "id");
        Optional<Budget> existing = get(id);
        if (existing.isEmpty()) {
            return existing;
        }
        int changed;
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("DELETE FROM budgets WHERE id = ?")) {
            ps.setString(1, id);
            changed = ps.executeUpdate();
        } catch (SQLException e) {
            throw new BudgetStoreException("cannot delete budget " + id + ": " + e.getMessage(), e);
        }
        if (changed == 0) {
            return Optional.empty(); // another replica deleted it in between
        }
        LOG.info("budget {} deleted", id);
        afterWrite();
        return existing;
    }

    /** This replica enforces its own writes at once; the others within a ttl. */
    private void afterWrite() {
        reloadQuietly();
    }

    /** Stops the background reloads and closes the pool this registry opened (not a data source it was given). */
    @Override
    public void close() {
        reloader.ifPresent(ScheduledExecutorService::shutdownNow);
        owned.ifPresent(HikariDataSource::close);
    }

    // ---------------------------------------------------------------- rows

    private static int bind(PreparedStatement ps, Budget b) throws SQLException {
        ps.setString(1, b.id());
        return bindFields(ps, b, 1);
    }

    /** Binds every column but the id and times, from parameter {@code after + 1}; the last index used. */
    private static int bindFields(PreparedStatement ps, Budget b, int after) throws SQLException {
        int i = after;
        ps.setString(++i, b.scope().wireName());
        ps.setString(++i, b.scopeId());
        ps.setString(++i, b.period().wireName());
        ps.setString(++i, b.metric().wireName());
        ps.setLong(++i, b.limit());
        ps.setString(++i, b.warnAt().toPlainString());
        ps.setString(++i, b.criticalAt().toPlainString());
        ps.setString(++i, b.action().wireName());
        if (b.degradeTo().isPresent()) {
            ps.setString(++i, b.degradeTo().get());
        } else {
            ps.setNull(++i, Types.VARCHAR);
        }
        if (b.pool().isPresent()) {
            ps.setString(++i, b.pool().get().text());
        } else {
            ps.setNull(++i, Types.VARCHAR);
        }
        return i;
    }

    /** A row as a budget; IllegalArgumentException when the row breaks a budget's rules. */
    private static Budget read(ResultSet rs) throws SQLException {
        return new Budget(rs.getString(1), Scope.parse(rs.getString(2)), rs.getString(3), Period.parse(rs.getString(4)),
                Metric.parse(rs.getString(5)), rs.getLong(6), new BigDecimal(rs.getString(7)),
                new BigDecimal(rs.getString(8)), Action.parse(rs.getString(9)), Optional.ofNullable(rs.getString(10)),
                Optional.ofNullable(rs.getString(11)).map(PriorityPool::parse));
    }

    private static Budget readChecked(ResultSet rs) throws SQLException {
        try {
            return read(rs);
        } catch (IllegalArgumentException e) {
            throw new BudgetStoreException("budget row " + rs.getString(1) + " is not a valid budget: "
                    + e.getMessage(), e);
        }
    }

    /** A unique or primary-key violation: SQLState class 23 (PostgreSQL), or SQLite's SQLITE_CONSTRAINT (19). */
    private static boolean isConstraintViolation(SQLException e) {
        String state = e.getSQLState();
        return (state != null && state.startsWith("23")) || (e.getErrorCode() & 0xFF) == 19;
    }
}
