package dev.tokenrt.store.keys;

import dev.tokenrt.store.PostgresScratch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenrt.keys.KeyStoreException;
import dev.tokenrt.store.ledger.LedgerOptions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The key store contract on a real PostgreSQL server: one throw-away database for the class, one fresh schema
 * per test. The server comes from {@code -Dtokenrt.test.postgres} (default 127.0.0.1:5432, user postgres,
 * database test), as for the ledger's tests. If it cannot be reached the tests fail; they never skip.
 */
class PostgresKeyStoreTest extends KeyStoreContract {

    static PostgresScratch pg;
    String schema;

    @BeforeAll
    static void createDatabase() {
        pg = PostgresScratch.createDatabase("tokenrt_keys_");
    }

    @AfterAll
    static void dropDatabase() throws SQLException {
        pg.drop();
    }

    @BeforeEach
    void createSchema() throws SQLException {
        schema = pg.newSchema("k_");
    }

    @Override
    String url() {
        return pg.schemaUrl(schema);
    }

    @Override
    String lookupPlan(Connection c, String hash) throws SQLException {
        StringBuilder plan = new StringBuilder();
        // EXPLAIN of the very statement the store prepares, with the parameter bound.
        try (PreparedStatement ps = c.prepareStatement("EXPLAIN " + JdbcKeyStore.BY_HASH)) {
            ps.setString(1, hash);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    plan.append(rs.getString(1)).append('\n');
                }
            }
        }
        assertThat(plan.toString()).containsPattern("Index (Only )?Scan using virtual_keys_secret_hash")
                .doesNotContain("Seq Scan");
        return plan.toString();
    }

    @Test
    void anUnreachableServerIsAKeyStoreExceptionWithoutThePassword() {
        assertThatThrownBy(() -> JdbcKeyStore.open("jdbc:postgresql://127.0.0.1:1/nowhere?password=hunter2",
                LedgerOptions.defaults().withBusyTimeout(Duration.ofSeconds(1))))
                .isInstanceOf(KeyStoreException.class)
                .hasMessageContaining("127.0.0.1:1/nowhere")
                .hasMessageNotContaining("hunter2");
    }
}
