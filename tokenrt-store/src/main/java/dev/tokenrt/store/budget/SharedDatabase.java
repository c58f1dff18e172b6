package dev.tokenrt.store.budget;

import com.zaxxer.hikari.HikariDataSource;
import dev.tokenrt.budget.BudgetStoreException;
import dev.tokenrt.keys.KeyStoreException;
import dev.tokenrt.store.keys.KeyDatabase;
import dev.tokenrt.store.ledger.LedgerOptions;
import java.time.Instant;
import javax.sql.DataSource;

/**
 * Opening the database the budget tables share with the ledger and the keys, the way {@link KeyDatabase} opens
 * it (same URL forms, connection settings and migrations, one auto-commit pool), with failures as
 * {@link BudgetStoreException}s naming what was being opened. One place for the registry, the alert log and the
 * ledger sums that counters are rebuilt from.
 */
final class SharedDatabase {

    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private SharedDatabase() {
    }

    /**
     * A migrated, pooled connection to {@code jdbcUrl}.
     *
     * @param what for messages: "the budget registry", "the alert log"
     * @throws IllegalArgumentException for an unsupported URL or an in-memory SQLite database
     * @throws BudgetStoreException     if the database cannot be reached or migrated
     */
    static HikariDataSource open(String jdbcUrl, LedgerOptions db, String poolName, String what) {
        KeyDatabase.Engine engine = KeyDatabase.engineOf(jdbcUrl);
        String where = KeyDatabase.redact(jdbcUrl);
        try {
            DataSource plain = KeyDatabase.plain(jdbcUrl, engine, db);
            KeyDatabase.migrate(plain, engine, where);
            return KeyDatabase.pool(plain, db, poolName);
        } catch (KeyStoreException e) {
            throw new BudgetStoreException("cannot open " + what + " at " + where + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new BudgetStoreException("cannot open " + what + " connections to " + where, e);
        }
    }

    /** Migrates a data source someone else owns. */
    static void migrate(DataSource ds, String what) {
        try {
            KeyDatabase.migrate(ds, KeyDatabase.engineOf(ds), "the given data source");
        } catch (KeyStoreException e) {
            throw new BudgetStoreException("cannot open " + what + ": " + e.getMessage(), e);
        }
    }

    /** Epoch nanoseconds, as the ledger stores time (years 1678 to 2262). */
    static long nanos(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), NANOS_PER_SECOND), t.getNano());
    }

    static Instant instant(long nanos) {
        return Instant.ofEpochSecond(Math.floorDiv(nanos, NANOS_PER_SECOND), Math.floorMod(nanos, NANOS_PER_SECOND));
    }
}
