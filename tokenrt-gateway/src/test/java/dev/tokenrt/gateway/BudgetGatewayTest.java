package dev.tokenrt.gateway;

import static dev.tokenrt.gateway.GatewayHarness.chatBody;
import static dev.tokenrt.gateway.GatewayHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrt.budget.BudgetJson;
import dev.tokenrt.ledger.LedgerEntry;
import dev.tokenrt.testkit.FakeUpstream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Budgets enforced by the gateway over real HTTP: deny, degrade, clamp and throttle, as a client sees them. */
class BudgetGatewayTest {

    static GatewayHarness h;

    static dev.tokenrt.budget.Budget budget(String json) throws Exception {
        return BudgetJson.parse(GatewayHarness.JSON.readTree(json));
    }

    @BeforeAll
    static void start() throws Exception {
        Path dir = Files.createTempDirectory("tokenrt-budget");
        BudgetSettings settings = new BudgetSettings(java.time.ZoneId.of("UTC"), java.util.Optional.empty(), false,
                java.time.Duration.ofSeconds(1), List.of(), java.util.Map.of(), List.of(), List.of(
                        // Nothing at all for project "broke": every request there is denied.
                        budget("{\"id\":\"broke-deny\",\"scope\":\"project\",\"scope_id\":\"broke\",\"period\":\"day\","
                                + "\"metric\":\"cost_usd\",\"limit\":\"0\",\"action\":\"deny\"}"),
                        // Project "thrifty" has $0.0001: not even a useful gpt-4o answer (about 20 prompt tokens at
                        // $2.50/M plus 16 output tokens at $10/M = $0.00021), but a clamped gpt-4o-mini one.
                        budget("{\"id\":\"thrifty-degrade\",\"scope\":\"project\",\"scope_id\":\"thrifty\",\"period\":\"day\","
                                + "\"metric\":\"cost_usd\",\"limit\":\"0.0001\",\"action\":\"degrade\",\"degrade_to\":\"gpt-4o-mini\"}"),
                        // Session "short": 300 tokens in all, so a request asking for 4,000 output tokens is clamped.
                        budget("{\"id\":\"short-clamp\",\"scope\":\"session\",\"scope_id\":\"short\",\"period\":\"total\","
                                + "\"metric\":\"tokens\",\"limit\":300,\"action\":\"deny\"}"),
                        // User "hasty": one request a minute, then throttled until the window reopens.
                        budget("{\"id\":\"hasty-throttle\",\"scope\":\"user\",\"scope_id\":\"hasty\",\"period\":\"minute\","
                                + "\"metric\":\"requests\",\"limit\":1,\"action\":\"throttle\"}")),
                java.time.Duration.ofMinutes(15), java.time.Duration.ofMillis(200), java.time.Duration.ofMinutes(1));
        h = new GatewayHarness(dir, FakeUpstream.Options.defaults(), "jdbc:sqlite:" + dir.resolve("tokenrt.db"), settings);
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    HttpResponse<String> chat(String model, String header, String value, String extra) throws Exception {
        return h.send(h.post("/v1/chat/completions", chatBody(model, false, extra)).header(header, value).build());
    }

    @Test
    void denyAnswers429InOpenAisQuotaShapeNamingTheBudget() throws Exception {
        HttpResponse<String> r = chat("gpt-4o-mini", "x-tokenrt-project", "broke", "");
        assertThat(r.statusCode()).isEqualTo(429);
        JsonNode err = json(r.body()).path("error");
        assertThat(err.path("type").asText()).isEqualTo("insufficient_quota");
        assertThat(err.path("code").asText()).isEqualTo("budget_exceeded");
        assertThat(err.path("message").asText()).contains("broke-deny");
        LedgerEntry row = h.row(r.headers().firstValue("x-tokenrt-request-id").orElseThrow());
        assertThat(row.status()).isEqualTo(429);
        assertThat(row.costNanos()).isZero();
    }

    @Test
    void anthropicClientsGetAnthropicsRateLimitShape() throws Exception {
        HttpResponse<String> r = h.send(h.post("/v1/messages", "{\"model\":\"gpt-4o-mini\",\"max_tokens\":50,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").header("x-tokenrt-project", "broke").build());
        assertThat(r.statusCode()).isEqualTo(429);
        assertThat(json(r.body()).path("type").asText()).isEqualTo("error");
        assertThat(json(r.body()).path("error").path("type").asText()).isEqualTo("rate_limit_error");
    }

    @Test
    void clampLowersMaxTokensToWhatTheBudgetCanPayFor() throws Exception {
        HttpResponse<String> r = chat("gpt-4o-mini", "x-tokenrt-session", "short", ",\"max_tokens\":4000");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        LedgerEntry row = h.row(r.headers().firstValue("x-tokenrt-request-id").orElseThrow());
        assertThat(row.route()).contains("clamp:max_tokens=");
        int clamped = Integer.parseInt(row.route().replaceAll(".*clamp:max_tokens=(\\d+).*", "$1"));
        assertThat(clamped).isLessThan(300).isGreaterThanOrEqualTo(16);
        String sent = h.upstream.lastRequest(dev.tokenrt.testkit.Route.OPENAI_CHAT).orElseThrow().body();
        assertThat(json(sent).path("max_tokens").asInt(json(sent).path("max_completion_tokens").asInt()))
                .isEqualTo(clamped);
    }

    @Test
    void throttleAnswers429WithRetryAfterAtTheNextWindow() throws Exception {
        HttpResponse<String> first = chat("gpt-4o-mini", "x-tokenrt-user", "hasty", "");
        assertThat(first.statusCode()).isEqualTo(200);
        HttpResponse<String> second = chat("gpt-4o-mini", "x-tokenrt-user", "hasty", "");
        assertThat(second.statusCode()).isEqualTo(429);
        long retryAfter = Long.parseLong(second.headers().firstValue("retry-after").orElseThrow());
        assertThat(retryAfter).isBetween(1L, 60L);
    }

    @Test
    void degradeRoutesToTheCheaperModelAndSaysSo() throws Exception {
        HttpResponse<String> r = chat("gpt-4o", "x-tokenrt-project", "thrifty", "");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-tokenrt-degraded-from")).contains("gpt-4o");
        LedgerEntry row = h.row(r.headers().firstValue("x-tokenrt-request-id").orElseThrow());
        assertThat(row.route()).contains("degrade:gpt-4o->gpt-4o-mini");
        assertThat(row.modelRequested()).isEqualTo("gpt-4o");
        assertThat(row.modelServed()).isEqualTo("gpt-4o-mini");
        assertThat(row.costNanos()).isLessThanOrEqualTo(100_000L);
    }
}
