package dev.tokenrt.store.budget;

import dev.tokenrt.budget.CounterStore;
import java.nio.file.Path;
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
        wipeSql(ledgerUrl);
    }
}
