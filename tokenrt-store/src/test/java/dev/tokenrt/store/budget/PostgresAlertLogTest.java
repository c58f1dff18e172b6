package dev.tokenrt.store.budget;

import dev.tokenrt.store.PostgresScratch;
import java.sql.SQLException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/** Shared alert de-duplication on a real PostgreSQL server: one scratch database, a fresh schema per test. */
class PostgresAlertLogTest extends AlertLogContract {

    static PostgresScratch pg;
    String schema;

    @BeforeAll
    static void createDatabase() {
        pg = PostgresScratch.createDatabase("tokenrt_alerts_");
    }

    @AfterAll
    static void dropDatabase() throws SQLException {
        pg.drop();
    }

    @BeforeEach
    void createSchema() throws SQLException {
        schema = pg.newSchema("a_");
    }

    @Override
    String url() {
        return pg.schemaUrl(schema);
    }
}
