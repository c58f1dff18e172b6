package dev.tokenrt.store.keys;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.zaxxer.hikari.HikariDataSource;
import dev.tokenrt.keys.KeyPatch;
import dev.tokenrt.keys.KeySecrets;
import dev.tokenrt.keys.KeyStore;
import dev.tokenrt.keys.KeyStoreException;
import dev.tokenrt.keys.VirtualKey;
import dev.tokenrt.store.jdbc.PreparedPerConnection;
import dev.tokenrt.store.ledger.LedgerOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Virtual keys in the ledger's database ({@code virtual_keys}, migration V3), SQLite or PostgreSQL.
 *
 * <p>This store keeps no keys in memory: {@link #findBySecretHash} is one SELECT through the unique index on
 * {@code secret_hash} (a statement prepared once per connection), so every reader of the shared database sees a
 * revocation from the moment {@link #revoke} or {@link #update} has returned. The gateway puts a
 * {@link dev.tokenrt.keys.CachingKeyStore} in front of it ({@code keys.cache_ttl_ms}, 1 s by default), so that a
 * request does not cost this lookup. Every statement is a single
 * auto-committed one, so there are no read-modify-write races between replicas either: {@link #update}
 * changes only the columns the patch names, and {@link #revoke} keeps the first revocation time in SQL.
 *
 * <p>Secrets never reach this class (only their SHA-256), and its messages never carry a hash.
 */
public final class JdbcKeyStore implements KeyStore {

    private static final Logger LOG = LoggerFactory.getLogger(JdbcKeyStore.class);
    /**
     * A shared buffer pool, not Jackson's per-thread default: keys are read on a new virtual thread every request,
     * where the default allocated fresh parse buffers each time (a tenth of what a request allocated).
     */
    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .recyclerPool(JsonRecyclerPools.newConcurrentDequePool()).build());
    private static final ObjectReader STRINGS = JSON.readerFor(new TypeReference<List<String>>() {
    });
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private static final String COLUMNS = "id, name, user_id, project, team, models, tier, budgets, rate_limits, "
            + "hint, created_ns, expires_ns, revoked_ns";
    private static final String SELECT = "SELECT " + COLUMNS + " FROM virtual_keys";
    /** The per-request lookup: one row through the unique index {@code virtual_keys_secret_hash}. */
    static final String BY_HASH = SELECT + " WHERE secret_hash = ?";

    private final DataSource ds;
    private final Optional<HikariDataSource> owned;
    private final PreparedPerConnection byHash = new PreparedPerConnection(BY_HASH);

    private JdbcKeyStore(DataSource ds, Optional<HikariDataSource> owned) {
        this.ds = ds;
        this.owned = owned;
    }

    /**
     * Opens the key store at {@code jdbc:sqlite:/path/file.db} or {@code jdbc:postgresql://host:port/db} (the
     * ledger's URL: keys live beside the ledger), creating or migrating the schema, with a pool of
     * {@code opts.readPoolSize()} connections that {@link #close} closes.
     *
     * @throws IllegalArgumentException for any other URL, or an in-memory SQLite database
     * @throws KeyStoreException        if the database cannot be reached or migrated
     */
    public static JdbcKeyStore open(String jdbcUrl, LedgerOptions opts) {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Objects.requireNonNull(opts, "opts");
        KeyDatabase.Engine engine = KeyDatabase.engineOf(jdbcUrl);
        DataSource plain = KeyDatabase.plain(jdbcUrl, engine, opts);
        KeyDatabase.migrate(plain, engine, KeyDatabase.redact(jdbcUrl));
        HikariDataSource pool;
        try {
            pool = KeyDatabase.pool(plain, opts);
        } catch (RuntimeException e) {
            throw new KeyStoreException("cannot open key store connections to " + KeyDatabase.redact(jdbcUrl), e);
        }
        LOG.info("key store open on {} ({})", KeyDatabase.redact(jdbcUrl), engine);
        return new JdbcKeyStore(pool, Optional.of(pool));
    }

    /**
     * A key store on a data source the caller owns (a pool already open on the ledger's database, say):
     * migrates the schema and uses the data source as it is; {@link #close} leaves it open. Connections must
     * be in auto-commit mode, as data sources hand them out by default.
     */
    public static JdbcKeyStore open(DataSource dataSource) {
        Objects.requireNonNull(dataSource, "dataSource");
        KeyDatabase.Engine engine = KeyDatabase.engineOf(dataSource);
        KeyDatabase.migrate(dataSource, engine, "the given data source");
        return new JdbcKeyStore(dataSource, Optional.empty());
    }

    /** The embedded default: {@code <dataDir>/tokenrt.db}, the same file as the SQLite ledger's. */
    public static JdbcKeyStore sqlite(Path dataDir) {
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the data directory " + dataDir, e);
        }
        return open("jdbc:sqlite:" + dataDir.toAbsolutePath().resolve("tokenrt.db"), LedgerOptions.defaults());
    }

    @Override
    public void create(VirtualKey key, String secretHash) {
        Objects.requireNonNull(key, "key");
        if (!KeySecrets.isHash(secretHash)) {
            throw new IllegalArgumentException("secretHash must be a SHA-256 in lower-case hex");
        }
        String sql = "INSERT INTO virtual_keys (" + COLUMNS + ", secret_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 0;
            ps.setString(++i, key.id());
            ps.setString(++i, key.name());
            ps.setString(++i, key.user());
            ps.setString(++i, key.project());
            ps.setString(++i, key.team());
            ps.setString(++i, json(key.models()));
            ps.setString(++i, key.tier());
            ps.setString(++i, key.budgets());
            ps.setString(++i, key.rateLimits());
            ps.setString(++i, key.hint());
            ps.setLong(++i, nanos(key.createdAt()));
            setNanos(ps, ++i, key.expiresAt());
            setNanos(ps, ++i, key.revokedAt());
            ps.setString(++i, secretHash);
            ps.executeUpdate();
        } catch (SQLException e) {
            if (isConstraintViolation(e)) {
                // No cause attached: PostgreSQL's detail would quote the hash.
                throw new IllegalArgumentException(get(key.id()).isPresent()
                        ? "a key with id " + key.id() + " already exists" : "another key already has this secret");
            }
            throw new KeyStoreException("cannot store key " + key.id() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<VirtualKey> findBySecretHash(String secretHash) {
        Objects.requireNonNull(secretHash, "secretHash");
        // The one statement of every request: prepared once per connection, not per request.
        try (Connection c = ds.getConnection()) {
            PreparedStatement ps = byHash.on(c);
            try {
                ps.setString(1, secretHash);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(read(rs)) : Optional.empty();
                }
            } catch (SQLException e) {
                byHash.discard(c);
                throw e;
            }
        } catch (SQLException e) {
            throw new KeyStoreException("key lookup failed: " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<VirtualKey> get(String id) {
        Objects.requireNonNull(id, "id");
        return one(SELECT + " WHERE id = ?", id, "key read");
    }

    @Override
    public List<VirtualKey> list() {
        try (Connection c = ds.getConnection();
                PreparedStatement ps = c.prepareStatement(SELECT + " ORDER BY created_ns, id");
                ResultSet rs = ps.executeQuery()) {
            List<VirtualKey> out = new ArrayList<>();
            while (rs.next()) {
                out.add(read(rs));
            }
            return out;
        } catch (SQLException e) {
            throw new KeyStoreException("key list failed: " + e.getMessage(), e);
        }
    }

    private interface Binder {
        void bind(PreparedStatement ps, int index) throws SQLException;
    }

    @Override
    public Optional<VirtualKey> update(String id, KeyPatch patch) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(patch, "patch");
        if (patch.isEmpty()) {
            return get(id);
        }
        List<String> sets = new ArrayList<>();
        List<Binder> binders = new ArrayList<>();
        patch.name().ifPresent(v -> text(sets, binders, "name", v));
        patch.user().ifPresent(v -> text(sets, binders, "user_id", v));
        patch.project().ifPresent(v -> text(sets, binders, "project", v));
        patch.team().ifPresent(v -> text(sets, binders, "team", v));
        patch.models().ifPresent(v -> text(sets, binders, "models", json(v)));
        patch.tier().ifPresent(v -> text(sets, binders, "tier", v));
        patch.budgets().ifPresent(v -> text(sets, binders, "budgets", v));
        patch.rateLimits().ifPresent(v -> text(sets, binders, "rate_limits", v));
        if (patch.clearExpiry()) {
            sets.add("expires_ns = NULL");
        }
        patch.expiresAt().ifPresent(v -> {
            sets.add("expires_ns = ?");
            long n = nanos(v);
            binders.add((ps, i) -> ps.setLong(i, n));
        });
        String sql = "UPDATE virtual_keys SET " + String.join(", ", sets) + " WHERE id = ?";
        int changed;
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 0;
            for (Binder b : binders) {
                b.bind(ps, ++i);
            }
            ps.setString(++i, id);
            changed = ps.executeUpdate();
        } catch (SQLException e) {
            throw new KeyStoreException("cannot update key " + id + ": " + e.getMessage(), e);
        }
        return changed == 0 ? Optional.empty() : get(id);
    }

    private static void text(List<String> sets, List<Binder> binders, String column, String value) {
        sets.add(column + " = ?");
        binders.add((ps, i) -> ps.setString(i, value));
    }

    @Override
    public Optional<VirtualKey> revoke(String id, Instant at) {
        Objects.requireNonNull(id, "id");
        VirtualKey.requireInRange(Objects.requireNonNull(at, "at"), "at");
        int changed;
        try (Connection c = ds.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "UPDATE virtual_keys SET revoked_ns = COALESCE(revoked_ns, ?) WHERE id = ?")) {
            ps.setLong(1, nanos(at));
            ps.setString(2, id);
            changed = ps.executeUpdate();
        } catch (SQLException e) {
            throw new KeyStoreException("cannot revoke key " + id + ": " + e.getMessage(), e);
        }
        if (changed == 0) {
            return Optional.empty();
        }
        Optional<VirtualKey> now = get(id);
        now.flatMap(VirtualKey::revokedAt).ifPresent(t -> LOG.info("virtual key {} revoked as of {}", id, t));
        return now;
    }

    /** Closes the pool this store opened; a data source given to {@link #open(DataSource)} stays open. */
    @Override
    public void close() {
        byHash.close();
        owned.ifPresent(HikariDataSource::close);
    }

    // ---------------------------------------------------------------- rows

    private Optional<VirtualKey> one(String sql, String arg, String what) {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, arg);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(read(rs)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new KeyStoreException(what + " failed: " + e.getMessage(), e);
        }
    }

    private static VirtualKey read(ResultSet rs) throws SQLException {
        return new VirtualKey(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                strings(rs.getString(6)), rs.getString(7), rs.getString(8), rs.getString(9), rs.getString(10),
                instant(rs.getLong(11)), optionalInstant(rs, 12), optionalInstant(rs, 13));
    }

    private static Optional<Instant> optionalInstant(ResultSet rs, int column) throws SQLException {
        long n = rs.getLong(column);
        return rs.wasNull() ? Optional.empty() : Optional.of(instant(n));
    }

    private static void setNanos(PreparedStatement ps, int index, Optional<Instant> t) throws SQLException {
        if (t.isPresent()) {
            ps.setLong(index, nanos(t.get()));
        } else {
            ps.setNull(index, Types.BIGINT);
        }
    }

    /** Epoch nanoseconds, as the ledger stores time; {@link VirtualKey} keeps every time within range. */
    static long nanos(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), NANOS_PER_SECOND), t.getNano());
    }

    static Instant instant(long nanos) {
        return Instant.ofEpochSecond(Math.floorDiv(nanos, NANOS_PER_SECOND), Math.floorMod(nanos, NANOS_PER_SECOND));
    }

    private static String json(List<String> models) {
        try {
            return JSON.writeValueAsString(models);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a list of strings always serialises", e);
        }
    }

    private static List<String> strings(String json) throws SQLException {
        try {
            return json.equals("[]") ? List.of() : STRINGS.readValue(json); // most keys allow every model
        } catch (JsonProcessingException e) {
            throw new SQLException("virtual_keys.models is not a JSON array of strings", e);
        }
    }

    /** A unique or primary-key violation: SQLState class 23 (PostgreSQL), or SQLite's SQLITE_CONSTRAINT (19). */
    private static boolean isConstraintViolation(SQLException e) {
        String state = e.getSQLState();
        return (state != null && state.startsWith("23")) || (e.getErrorCode() & 0xFF) == 19;
    }
}
