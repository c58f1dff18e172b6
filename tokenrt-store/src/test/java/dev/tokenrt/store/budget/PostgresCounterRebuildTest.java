package dev.tokenrt.store.budget;

import dev.tokenrt.budget.CounterStore;
import dev.tokenrt.store.PostgresScratch;
import java.sql.SQLException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Rebuilding across replicas on PostgreSQL: the ledger and the counters in one scratch schema. The Redis variant
 * extends it, keeping the ledger here and moving the counters.
 */
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
    CounterStore openCounters(String ledgerUrl, MutableClock clock) throws Exception {
        return JdbcCounterStore.open(ledgerUrl, JdbcCounterStore.Options.defaults().withClock(clock));
    }

    @Override
    void wipe() throws Exception {
        wipeSql(ledgerUrl);
    }
}
