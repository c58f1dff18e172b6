package dev.tokenrt.store.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.time.Duration;
import java.util.Optional;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.postgresql.ds.PGSimpleDataSource;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * How the store's SQL engines are opened, migrated and pooled, written once for the usage ledger and the
 * budget counters so that both see the same file settings and the same schema history (one Flyway folder
 * per dialect). Public for the store's own packages only: it is not an API for users of Token Runtime.
 */
public final class Databases {

    private Databases() {
    }

    /**
     * A plain, unpooled data source. SQLite: WAL (readers do not wait for the writer), {@code synchronous=NORMAL}
     * (a commit survives a killed process, not a power cut) and the given busy timeout, which is how long a
     * statement waits for another connection's or process's write lock. PostgreSQL: the given connect timeout
     * (rounded up to whole seconds), credentials if not in the URL, and the application name.
     */
    public static DataSource dataSource(Dialect dialect, String jdbcUrl, Duration busyTimeout,
            Optional<String> username, Optional<String> password, String applicationName) {
        return switch (dialect) {
            case SQLITE -> {
                SQLiteConfig config = new SQLiteConfig();
                config.setJournalMode(SQLiteConfig.JournalMode.WAL);
                config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
                config.setBusyTimeout((int) Math.min(Integer.MAX_VALUE, busyTimeout.toMillis()));
                SQLiteDataSource ds = new SQLiteDataSource(config);
                ds.setUrl(jdbcUrl);
                yield ds;
            }
            case POSTGRESQL -> {
                PGSimpleDataSource ds = new PGSimpleDataSource();
                ds.setUrl(jdbcUrl);
                username.ifPresent(ds::setUser);
                password.ifPresent(ds::setPassword);
                ds.setConnectTimeout((int) Math.max(1, busyTimeout.toSeconds()));
                ds.setApplicationName(applicationName);
                yield ds;
            }
        };
    }

    /**
     * Creates or upgrades the schema (every table of the store: ledger and counters) from the dialect's
     * migration folder. Harmless when already current.
     *
     * @throws FlywayException if the database cannot be reached or a migration fails
     */
    public static void migrate(Dialect dialect, DataSource ds) {
        Flyway.configure()
                .dataSource(ds)
                .locations(dialect.migrationLocation())
                .failOnMissingLocations(true)
                // SQLite answers ALTER TABLE ... ADD COLUMN ... NOT NULL with a check query whose empty result
                // Flyway would print.
                .outputQueryResults(false)
                .load()
                .migrate();
    }

    /**
     * A Hikari pool over {@code ds} of at most {@code size} connections, keeping one open, with
     * {@code autoCommit} as given; {@code timeout} bounds the wait for a free connection (at least 250 ms).
     */
    public static HikariDataSource pool(DataSource ds, String name, int size, Duration timeout,
            boolean autoCommit) {
        HikariConfig config = new HikariConfig();
        config.setDataSource(ds);
        config.setPoolName(name);
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(1);
        config.setAutoCommit(autoCommit);
        config.setConnectionTimeout(Math.max(250, timeout.toMillis()));
        return new HikariDataSource(config);
    }
}
