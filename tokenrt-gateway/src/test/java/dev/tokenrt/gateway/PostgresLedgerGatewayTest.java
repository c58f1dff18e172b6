package dev.tokenrt.gateway;

import static dev.tokenrt.gateway.GatewayHarness.chatBody;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrt.ledger.LedgerEntry;
import dev.tokenrt.testkit.FakeUpstream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gateway with its ledger in PostgreSQL (as replicas run it), on the PostgreSQL server on loopback.
 * Fails, never skips, when PostgreSQL is not running: CI starts it.
 */
class PostgresLedgerGatewayTest {

    static final String ADMIN_URL = System.getProperty("tokenrt.pg.admin", "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres");
    static final String DB = "tokenrt_gw_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    static GatewayHarness h;

    @BeforeAll
    static void start() throws Exception {
        try (Connection c = DriverManager.getConnection(ADMIN_URL); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + DB);
        } catch (java.sql.SQLException e) {
            throw new AssertionError("PostgreSQL on 127.0.0.1:5432 is needed (start it, or run .ci/run): " + e.getMessage(), e);
        }
        String url = "jdbc:postgresql://127.0.0.1:5432/" + DB + "?user=postgres";
        h = new GatewayHarness(Files.createTempDirectory("tokenrt-pg"), FakeUpstream.Options.defaults(), url);
    }

    @AfterAll
    static void stop() throws Exception {
        if (h != null) {
            h.close();
        }
        try (Connection c = DriverManager.getConnection(ADMIN_URL); Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + DB + " WITH (FORCE)");
        }
    }

    @Test
    void requestsLandInPostgres() throws Exception {
        HttpResponse<String> r = h.chat(chatBody("gpt-4o-mini", false, ""));
        assertThat(r.statusCode()).isEqualTo(200);
        String id = r.headers().firstValue("x-tokenrt-request-id").orElseThrow();
        LedgerEntry row = h.row(id);
        assertThat(row.usage().inputTokens()).isPositive();
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/" + DB + "?user=postgres");
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM requests")) {
            rs.next();
            assertThat(rs.getLong(1)).isGreaterThanOrEqualTo(1);
        }
    }
}
