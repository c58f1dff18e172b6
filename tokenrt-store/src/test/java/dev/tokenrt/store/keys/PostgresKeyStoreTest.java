package dev.tokenrt.store.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenrt.keys.KeyStoreException;
import dev.tokenrt.store.ledger.LedgerOptions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The key store contract on a real PostgreSQL server: one throw-away database for the class, one fresh schema
 * per test. The server comes from {@code -Dtokenrt.test.postgres} (default 127.0.0.1:5432, user postgres,
 * database test), as for the ledger's tests. If it cannot be reached the tests fail; they never skip.
 */
class PostgresKeyStoreTest extends KeyStoreContract {

    static final String ADMIN_URL = System.getProperty("tokenrt.test.postgres",
            "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");

    static String database;
    String schema;

    @BeforeAll
    static void createDatabase() {
        database = "tokenrt_keys_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = DriverManager.getConnection(ADMIN_URL); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + database);
        } catch (SQLException e) {
            throw new IllegalStateException("PostgreSQL is not reachable at " + ADMIN_URL + " (" + e.getMessage()
                    + "). These tests do not skip: start PostgreSQL 15+ on 127.0.0.1:5432 with trust auth for user "
                    + "'postgres' and a database 'test' (CI does), or point -Dtokenrt.test.postgres at one.", e);
        }
    }

    @AfterAll
    static void dropDatabase() throws SQLException {
        try (Connection c = DriverManager.getConnection(ADMIN_URL); Statement st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        }
    }

    @BeforeEach
    void createSchema() throws SQLException {
        schema = "k_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10).toLowerCase(Locale.ROOT);
        try (Connection c = DriverManager.getConnection(databaseUrl()); Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA " + schema);
        }
    }

    private static String databaseUrl() {
        int q = ADMIN_URL.indexOf('?');
        String base = q < 0 ? ADMIN_URL : ADMIN_URL.substring(0, q);
        String params = q < 0 ? "" : ADMIN_URL.substring(q);
        return base.substring(0, base.lastIndexOf('/') + 1) + database + params;
    }

    @Override
    String url() {
        String db = databaseUrl();
        return db + (db.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }

    @Override
    String lookupPlan(Connection c, String hash) throws SQLException {
        StringBuilder plan = new StringBuilder();
        // EXPLAIN of the very statement the store prepares, with the parameter bound.
        try (PreparedStatement ps = c.prepareStatement("EXPLAIN " + JdbcKeyStore.BY_HASH)) {
            ps.setString(1, hash);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    plan.append(rs.getString(1)).append('\n');
                }
            }
        }
        assertThat(plan.toString()).containsPattern("Index (Only )?Scan using virtual_keys_secret_hash")
                .doesNotContain("Seq Scan");
        return plan.toString();
    }

    @Test
    void anUnreachableServerIsAKeyStoreExceptionWithoutThePassword() {
        assertThatThrownBy(() -> JdbcKeyStore.open("jdbc:postgresql://127.0.0.1:1/nowhere?password=hunter2",
                LedgerOptions.defaults().withBusyTimeout(Duration.ofSeconds(1))))
                .isInstanceOf(KeyStoreException.class)
                .hasMessageContaining("127.0.0.1:1/nowhere")
                .hasMessageNotContaining("hunter2");
    }
}
