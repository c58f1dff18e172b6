package dev.tokenrt.store.budget;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenrt.budget.BudgetStoreException;
import dev.tokenrt.store.ledger.LedgerOptions;
import java.sql.Connection;
import java.sql.DriverManager;
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
 * The budget registry contract on a real PostgreSQL server: one throw-away database for the class, one fresh
 * schema per test (two registries on one schema are two replicas). The server comes from
 * {@code -Dtokenrt.test.postgres} (default 127.0.0.1:5432, user postgres, database test), as for the ledger's
 * and keys' tests. If it cannot be reached the tests fail; they never skip.
 */
class PostgresBudgetRegistryTest extends BudgetRegistryContract {

    static final String ADMIN_URL = System.getProperty("tokenrt.test.postgres",
            "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");

    static String database;
    String schema;

    @BeforeAll
    static void createDatabase() {
        database = "tokenrt_budgets_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
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
        schema = "b_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10).toLowerCase(Locale.ROOT);
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

    @Test
    void anUnreachableServerIsABudgetStoreExceptionWithoutThePassword() {
        assertThatThrownBy(() -> JdbcBudgetRegistry.open("jdbc:postgresql://127.0.0.1:1/nowhere?password=hunter2",
                LedgerOptions.defaults().withBusyTimeout(Duration.ofSeconds(1)), JdbcBudgetRegistry.Options.defaults()))
                .isInstanceOf(BudgetStoreException.class)
                .hasMessageContaining("127.0.0.1:1/nowhere")
                .hasMessageNotContaining("hunter2");
    }
}
