package dev.tokenrt.gateway;

import static dev.tokenrt.gateway.GatewayHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrt.cache.CacheSettings;
import dev.tokenrt.ledger.LedgerEntry;
import dev.tokenrt.testkit.FakeUpstream;
import dev.tokenrt.testkit.Route;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The response cache as clients see it over real HTTP: two gateways share a real Redis layer (and each has its
 * own memory layer) in front of the recorded-response upstream.
 */
class CacheGatewayTest {

    static final String REDIS = System.getProperty("tokenrt.test.redis", "redis://127.0.0.1:6379/0");
    static GatewayHarness a;
    static GatewayHarness b;

    @BeforeAll
    static void start() throws Exception {
        String prefix = "test:gwcache:" + UUID.randomUUID();
        CacheConfig cache = CacheConfig.memory(CacheSettings.DEFAULTS).withRedis(REDIS, prefix);
        Path da = Files.createTempDirectory("tokenrt-cache-a");
        Path db = Files.createTempDirectory("tokenrt-cache-b");
        a = new GatewayHarness(da, FakeUpstream.Options.defaults(), "jdbc:sqlite:" + da.resolve("tokenrt.db"),
                BudgetSettings.DEFAULTS, cache);
        b = new GatewayHarness(db, FakeUpstream.Options.defaults(), "jdbc:sqlite:" + db.resolve("tokenrt.db"),
                BudgetSettings.DEFAULTS, cache);
    }

    @AfterAll
    static void stop() {
        a.close();
        b.close();
    }

    static String body(String question, boolean stream, String extra) {
        return "{\"model\":\"gpt-4o-mini\",\"temperature\":0,\"max_tokens\":64,\"messages\":[{\"role\":\"system\","
                + "\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"" + question + "\"}]"
                + (stream ? ",\"stream\":true,\"stream_options\":{\"include_usage\":true}" : "") + extra + "}";
    }

    static String unique(String q) {
        return q + " #" + UUID.randomUUID().toString().substring(0, 8);
    }

    HttpResponse<String> chat(GatewayHarness h, String body, String... headers) throws Exception {
        HttpRequest.Builder r = h.post("/v1/chat/completions", body);
        for (int i = 0; i < headers.length; i += 2) {
            r.header(headers[i], headers[i + 1]);
        }
        return h.send(r.build());
    }

    long upstreamCalls(GatewayHarness h) {
        return h.upstream.requestCount(Route.OPENAI_CHAT);
    }

    @Test
    void aRepeatIsAHitThatCostsNothingAndIsRecordedAsASaving() throws Exception {
        String q = body(unique("What is 2+2?"), false, "");
        long before = upstreamCalls(a);
        HttpResponse<String> first = chat(a, q);
        HttpResponse<String> second = chat(a, q);
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("x-tokenrt-cache")).contains("MISS");
        assertThat(second.headers().firstValue("x-tokenrt-cache")).contains("HIT");
        assertThat(second.headers().firstValue("x-tokenrt-cost-usd")).contains("0");
        assertThat(upstreamCalls(a) - before).isEqualTo(1);
        JsonNode one = json(first.body());
        JsonNode two = json(second.body());
        assertThat(two.path("choices").get(0).path("message").path("content").asText())
                .isEqualTo(one.path("choices").get(0).path("message").path("content").asText());
        assertThat(two.path("usage").path("prompt_tokens").asLong()).isEqualTo(one.path("usage").path("prompt_tokens").asLong());

