package dev.tokenrt.gateway;

import static dev.tokenrt.gateway.GatewayHarness.chatBody;
import static dev.tokenrt.gateway.GatewayHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrt.budget.BudgetJson;
import dev.tokenrt.testkit.FakeUpstream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /admin/v1/budgets/rebuild} over real HTTP: after real traffic (answers, a stream, upstream failures, a
 * refusal), the counters are wiped and rebuilt from the ledger, and come back to exactly what live enforcement had
 * counted.
 */
class BudgetRebuildGatewayTest {

    static GatewayHarness h;
    static String db;

    @BeforeAll
    static void start() throws Exception {
        Path dir = Files.createTempDirectory("tokenrt-rebuild");
        db = "jdbc:sqlite:" + dir.resolve("tokenrt.db");
        BudgetSettings settings = BudgetSettings.DEFAULTS.withDefinitions(List.of(
                BudgetJson.parse(GatewayHarness.JSON.readTree("{\"id\":\"all-cost\",\"scope\":\"global\","
                        + "\"period\":\"day\",\"limit\":\"100\",\"action\":\"deny\"}")),
                BudgetJson.parse(GatewayHarness.JSON.readTree("{\"id\":\"per-user\",\"scope\":\"user\","
                        + "\"scope_id\":\"*\",\"period\":\"day\",\"metric\":\"requests\",\"limit\":3}")),
                BudgetJson.parse(GatewayHarness.JSON.readTree("{\"id\":\"tokens-total\",\"scope\":\"project\","
                        + "\"scope_id\":\"p1\",\"period\":\"total\",\"metric\":\"tokens\",\"limit\":1000000}"))));
        // The counters in the database itself (budgets.counters: database), so this test can read and wipe them with
        // SQL; the embedded default keeps them in memory and only persists them.
        h = new GatewayHarness(dir, FakeUpstream.Options.defaults(), db, settings.withDatabaseCounters(true));
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    static int chat(String model, boolean stream, String user) throws Exception {
        HttpResponse<String> r = h.send(h.post("/v1/chat/completions", chatBody(model, stream, ""))
                .header("x-tokenrt-user", user).header("x-tokenrt-project", "p1").build());
        return r.statusCode();
    }

    static Map<String, Long> counters() throws Exception {
        Map<String, Long> out = new TreeMap<>();
        try (Connection c = DriverManager.getConnection(db); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT counter_key, used FROM budget_counters")) {
            while (rs.next()) {
                out.put(rs.getString(1), rs.getLong(2));
            }
        }
        return out;
    }

    static void execute(String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(db); Statement st = c.createStatement()) {
            st.executeUpdate(sql);
        }
    }

    @Test
    void wipedCountersAreRebuiltToWhatLiveEnforcementCounted() throws Exception {
        assertThat(chat("gpt-4o-mini", false, "alice")).isEqualTo(200);
        assertThat(chat("gpt-4o", false, "alice")).isEqualTo(200);
        assertThat(chat("gpt-4o-mini", true, "bob")).isEqualTo(200);
        assertThat(chat("bad-upstream", false, "bob")).isEqualTo(502); // failed upstream: released, counts nothing
        assertThat(chat("claude-sonnet-4-5", false, "alice")).isEqualTo(200);
        assertThat(chat("gpt-4o-mini", false, "alice")).isEqualTo(429); // alice's fourth: refused by per-user
        Map<String, Long> live = counters();
        assertThat(live).containsKey("b:all-cost:" + java.time.LocalDate.now(java.time.ZoneOffset.UTC)
                .atStartOfDay(java.time.ZoneOffset.UTC).toEpochSecond());
        assertThat(live.values()).allMatch(v -> v > 0);
        assertThat(live.entrySet()).anyMatch(e -> e.getKey().startsWith("b:per-user:alice:") && e.getValue() == 3);

        execute("UPDATE budget_counters SET used = 0");
        HttpResponse<String> dry = h.send(h.post("/admin/v1/budgets/rebuild?dry_run=true", "").build());
        assertThat(dry.statusCode()).as(dry.body()).isEqualTo(200);
        assertThat(json(dry.body()).path("dry_run").asBoolean()).isTrue();
        assertThat(counters().values()).as("a dry run writes nothing").allMatch(v -> v == 0);

        HttpResponse<String> r = h.send(h.post("/admin/v1/budgets/rebuild", "{\"dry_run\":false}").build());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode body = json(r.body());
        assertThat(body.path("object").asText()).isEqualTo("budget.rebuild");
        assertThat(body.path("counters_changed").asInt()).isEqualTo(live.size());
        assertThat(counters()).isEqualTo(live);
        JsonNode cost = null;
        for (JsonNode c : body.path("data")) {
            if (c.path("budget").asText().equals("all-cost")) {
                cost = c;
            }
        }
        assertThat(cost.path("before").asText()).isEqualTo("0");
        assertThat(cost.path("after").asText()).isNotEqualTo("0");
        assertThat(cost.path("changed").asBoolean()).isTrue();
        // Rebuilding what is right changes nothing.
        HttpResponse<String> again = h.send(h.post("/admin/v1/budgets/rebuild", "").build());
        assertThat(json(again.body()).path("counters_changed").asInt()).isZero();
        HttpResponse<String> bad = h.send(h.post("/admin/v1/budgets/rebuild?dry_run=maybe", "").build());
        assertThat(bad.statusCode()).isEqualTo(400);
    }
}
