package dev.tokenrt.store.budget;

import dev.tokenrt.store.PostgresScratch;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenrt.budget.BudgetStoreException;
import dev.tokenrt.store.ledger.LedgerOptions;
import java.sql.SQLException;
import java.time.Duration;
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

    static PostgresScratch pg;
    String schema;

    @BeforeAll
    static void createDatabase() {
        pg = PostgresScratch.createDatabase("tokenrt_budgets_");
    }

    @AfterAll
    static void dropDatabase() throws SQLException {
        pg.drop();
    }

    @BeforeEach
    void createSchema() throws SQLException {
        schema = pg.newSchema("b_");
    }

    @Override
    String url() {
        return pg.schemaUrl(schema);
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
