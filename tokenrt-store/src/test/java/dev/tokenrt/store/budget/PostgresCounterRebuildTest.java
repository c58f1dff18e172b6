package dev.tokenrt.store.budget;

import dev.tokenrt.budget.CounterStore;
import dev.tokenrt.store.PostgresScratch;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Rebuilding across replicas on PostgreSQL: the ledger and the counters in one scratch schema. */
class PostgresCounterRebuildTest extends CounterRebuildContract {

    static PostgresScratch pg;

    @BeforeAll
    static void createDatabase() {
        pg = PostgresScratch.createDatabase("tokenrt_rebuild_");
    }

    @AfterAll
    static void dropDatabase() throws SQLException {
        pg.drop();
    }

    @Override
    String prepareLedger() throws SQLException {
        return pg.schemaUrl(pg.newSchema("r_"));
    }

    @Override
    CounterStore openCounters(String ledgerUrl, MutableClock clock) {
        return JdbcCounterStore.open(ledgerUrl, JdbcCounterStore.Options.defaults().withClock(clock));
    }

    @Override
    void wipe() throws Exception {
        try (Connection c = DriverManager.getConnection(ledgerUrl); Statement st = c.createStatement()) {
            st.executeUpdate("DELETE FROM budget_counters WHERE held = 0");
            st.executeUpdate("UPDATE budget_counters SET used = 0");
        }
    }
}