        LedgerEntry paid = a.row(first.headers().firstValue("x-tokenrt-request-id").orElseThrow());
        LedgerEntry hit = a.row(second.headers().firstValue("x-tokenrt-request-id").orElseThrow());
        assertThat(paid.cache()).isEqualTo(LedgerEntry.CacheOutcome.MISS);
        assertThat(hit.cache()).isEqualTo(LedgerEntry.CacheOutcome.HIT);
        assertThat(hit.costNanos()).isZero();
        assertThat(hit.savedCostNanos()).isEqualTo(paid.costNanos()).isPositive();
        assertThat(hit.savedInputTokens()).isEqualTo(paid.usage().inputTokens());
        assertThat(hit.savedOutputTokens()).isEqualTo(paid.usage().outputTokens());
    }

    @Test
    void aSecondReplicaHitsWhatTheFirstStoredInRedis() throws Exception {
        String q = body(unique("Capital of Peru?"), false, "");
        long before = upstreamCalls(a) + upstreamCalls(b);
        HttpResponse<String> onA = chat(a, q);
        assertThat(onA.headers().firstValue("x-tokenrt-cache")).contains("MISS");
        // The Redis write is queued off the request path: wait for it, then ask the other replica once.
        assertThat(a.gateway.caches().step().orElseThrow().drain(Duration.ofSeconds(5))).isTrue();
        HttpResponse<String> onB = chat(b, q);
        assertThat(onB.headers().firstValue("x-tokenrt-cache")).contains("HIT");
        assertThat(json(onB.body()).path("choices").get(0).path("message").path("content").asText())
                .isEqualTo(json(onA.body()).path("choices").get(0).path("message").path("content").asText());
        assertThat(upstreamCalls(a) + upstreamCalls(b) - before).isEqualTo(1);
    }

    /** Two replicas with slow upstreams: the same request sent to both at once is fetched once. */
    @Test
    void identicalRequestsOnTwoReplicasMakeOneUpstreamCall() throws Exception {
        String prefix = "test:gwflight:" + UUID.randomUUID();
        CacheConfig cache = CacheConfig.memory(CacheSettings.DEFAULTS).withRedis(REDIS, prefix);
        Path d1 = Files.createTempDirectory("tokenrt-flight-1");
        Path d2 = Files.createTempDirectory("tokenrt-flight-2");
        FakeUpstream.Options slow = FakeUpstream.Options.defaults().withLatency(Duration.ofMillis(800));
        try (GatewayHarness one = new GatewayHarness(d1, slow, "jdbc:sqlite:" + d1.resolve("t.db"), BudgetSettings.DEFAULTS, cache);
                GatewayHarness two = new GatewayHarness(d2, slow, "jdbc:sqlite:" + d2.resolve("t.db"), BudgetSettings.DEFAULTS,
                        cache)) {
            String q = body(unique("Slow and shared"), false, "");
            var first = one.http.sendAsync(one.post("/v1/chat/completions", q).build(), HttpResponse.BodyHandlers.ofString());
            Thread.sleep(200);
            HttpResponse<String> second = chat(two, q);
            HttpResponse<String> firstDone = first.get();
            assertThat(firstDone.headers().firstValue("x-tokenrt-cache")).contains("MISS");
            assertThat(second.headers().firstValue("x-tokenrt-cache")).contains("HIT");
            assertThat(upstreamCalls(one) + upstreamCalls(two)).isEqualTo(1);
            assertThat(two.row(second.headers().firstValue("x-tokenrt-request-id").orElseThrow()).route())
                    .contains("single_flight");
        }
    }

    @Test
    void aStreamingClientGetsAWellFormedReplayOfACachedAnswer() throws Exception {
        String question = unique("List three fruits.");
        HttpResponse<String> plain = chat(a, body(question, false, ""));
        String expected = json(plain.body()).path("choices").get(0).path("message").path("content").asText();
        long before = upstreamCalls(a);
        HttpResponse<String> streamed = chat(a, body(question, true, ""));
        assertThat(streamed.statusCode()).isEqualTo(200);
        assertThat(streamed.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
        assertThat(streamed.headers().firstValue("x-tokenrt-cache")).contains("HIT");
        assertThat(upstreamCalls(a)).isEqualTo(before);
        List<JsonNode> chunks = GatewayTest.sseData(streamed.body());
        StringBuilder text = new StringBuilder();
        String finish = null;
        JsonNode usage = null;
        for (JsonNode c : chunks) {
            assertThat(c.path("object").asText()).isEqualTo("chat.completion.chunk");
            for (JsonNode choice : c.path("choices")) {
                text.append(choice.path("delta").path("content").asText(""));
                if (!choice.path("finish_reason").isNull() && !choice.path("finish_reason").isMissingNode()) {
                    finish = choice.path("finish_reason").asText();
                }
            }
            if (c.hasNonNull("usage")) {
                usage = c.path("usage");
            }
        }
        assertThat(text.toString()).isEqualTo(expected);
        assertThat(finish).isNotNull();
        assertThat(usage).isNotNull();
        assertThat(usage.path("prompt_tokens").asLong()).isEqualTo(json(plain.body()).path("usage").path("prompt_tokens").asLong());
        assertThat(streamed.body().trim()).endsWith("data: [DONE]");
    }

    @Test
    void anAnswerStoredFromAStreamServesAnAnthropicClientInItsOwnFormat() throws Exception {
        String question = unique("Name a planet.");
        HttpResponse<String> streamed = chat(a, body(question, true, ""));
        StringBuilder text = new StringBuilder();
        for (JsonNode c : GatewayTest.sseData(streamed.body())) {
            for (JsonNode choice : c.path("choices")) {
                text.append(choice.path("delta").path("content").asText(""));
            }
        }
        String anthropicBody = "{\"model\":\"gpt-4o-mini\",\"temperature\":0,\"max_tokens\":64,\"system\":\"Be brief.\","
                + "\"messages\":[{\"role\":\"user\",\"content\":\"" + question + "\"}]}";
        HttpResponse<String> r = a.send(a.post("/v1/messages", anthropicBody).build());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-tokenrt-cache")).contains("HIT");
        JsonNode msg = json(r.body());
        assertThat(msg.path("type").asText()).isEqualTo("message");
        assertThat(msg.path("content").get(0).path("text").asText()).isEqualTo(text.toString());
    }

    @Test
    void cacheControlAndSampledRequestsBypass() throws Exception {
        String q = body(unique("Fresh?"), false, "");
        chat(a, q);
        assertThat(chat(a, q, "cache-control", "no-cache").headers().firstValue("x-tokenrt-cache")).contains("BYPASS");
        String sampled = body(unique("Creative?"), false, "").replace("\"temperature\":0", "\"temperature\":0.9");
        chat(a, sampled);
        assertThat(chat(a, sampled).headers().firstValue("x-tokenrt-cache")).contains("BYPASS");
    }

    @Test
    void virtualKeysOfTwoProjectsNeverShareAnswers() throws Exception {
        String k1 = json(a.send(a.post("/admin/v1/keys", "{\"name\":\"k1\",\"project\":\"alpha\"}").build()).body())
                .path("key").asText();
        String k2 = json(a.send(a.post("/admin/v1/keys", "{\"name\":\"k2\",\"project\":\"beta\"}").build()).body())
                .path("key").asText();
        String q = body(unique("Shared secret?"), false, "");
        HttpResponse<String> r1 = a.send(a.post("/v1/chat/completions", q).header("authorization", "Bearer " + k1).build());
        // The header cannot move a key into another project: the key's project wins.
        HttpResponse<String> r2 = a.send(a.post("/v1/chat/completions", q).header("authorization", "Bearer " + k2)
                .header("x-tokenrt-project", "alpha").build());
        HttpResponse<String> r3 = a.send(a.post("/v1/chat/completions", q).header("authorization", "Bearer " + k1).build());
        assertThat(r1.headers().firstValue("x-tokenrt-cache")).contains("MISS");
        assertThat(r2.headers().firstValue("x-tokenrt-cache")).contains("MISS");
        assertThat(r3.headers().firstValue("x-tokenrt-cache")).contains("HIT");
    }

    @Test
    void theAdminApiInvalidatesByConditionAndRefusesAnEmptyOne() throws Exception {
        String q = body(unique("Invalidate me"), false, "");
        chat(a, q, "x-tokenrt-project", "inv", "x-tokenrt-tags", "faq");
        assertThat(chat(a, q, "x-tokenrt-project", "inv").headers().firstValue("x-tokenrt-cache")).contains("HIT");

        HttpResponse<String> empty = a.send(HttpRequest.newBuilder(URI.create(a.base() + "/admin/v1/cache"))
                .header("authorization", "Bearer " + GatewayHarness.MASTER).DELETE().build());
        assertThat(empty.statusCode()).isEqualTo(400);
        assertThat(json(empty.body()).path("error").path("code").asText()).isEqualTo("invalid_invalidation");

        HttpResponse<String> del = a.send(HttpRequest.newBuilder(URI.create(a.base()
                + "/admin/v1/cache?project=inv&tag=faq&older_than=1h"))
                .header("authorization", "Bearer " + GatewayHarness.MASTER).DELETE().build());
        assertThat(del.statusCode()).isEqualTo(200);
        assertThat(json(del.body()).path("deleted").asLong()).isEqualTo(0);
        del = a.send(HttpRequest.newBuilder(URI.create(a.base() + "/admin/v1/cache?project=inv&tag=faq"))
                .header("authorization", "Bearer " + GatewayHarness.MASTER).DELETE().build());
        assertThat(json(del.body()).path("deleted").asLong()).isEqualTo(1);
        assertThat(chat(a, q, "x-tokenrt-project", "inv").headers().firstValue("x-tokenrt-cache")).contains("MISS");
        // The other replica's memory layer is not reached by a's invalidation; Redis is, so b finds nothing there.
        HttpResponse<String> status = a.send(HttpRequest.newBuilder(URI.create(a.base() + "/admin/v1/cache"))
                .header("authorization", "Bearer " + GatewayHarness.MASTER).GET().build());
        JsonNode s = json(status.body());
        assertThat(s.path("enabled").asBoolean()).isTrue();
        assertThat(s.path("layers").findValuesAsText("name")).containsExactly("memory", "redis");
        // The memory layer's segments are taken as entries are encoded into them, 20 ms after they are stored.
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (s.path("layers").get(0).path("direct_bytes").asLong() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
            s = json(a.send(HttpRequest.newBuilder(URI.create(a.base() + "/admin/v1/cache"))
                    .header("authorization", "Bearer " + GatewayHarness.MASTER).GET().build()).body());
        }
        JsonNode memory = s.path("layers").get(0);
        assertThat(memory.path("direct_bytes").asLong()).isPositive()
                .isLessThanOrEqualTo(memory.path("max_bytes").asLong());
        assertThat(memory.path("max_bytes").asLong()).isEqualTo(256L << 20);
    }

    @Test
    void usageAndMetricsCountHitsAndSavings() throws Exception {
        String q = body(unique("Count me"), false, "");
        chat(a, q, "x-tokenrt-project", "savings");
        chat(a, q, "x-tokenrt-project", "savings");
        chat(a, q, "x-tokenrt-project", "savings");
        a.ledger.flush(Duration.ofSeconds(5));
        HttpResponse<String> usage = a.send(HttpRequest.newBuilder(URI.create(a.base()
                + "/admin/v1/usage?group_by=project")).header("authorization", "Bearer " + GatewayHarness.MASTER).GET()
                .build());
        JsonNode row = null;
        for (JsonNode r : json(usage.body()).path("rows")) {
            if (r.path("project").asText().equals("savings")) {
                row = r;
            }
        }
        assertThat(row).isNotNull();
        assertThat(row.path("requests").asLong()).isEqualTo(3);
        assertThat(row.path("cache_hits").asLong()).isEqualTo(2);
        assertThat(new java.math.BigDecimal(row.path("saved_cost_usd").asText()))
                .isEqualByComparingTo(new java.math.BigDecimal(row.path("cost_usd").asText()).multiply(
                        java.math.BigDecimal.valueOf(2)));
        assertThat(row.path("saved_input_tokens").asLong()).isEqualTo(2 * row.path("input_tokens").asLong());
        String metrics = a.send(HttpRequest.newBuilder(URI.create(a.base() + "/metrics")).GET().build()).body();
        assertThat(metrics).contains("tokenrt_cache_requests_total{outcome=\"hit\"}")
                .contains("tokenrt_cache_saved_nanodollars_total")
                .contains("tokenrt_cache_layer_hits_total{layer=\"memory\"}");
    }
}
