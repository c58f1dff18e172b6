package dev.tokenrt.store.ledger;

import dev.tokenrt.store.PostgresScratch;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * The ledger contract on a real PostgreSQL server: one throw-away database for the class, one fresh schema
 * per test. The server is taken from {@code -Dtokenrt.test.postgres=jdbc:postgresql://host:port/db?user=...}
 * (default: 127.0.0.1:5432, user postgres, database test). If it cannot be reached the tests fail; they
 * never skip, since CI starts PostgreSQL.
 */
class PostgresUsageLedgerTest extends UsageLedgerContract {

    static PostgresScratch pg;
    String schema;

    @BeforeAll
    static void createDatabase() {
        pg = PostgresScratch.createDatabase("tokenrt_test_");
    }

    @AfterAll
    static void dropDatabase() throws SQLException {
        pg.drop();
    }

    @BeforeEach
    void createSchema() throws SQLException {
        schema = pg.newSchema("t_");
    }

    @Override
    String url() {
        return pg.schemaUrl(schema);
    }

    @Override
    AutoCloseable blockWriter(Connection c) throws SQLException {
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute("LOCK TABLE requests IN EXCLUSIVE MODE"); // inserts wait until the rollback
        }
        return c::rollback;
    }

    @Override
    boolean storesNulInText() {
        return false;
    }
}
