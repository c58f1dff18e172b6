package dev.tokenrt.store.cache;

import com.zaxxer.hikari.HikariDataSource;
import dev.tokenrt.cache.CacheLayerException;
import dev.tokenrt.store.jdbc.Databases;
import dev.tokenrt.store.jdbc.Dialect;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Snapshots of what the semantic policy has learnt, in the database the ledger uses ({@code semantic_policy_state},
 * migration V7): one row per key, the newest snapshot wins. Shared by replicas on PostgreSQL.
 */
public final class JdbcPolicyStates implements AutoCloseable {

    private final HikariDataSource pool;
    private final String where;

    private JdbcPolicyStates(HikariDataSource pool, String where) {
        this.pool = pool;
        this.where = where;
    }

    public static JdbcPolicyStates open(String jdbcUrl) {
        Dialect dialect = Dialect.of(jdbcUrl);
        Duration timeout = Duration.ofSeconds(2);
        DataSource ds = Databases.dataSource(dialect, jdbcUrl, timeout, Optional.empty(), Optional.empty(),
                "tokenrt-semantic-policy");
        try {
            Databases.migrate(dialect, ds);
        } catch (RuntimeException e) {
            throw new CacheLayerException("cannot migrate " + Dialect.redact(jdbcUrl) + ": " + e.getMessage(), e);
        }
        return new JdbcPolicyStates(Databases.pool(ds, "tokenrt-semantic-policy", 2, timeout, true),
                Dialect.redact(jdbcUrl));
    }

    public void save(String key, byte[] state, Instant now) {
        try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO semantic_policy_state (state_key, updated_at_ns, state) VALUES (?, ?, ?) "
                        + "ON CONFLICT (state_key) DO UPDATE SET updated_at_ns = excluded.updated_at_ns, state = excluded.state")) {
            ps.setString(1, key);
            ps.setLong(2, Math.addExact(Math.multiplyExact(now.getEpochSecond(), 1_000_000_000L), now.getNano()));
            ps.setBytes(3, state);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new CacheLayerException("saving the semantic policy's state on " + where + " failed: " + e.getMessage(), e);
        }
    }

    public Optional<byte[]> load(String key) {
        try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT state FROM semantic_policy_state WHERE state_key = ?")) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getBytes(1)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new CacheLayerException("reading the semantic policy's state on " + where + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        pool.close();
    }
}
