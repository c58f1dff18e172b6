package dev.tokenrt.store.budget;

import dev.tokenrt.budget.CounterStore;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.junit.jupiter.api.io.TempDir;

/** Rebuilding on one machine: the ledger and the counters in one SQLite file. */
class SqliteCounterRebuildTest extends CounterRebuildContract {

    @TempDir
    Path dir;

    @Override
    String prepareLedger() {
        return "jdbc:sqlite:" + dir.resolve("tokenrt.db");
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
