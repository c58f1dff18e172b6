package dev.tokenrt.store.budget;

import dev.tokenrt.store.PostgresScratch;
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

    static PostgresScratch pg;
    String schema;

    @BeforeAll
    static void createDatabase() {
        pg = PostgresScratch.createDatabase("tokenrt_counters_");
    }

    @AfterAll
    static void dropDatabase() throws SQLException {
        pg.drop();
    }

    @Override
    void prepare() throws SQLException {
        schema = pg.newSchema("t_");
    }

    @Override
    String url() {
        return pg.schemaUrl(schema);
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
