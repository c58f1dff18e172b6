package dev.tokenrt.store.ledger;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.postgresql.ds.PGSimpleDataSource;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * The ledger's connections: one pool of exactly one connection for all writes (the batch writer and
 * retention take turns on it, which is what SQLite wants and keeps PostgreSQL writes ordered), and a
 * read pool for reports. Migrations run once, on a plain unpooled data source, before the pools open.
 */
final class Connections implements AutoCloseable {

    private final Dialect dialect;
    private final HikariDataSource writePool;
    private final HikariDataSource readPool;

    private Connections(Dialect dialect, HikariDataSource writePool, HikariDataSource readPool) {
        this.dialect = dialect;
        this.writePool = writePool;
        this.readPool = readPool;
    }

    static Connections open(String jdbcUrl, LedgerOptions opts) {
        Dialect dialect = Dialect.of(jdbcUrl);
        DataSource plain = switch (dialect) {
            case SQLITE -> sqlite(jdbcUrl, opts);
            case POSTGRESQL -> postgresql(jdbcUrl, opts);
        };
        migrate(dialect, plain, jdbcUrl);
        HikariDataSource write = null;
        try {
            write = pool(plain, "tokenrt-ledger-write", 1, opts);
            HikariDataSource read = pool(plain, "tokenrt-ledger-read", opts.readPoolSize(), opts);
            return new Connections(dialect, write, read);
        } catch (RuntimeException e) {
            if (write != null) {
                write.close();
            }
            throw new LedgerException("cannot open ledger connections to " + Dialect.redact(jdbcUrl), e);
        }
    }

    private static SQLiteDataSource sqlite(String jdbcUrl, LedgerOptions opts) {
        SQLiteConfig config = new SQLiteConfig();
        // WAL lets reports read while the writer commits; NORMAL syncs the WAL at checkpoints only, so a
        // committed batch survives a killed process (it is in the WAL) though not a power cut.
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
        config.setBusyTimeout((int) Math.min(Integer.MAX_VALUE, opts.busyTimeout().toMillis()));
        SQLiteDataSource ds = new SQLiteDataSource(config);
        ds.setUrl(jdbcUrl);
        return ds;
    }

    private static PGSimpleDataSource postgresql(String jdbcUrl, LedgerOptions opts) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(jdbcUrl);
        opts.username().ifPresent(ds::setUser);
        opts.password().ifPresent(ds::setPassword);
        ds.setConnectTimeout((int) Math.max(1, opts.busyTimeout().toSeconds()));
        ds.setApplicationName("tokenrt-ledger");
        return ds;
    }

    private static void migrate(Dialect dialect, DataSource ds, String jdbcUrl) {
        try {
            Flyway.configure()
                    .dataSource(ds)
                    .locations(dialect.migrationLocation())
                    .failOnMissingLocations(true)
                    .load()
                    .migrate();
        } catch (FlywayException e) {
            throw new LedgerException("cannot migrate the ledger schema at " + Dialect.redact(jdbcUrl) + ": "
                    + e.getMessage(), e);
        }
    }

    private static HikariDataSource pool(DataSource ds, String name, int size, LedgerOptions opts) {
        HikariConfig config = new HikariConfig();
        config.setDataSource(ds);
        config.setPoolName(name);
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(1);
        config.setAutoCommit(false);
        config.setConnectionTimeout(Math.max(250, opts.busyTimeout().toMillis()));
        return new HikariDataSource(config);
    }

    Dialect dialect() {
        return dialect;
    }

    /** The single write connection; callers hold it for one transaction and give it back. */
    Connection write() throws SQLException {
        return writePool.getConnection();
    }

    Connection read() throws SQLException {
        return readPool.getConnection();
    }

    @Override
    public void close() {
        try {
            readPool.close();
        } finally {
            writePool.close();
        }
    }
}
