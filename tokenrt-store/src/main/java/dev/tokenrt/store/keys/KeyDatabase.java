package dev.tokenrt.store.keys;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.tokenrt.keys.KeyStoreException;
import dev.tokenrt.store.ledger.LedgerOptions;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Locale;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.postgresql.ds.PGSimpleDataSource;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * Opening the database the keys share with the ledger: the same engines, the same connection settings
 * (SQLite in WAL with a busy timeout; PostgreSQL with the ledger's credentials) and the same Flyway
 * migrations, which hold both the ledger's tables and {@code virtual_keys}. It mirrors the ledger's own
 * {@code Connections}, which is private to its package; one pool serves both reads and writes here, since
 * key writes are rare admin calls and every statement is a single auto-committed one.
 *
 * <p>Public so that the admin budgets ({@code dev.tokenrt.store.budget.JdbcBudgetRegistry}), which share the
 * database, the migrations and these settings, open it the same way. Failures are {@link KeyStoreException}s.
 */
public final class KeyDatabase {

    /** The engines the shared database runs on, and the folder of each one's migrations. */
    public enum Engine {
        SQLITE("sqlite"), POSTGRESQL("postgresql");

        final String folder;

        Engine(String folder) {
            this.folder = folder;
        }
    }

    private KeyDatabase() {
    }

    public static Engine engineOf(String jdbcUrl) {
        String url = jdbcUrl.trim().toLowerCase(Locale.ROOT);
        if (url.startsWith("jdbc:sqlite:")) {
            String target = url.substring("jdbc:sqlite:".length());
            if (target.isEmpty() || target.startsWith(":memory:") || target.contains("mode=memory")) {
                // Each pooled connection would see its own empty database, and no replica could share it.
                throw new IllegalArgumentException("the SQLite key store needs a database file, e.g. "
                        + "jdbc:sqlite:/var/lib/tokenrt/tokenrt.db; in-memory databases are not supported");
            }
            return Engine.SQLITE;
        }
        if (url.startsWith("jdbc:postgresql:")) {
            return Engine.POSTGRESQL;
        }
        throw new IllegalArgumentException("unsupported key store URL (expected jdbc:sqlite:<file> or "
                + "jdbc:postgresql://host/db): " + redact(jdbcUrl));
    }

    /** The engine behind a data source someone else opened. */
    public static Engine engineOf(DataSource ds) {
        try (Connection c = ds.getConnection()) {
            String product = c.getMetaData().getDatabaseProductName().toLowerCase(Locale.ROOT);
            if (product.contains("sqlite")) {
                return Engine.SQLITE;
            }
            if (product.contains("postgres")) {
                return Engine.POSTGRESQL;
            }
            throw new IllegalArgumentException("unsupported database for keys: " + product
                    + " (SQLite and PostgreSQL are)");
        } catch (SQLException e) {
            throw new KeyStoreException("cannot reach the key database: " + e.getMessage(), e);
        }
    }

    /** A plain, unpooled data source for the URL, set up as the ledger sets up its own. */
    public static DataSource plain(String jdbcUrl, Engine engine, LedgerOptions opts) {
        return switch (engine) {
            case SQLITE -> {
                SQLiteConfig config = new SQLiteConfig();
                config.setJournalMode(SQLiteConfig.JournalMode.WAL);
                config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
                config.setBusyTimeout((int) Math.min(Integer.MAX_VALUE, opts.busyTimeout().toMillis()));
                SQLiteDataSource ds = new SQLiteDataSource(config);
                ds.setUrl(jdbcUrl);
                yield ds;
            }
            case POSTGRESQL -> {
                PGSimpleDataSource ds = new PGSimpleDataSource();
                ds.setUrl(jdbcUrl);
                opts.username().ifPresent(ds::setUser);
                opts.password().ifPresent(ds::setPassword);
                ds.setConnectTimeout((int) Math.max(1, opts.busyTimeout().toSeconds()));
                ds.setApplicationName("tokenrt-keys");
                yield ds;
            }
        };
    }

    /** Runs the store's migrations (ledger and keys alike); harmless when they have run already. */
    public static void migrate(DataSource ds, Engine engine, String where) {
        try {
            Flyway.configure()
                    .dataSource(ds)
                    .locations("classpath:db/migration/" + engine.folder)
                    .failOnMissingLocations(true)
                    // SQLite answers ALTER TABLE ... ADD COLUMN ... NOT NULL with a check query whose empty result
                    // Flyway would print.
                    .outputQueryResults(false)
                    .load()
                    .migrate();
        } catch (FlywayException e) {
            throw new KeyStoreException("cannot migrate the key schema at " + where + ": " + e.getMessage(), e);
        }
    }

    public static HikariDataSource pool(DataSource ds, LedgerOptions opts) {
        return pool(ds, opts, "tokenrt-keys");
    }

    /** {@link #pool(DataSource, LedgerOptions)} under another name, for the other tables' owners. */
    public static HikariDataSource pool(DataSource ds, LedgerOptions opts, String poolName) {
        HikariConfig config = new HikariConfig();
        config.setDataSource(ds);
        config.setPoolName(poolName);
        config.setMaximumPoolSize(opts.readPoolSize());
        config.setMinimumIdle(1);
        config.setAutoCommit(true);
        config.setConnectionTimeout(Math.max(250, opts.busyTimeout().toMillis()));
        return new HikariDataSource(config);
    }

    /** A URL for messages: everything after '?' may hold a password, so it is cut. */
    public static String redact(String jdbcUrl) {
        int q = jdbcUrl.indexOf('?');
        return q < 0 ? jdbcUrl : jdbcUrl.substring(0, q) + "?…";
    }
}
