package dev.tokenrt.store.ledger;

import com.zaxxer.hikari.HikariDataSource;
import dev.tokenrt.store.jdbc.Databases;
import dev.tokenrt.store.jdbc.Dialect;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.flywaydb.core.api.FlywayException;

/**
 * The ledger's connections: one pool of exactly one connection for all writes (the batch writer and
 * retention take turns on it, which is what SQLite wants and keeps PostgreSQL writes ordered), and a
 * read pool for reports. Migrations run once, on a plain unpooled data source, before the pools open.
 * Opening, migrating and pooling are {@link Databases}', shared with the budget counters.
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
        DataSource plain = Databases.dataSource(dialect, jdbcUrl, opts.busyTimeout(), opts.username(),
                opts.password(), "tokenrt-ledger");
        try {
            Databases.migrate(dialect, plain);
        } catch (FlywayException e) {
            throw new LedgerException("cannot migrate the ledger schema at " + Dialect.redact(jdbcUrl) + ": "
                    + e.getMessage(), e);
        }
        HikariDataSource write = null;
        try {
            write = Databases.pool(plain, "tokenrt-ledger-write", 1, opts.busyTimeout(), false);
            HikariDataSource read = Databases.pool(plain, "tokenrt-ledger-read", opts.readPoolSize(),
                    opts.busyTimeout(), false);
            return new Connections(dialect, write, read);
        } catch (RuntimeException e) {
            if (write != null) {
                write.close();
            }
            throw new LedgerException("cannot open ledger connections to " + Dialect.redact(jdbcUrl), e);
        }
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
