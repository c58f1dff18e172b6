package dev.tokenrt.gateway;

import static dev.tokenrt.gateway.GatewayHarness.chatBody;
import static dev.tokenrt.gateway.GatewayHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.tokenrt.budget.BudgetJson;
import dev.tokenrt.testkit.FakeUpstream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two gateways sharing one SQLite database (two replicas on one machine) and one webhook: a budget crossed
 * through both fires each level once, and either gateway lists the alerts on {@code GET /admin/v1/alerts}.
 */
class BudgetAlertsGatewayTest {

    static HttpServer hook;
    static final List<String> posted = new CopyOnWriteArrayList<>();
    static GatewayHarness a;
    static GatewayHarness b;

    @BeforeAll
    static void start() throws Exception {
        hook = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        hook.createContext("/hook", ex -> {
            try (InputStream in = ex.getRequestBody()) {
                posted.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        hook.start();
        Path dir = Files.createTempDirectory("tokenrt-alerts");
        String db = "jdbc:sqlite:" + dir.resolve("tokenrt.db");
        // User "watched": four requests a day; warn at half, critical at three quarters.
        BudgetSettings settings = BudgetSettings.DEFAULTS
                .withWebhooks(List.of(URI.create("http://127.0.0.1:" + hook.getAddress().getPort() + "/hook")))
                .withDefinitions(List.of(BudgetJson.parse(GatewayHarness.JSON.readTree("{\"id\":\"watched-requests\","
                        + "\"scope\":\"user\",\"scope_id\":\"watched\",\"period\":\"day\",\"metric\":\"requests\","
                        + "\"limit\":4,\"warn_at\":0.5,\"critical_at\":0.75,\"action\":\"deny\"}"))));
        a = new GatewayHarness(dir.resolve("a"), FakeUpstream.Options.defaults(), db, settings);
        b = new GatewayHarness(dir.resolve("b"), FakeUpstream.Options.defaults(), db, settings);
    }

    @AfterAll
    static void stop() {
        a.close();
        b.close();
        hook.stop(0);
    }

    static HttpResponse<String> chat(GatewayHarness h) throws Exception {
        return h.send(h.post("/v1/chat/completions", chatBody("gpt-4o-mini", false, ""))
                .header("x-tokenrt-user", "watched").build());
    }

    static HttpResponse<String> alerts(GatewayHarness h, String query) throws Exception {
        return h.send(HttpRequest.newBuilder(URI.create(h.base() + "/admin/v1/alerts" + query))
                .header("authorization", "Bearer " + GatewayHarness.MASTER).timeout(Duration.ofSeconds(10)).GET()
                .build());
    }

    @Test
    void eachLevelFiresOnceAcrossBothGatewaysAndIsListedByEither() throws Exception {
        List<Integer> statuses = new ArrayList<>();
        for (GatewayHarness h : List.of(a, b, a, b, a, b)) {
            statuses.add(chat(h).statusCode());
        }
        assertThat(statuses).containsExactly(200, 200, 200, 200, 429, 429);
        // Webhooks are delivered off the request thread: wait for them, bounded.
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (posted.size() < 3 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        Thread.sleep(200); // a duplicate, if one were coming, would arrive about now
        List<String> levels = new ArrayList<>();
        for (String body : posted) {
            levels.add(json(body).path("tokenrt").path("level").asText());
        }
        assertThat(levels).containsExactlyInAnyOrder("warn", "critical", "exceeded");

        for (GatewayHarness h : List.of(a, b)) {
            HttpResponse<String> r = alerts(h, "?budget=watched-requests");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode data = json(r.body()).path("data");
            assertThat(data).hasSize(3);
            List<String> listed = new ArrayList<>();
            data.forEach(n -> listed.add(n.path("level").asText()));
            assertThat(listed).containsExactlyInAnyOrder("warn", "critical", "exceeded");
            JsonNode exceeded = null;
            for (JsonNode n : data) {
                if (n.path("level").asText().equals("exceeded")) {
                    exceeded = n;
                }
            }
            assertThat(exceeded.path("object").asText()).isEqualTo("budget.alert");
            assertThat(exceeded.path("used").asLong()).isEqualTo(4);
            assertThat(exceeded.path("limit").asLong()).isEqualTo(4);
            assertThat(exceeded.path("member").asText()).isEqualTo("watched");
            assertThat(exceeded.path("message").asText()).contains("watched-requests").contains("exhausted");
        }
        assertThat(json(alerts(a, "?budget=someone-else").body()).path("data")).isEmpty();
        assertThat(json(alerts(a, "?since=2999-01-01T00:00:00Z").body()).path("data")).isEmpty();
        assertThat(json(alerts(a, "?limit=1").body()).path("data")).hasSize(1);
        HttpResponse<String> bad = alerts(a, "?limit=0");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(json(bad.body()).path("error").path("message").asText()).contains("limit");
        HttpResponse<String> noKey = a.send(HttpRequest.newBuilder(URI.create(a.base() + "/admin/v1/alerts")).GET()
                .build());
        assertThat(noKey.statusCode()).isEqualTo(401);
    }
}
