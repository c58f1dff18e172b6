package dev.tokenrt.store.budget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenrt.budget.CounterStore.Reservation.Granted;
import dev.tokenrt.budget.CounterStore.State;
import dev.tokenrt.budget.CounterStoreUnavailableException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The contract on a real PostgreSQL server: one throw-away database for the class, one fresh schema per test.
 * The server is taken from {@code -Dtokenrt.test.postgres=jdbc:postgresql://host:port/db?user=...} (default:
 * 127.0.0.1:5432, user postgres, database test). If it cannot be reached the tests fail; they never skip, since
 * CI starts PostgreSQL.
 */
class PostgresCounterStoreTest extends JdbcCounterStoreContract {

    static final String ADMIN_URL = System.getProperty("tokenrt.test.postgres",
            "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");

    static String database;
    String schema;

    @BeforeAll
    static void createDatabase() {
        database = "tokenrt_counters_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
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

    @Override
    void prepare() throws SQLException {
        schema = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10).toLowerCase(Locale.ROOT);
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
    void aRowLockHeldElsewhereMakesTheStoreUnavailableAndThenItCarriesOn() throws SQLException {
        assertThat(reserve("h1", hold("a", 100, 10))).isInstanceOf(Granted.class);
        store.close();
        store = JdbcCounterStore.open(url(), options(clock).withBusyTimeout(Duration.ofMillis(200)));
        try (Connection other = DriverManager.getConnection(url()); Statement st = other.createStatement()) {
            other.setAutoCommit(false);
            st.execute("SELECT used FROM budget_counters WHERE counter_key = 'a' FOR UPDATE"); // a stuck replica
            assertThatThrownBy(() -> reserve("h2", hold("a", 100, 10)))
                    .isInstanceOf(CounterStoreUnavailableException.class).hasMessageContaining("lock timeout");
            assertThat(store.state("a")).isEqualTo(new State(0, 10)); // reading takes no row lock
            other.rollback();
        }
        assertThat(reserve("h2", hold("a", 100, 10))).isInstanceOf(Granted.class);
        assertThat(store.state("a")).isEqualTo(new State(0, 20));
    }

    @Test
    void unreachablePostgresFailsAsUnavailableWithoutLeakingThePassword() {
        // Port 1 on loopback refuses at once.
        assertThatThrownBy(() -> JdbcCounterStore.open("jdbc:postgresql://127.0.0.1:1/x?password=hunter2",
                JdbcCounterStore.Options.defaults().withBusyTimeout(Duration.ofSeconds(1))))
                .isInstanceOf(CounterStoreUnavailableException.class)
                .hasMessageContaining("127.0.0.1:1")
                .hasMessageNotContaining("hunter2");
    }
}
