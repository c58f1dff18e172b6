package dev.tokenrt.gateway;

import static dev.tokenrt.gateway.GatewayHarness.chatBody;
import static dev.tokenrt.gateway.GatewayHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrt.ledger.LedgerEntry;
import dev.tokenrt.testkit.FakeUpstream;
import dev.tokenrt.testkit.Route;
import dev.tokenrt.usage.UsageSource;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The gateway over real sockets, in front of recorded provider responses, with a real SQLite ledger. */
class GatewayTest {

    static GatewayHarness h;
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("tokenrt-gw");
        h = new GatewayHarness(dir, FakeUpstream.Options.defaults().withStreamChunkInterval(Duration.ofMillis(20)));
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    static List<JsonNode> sseData(String body) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : body.split("\n")) {
            if (line.startsWith("data: ") && !line.equals("data: [DONE]")) {
                out.add(json(line.substring(6)));
            }
        }
        return out;
    }

    @Test
    void nonStreamedChatIsAnsweredPricedAndRecorded() throws Exception {
        HttpResponse<String> r = h.chat(chatBody("gpt-4o-mini", false, ""));
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode body = json(r.body());
        String id = r.headers().firstValue("x-tokenrt-request-id").orElseThrow();
        String cost = r.headers().firstValue("x-tokenrt-cost-usd").orElseThrow();
        assertThat(body.path("object").asText()).isEqualTo("chat.completion");
        long prompt = body.path("usage").path("prompt_tokens").asLong();
        long completion = body.path("usage").path("completion_tokens").asLong();
        assertThat(prompt).isPositive();
        LedgerEntry row = h.row(id);
        assertThat(row.provider()).isEqualTo("openai");
        assertThat(row.modelRequested()).isEqualTo("gpt-4o-mini");
        assertThat(row.usage().inputTokens()).isEqualTo(prompt);
        assertThat(row.usage().outputTokens()).isEqualTo(completion);
        assertThat(row.usage().inputSource()).isEqualTo(UsageSource.PROVIDER);
        assertThat(row.status()).isEqualTo(200);
        assertThat(row.costNanos()).isPositive();
        assertThat(new java.math.BigDecimal(cost)).isEqualByComparingTo(dev.tokenrt.pricing.Money.nanosToUsd(row.costNanos()));
        // The provider key went upstream; the client's master key did not.
        String auth = h.upstream.lastRequest(Route.OPENAI_CHAT).orElseThrow().header("authorization").orElseThrow();
        assertThat(auth).isEqualTo("Bearer " + GatewayHarness.UPSTREAM_KEY);
    }

    @Test
    void streamWithoutIncludeUsageHidesTheUsageChunkButRecordsIt() throws Exception {
        HttpResponse<String> r = h.chat(chatBody("gpt-4o-mini", true, ""));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
        List<JsonNode> chunks = sseData(r.body());
        assertThat(chunks).isNotEmpty().allSatisfy(c -> assertThat(c.path("usage").isMissingNode() || c.path("usage").isNull()).isTrue());
        assertThat(r.body()).contains("data: [DONE]");
        // The gateway asked the upstream for usage even though the client did not.
        JsonNode upstreamBody = json(h.upstream.lastRequest(Route.OPENAI_CHAT).orElseThrow().body());
        assertThat(upstreamBody.path("stream_options").path("include_usage").asBoolean()).isTrue();
        LedgerEntry row = h.row(r.headers().firstValue("x-tokenrt-request-id").orElseThrow());
        assertThat(row.usage().inputSource()).isEqualTo(UsageSource.PROVIDER);
        assertThat(row.usage().outputTokens()).isPositive();
        assertThat(row.stream()).isTrue();
        assertThat(row.firstChunkMillis()).isGreaterThanOrEqualTo(0);
    }

    @Test
    void streamWithIncludeUsageEndsWithTheUsageChunk() throws Exception {
        HttpResponse<String> r = h.chat(chatBody("gpt-4o-mini", true, ",\"stream_options\":{\"include_usage\":true}"));
        List<JsonNode> chunks = sseData(r.body());
        JsonNode last = chunks.get(chunks.size() - 1);
        assertThat(last.path("choices").size()).isZero();
        assertThat(last.path("usage").path("prompt_tokens").asLong()).isPositive();
        LedgerEntry row = h.row(r.headers().firstValue("x-tokenrt-request-id").orElseThrow());
        assertThat(row.usage().inputTokens()).isEqualTo(last.path("usage").path("prompt_tokens").asLong());
        assertThat(row.usage().outputTokens()).isEqualTo(last.path("usage").path("completion_tokens").asLong());
    }

    @Test
    void openAiClientReachesClaudeThroughTranslation() throws Exception {
        HttpResponse<String> r = h.chat(chatBody("claude-sonnet-4-5", false, ""));
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode body = json(r.body());
        assertThat(body.path("object").asText()).isEqualTo("chat.completion");
        assertThat(body.path("choices").get(0).path("message").path("content").asText()).isNotEmpty();
        JsonNode sent = json(h.upstream.lastRequest(Route.ANTHROPIC_MESSAGES).orElseThrow().body());
        assertThat(sent.path("system").toString()).contains("Be brief.");
        assertThat(sent.path("max_tokens").asInt()).isPositive();
        assertThat(h.row(r.headers().firstValue("x-tokenrt-request-id").orElseThrow()).provider()).isEqualTo("anthropic");
    }

    @Test
    void anthropicClientReachesOpenAiThroughTranslation() throws Exception {
        String req = "{\"model\":\"gpt-4o-mini\",\"max_tokens\":100,\"system\":\"Be brief.\","
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Say hello.\"}]}";
        HttpResponse<String> r = h.send(h.post("/v1/messages", req).build());
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode body = json(r.body());
        assertThat(body.path("type").asText()).isEqualTo("message");
        assertThat(body.path("content").get(0).path("type").asText()).isEqualTo("text");
        assertThat(body.path("usage").path("output_tokens").asLong()).isPositive();
        JsonNode sent = json(h.upstream.lastRequest(Route.OPENAI_CHAT).orElseThrow().body());
        assertThat(sent.path("messages").get(0).path("role").asText()).isIn("system", "developer");
    }

    @Test
    void anthropicStreamIsAWellFormedEventSequence() throws Exception {
        String req = "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":100,\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Say hello.\"}]}";
        HttpResponse<String> r = h.send(h.post("/v1/messages", req).build());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("event: message_start").contains("event: content_block_delta")
                .contains("event: message_delta").contains("event: message_stop");
        LedgerEntry row = h.row(r.headers().firstValue("x-tokenrt-request-id").orElseThrow());
        assertThat(row.usage().outputTokens()).isPositive();
        assertThat(row.usage().outputSource()).isEqualTo(UsageSource.PROVIDER);
    }

    @Test
    void missingUsageIsCountedLocallyAndMarkedEstimated() throws Exception {
        HttpResponse<String> r = h.chat(chatBody("no-usage", false, ""));
        assertThat(r.statusCode()).isEqualTo(200);
        LedgerEntry row = h.row(r.headers().firstValue("x-tokenrt-request-id").orElseThrow());
        assertThat(row.usage().inputSource()).isEqualTo(UsageSource.ESTIMATED);
        assertThat(row.usage().inputTokens()).isPositive();
        assertThat(row.usage().outputTokens()).isPositive();
        // The client still sees a usage object: the recorded estimate.
        assertThat(json(r.body()).path("usage").path("prompt_tokens").asLong()).isEqualTo(row.usage().inputTokens());
    }

    @Test
    void rateLimitedUpstreamIsRetried() throws Exception {
        HttpResponse<String> r = h.chat(chatBody("flaky", false, ""));
        assertThat(r.statusCode()).isEqualTo(200);
        LedgerEntry row = h.row(r.headers().firstValue("x-tokenrt-request-id").orElseThrow());
        assertThat(row.route()).contains("retry:1");
        assertThat(row.modelRequested()).isEqualTo("flaky");
    }

    @Test
    void unavailableUpstreamFallsBackToTheNextTarget() throws Exception {
        HttpResponse<String> r = h.chat(chatBody("down-then-claude", false, ""));
        assertThat(r.statusCode()).isEqualTo(200);
        LedgerEntry row = h.row(r.headers().firstValue("x-tokenrt-request-id").orElseThrow());
        assertThat(row.provider()).isEqualTo("anthropic");
        assertThat(row.route()).contains("fallback:anthropic/claude-sonnet-4-5");
    }

    @Test
    void upstreamFailureIsAnOpenAiError() throws Exception {
        HttpResponse<String> r = h.chat(chatBody("bad-upstream", false, ""));
        assertThat(r.statusCode()).isEqualTo(502);
        JsonNode err = json(r.body()).path("error");
        assertThat(err.path("message").asText()).isNotEmpty().doesNotContain(GatewayHarness.UPSTREAM_KEY);
        assertThat(err.has("type")).isTrue();
        assertThat(h.row(r.headers().firstValue("x-tokenrt-request-id").orElseThrow()).status()).isEqualTo(502);
    }

    @Test
    void brokenStreamEndsWithAnErrorAndIsRecorded() throws Exception {
        HttpResponse<String> r = h.chat(chatBody("broken", true, ""));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"error\"");
        LedgerEntry row = h.row(r.headers().firstValue("x-tokenrt-request-id").orElseThrow());
        assertThat(row.status()).isEqualTo(502);
        assertThat(row.usage().outputSource()).isEqualTo(UsageSource.ESTIMATED);
    }

    @Test
    void clientDisconnectMidStreamIsChargedForWhatWasGenerated() throws Exception {
        HttpRequest req = h.post("/v1/chat/completions", chatBody("gpt-4o-mini", true, "")).build();
        HttpResponse<InputStream> r = h.http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        String id = r.headers().firstValue("x-tokenrt-request-id").orElseThrow();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            int dataLines = 0;
            for (String line; (line = in.readLine()) != null && dataLines < 3; ) {
                if (line.startsWith("data: ")) {
                    dataLines++;
                }
            }
        }
        LedgerEntry row = null;
        for (int i = 0; i < 100 && row == null; i++) {
            h.ledger.flush(Duration.ofSeconds(1));
            row = h.ledger.find(id).orElse(null);
            if (row == null) {
                Thread.sleep(50);
            }
        }
        assertThat(row).as("ledger row after disconnect").isNotNull();
        assertThat(row.status()).isEqualTo(499);
        assertThat(row.usage().outputTokens()).isPositive();
        assertThat(row.usage().outputSource()).isEqualTo(UsageSource.ESTIMATED);
    }

    @Test
    void badRequestsGetOpenAiErrorsWithTheRightStatus() throws Exception {
        HttpResponse<String> noKey = h.send(HttpRequest.newBuilder(URI.create(h.base() + "/v1/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofString(chatBody("gpt-4o-mini", false, ""))).build());
        assertThat(noKey.statusCode()).isEqualTo(401);
        assertThat(json(noKey.body()).path("error").path("code").asText()).isEqualTo("invalid_api_key");

        HttpResponse<String> malformed = h.chat("{not json");
        assertThat(malformed.statusCode()).isEqualTo(400);
        assertThat(json(malformed.body()).path("error").path("type").asText()).isEqualTo("invalid_request_error");

        HttpResponse<String> noMessages = h.chat("{\"model\":\"gpt-4o-mini\"}");
        assertThat(noMessages.statusCode()).isEqualTo(400);
        assertThat(json(noMessages.body()).path("error").path("param").asText()).contains("messages");

        HttpResponse<String> unknown = h.chat(chatBody("no-such-model", false, ""));
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(json(unknown.body()).path("error").path("param").asText()).isEqualTo("model");

        HttpResponse<String> huge = h.chat(chatBody("gpt-4o-mini", false, ",\"user\":\"" + "x".repeat(70_000) + "\""));
        assertThat(huge.statusCode()).isEqualTo(413);
    }

    @Test
    void anthropicRouteErrorsUseAnthropicsShape() throws Exception {
        HttpResponse<String> r = h.send(HttpRequest.newBuilder(URI.create(h.base() + "/v1/messages"))
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build());
        assertThat(r.statusCode()).isEqualTo(401);
        JsonNode b = json(r.body());
        assertThat(b.path("type").asText()).isEqualTo("error");
        assertThat(b.path("error").path("type").asText()).isEqualTo("authentication_error");
    }

    @Test
    void countTokensAnswersInAnthropicsShape() throws Exception {
        HttpResponse<String> r = h.send(h.post("/v1/messages/count_tokens",
                "{\"model\":\"claude-sonnet-4-5\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello, world\"}]}").build());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(json(r.body()).path("input_tokens").asLong()).isPositive();
    }

    @Test
    void attributionHeadersReachTheLedgerAndTheUsageReport() throws Exception {
        HttpResponse<String> r = h.send(h.post("/v1/chat/completions", chatBody("gpt-4o-mini", false, ",\"user\":\"end-user-7\""))
                .header("x-tokenrt-project", "proj-attrib").header("x-tokenrt-session", "sess-1")
                .header("x-tokenrt-tags", "blue, green,blue").build());
        LedgerEntry row = h.row(r.headers().firstValue("x-tokenrt-request-id").orElseThrow());
        assertThat(row.attribution().project()).isEqualTo("proj-attrib");
        assertThat(row.attribution().session()).isEqualTo("sess-1");
        assertThat(row.attribution().user()).isEqualTo("end-user-7");
        assertThat(row.attribution().tags()).containsExactlyInAnyOrder("blue", "green");

        HttpResponse<String> report = h.send(HttpRequest.newBuilder(URI.create(h.base()
                + "/admin/v1/usage?group_by=project,model")).header("authorization", "Bearer " + GatewayHarness.MASTER).build());
        assertThat(report.statusCode()).isEqualTo(200);
        JsonNode rows = json(report.body()).path("rows");
        boolean found = false;
        for (JsonNode row2 : rows) {
            if (row2.path("project").asText().equals("proj-attrib")) {
                found = true;
                assertThat(row2.path("requests").asLong()).isEqualTo(1);
                assertThat(row2.path("model").asText()).isEqualTo("gpt-4o-mini");
                assertThat(row2.path("cost_usd").asText()).isEqualTo(dev.tokenrt.pricing.Money.format(row.costNanos()));
            }
        }
        assertThat(found).isTrue();
        assertThat(json(report.body()).path("totals").path("requests").asLong()).isPositive();

        HttpResponse<String> bad = h.send(HttpRequest.newBuilder(URI.create(h.base() + "/admin/v1/usage?group_by=colour"))
                .header("authorization", "Bearer " + GatewayHarness.MASTER).build());
        assertThat(bad.statusCode()).isEqualTo(400);
    }

    @Test
    void modelsHealthAndMetrics() throws Exception {
        h.chat(chatBody("gpt-4o-mini", false, ""));
        HttpResponse<String> models = h.send(HttpRequest.newBuilder(URI.create(h.base() + "/v1/models"))
                .header("authorization", "Bearer " + GatewayHarness.MASTER).build());
        assertThat(json(models.body()).path("data").toString()).contains("\"fast\"");
        HttpResponse<String> health = h.send(HttpRequest.newBuilder(URI.create(h.base() + "/health")).build());
        assertThat(health.statusCode()).isEqualTo(200);
        HttpResponse<String> metrics = h.send(HttpRequest.newBuilder(URI.create(h.base() + "/metrics")).build());
        assertThat(metrics.body()).contains("gen_ai_client_token_usage").contains("gen_ai_token_type=\"input\"")
                .contains("gen_ai_client_operation_duration").contains("tokenrt_cost_nanodollars_total")
                .contains("tokenrt_requests_total").contains("tokenrt_gateway_overhead")
                .doesNotContain(GatewayHarness.UPSTREAM_KEY).doesNotContain(GatewayHarness.MASTER);
    }

    @Test
    void aliasesRouteToTheirTarget() throws Exception {
        HttpResponse<String> r = h.chat(chatBody("fast", false, ""));
        assertThat(r.statusCode()).isEqualTo(200);
        LedgerEntry row = h.row(r.headers().firstValue("x-tokenrt-request-id").orElseThrow());
        assertThat(row.modelRequested()).isEqualTo("fast");
        assertThat(row.modelServed()).isEqualTo("gpt-4o-mini");
        assertThat(json(h.upstream.lastRequest(Route.OPENAI_CHAT).orElseThrow().body()).path("model").asText())
                .isEqualTo("gpt-4o-mini");
    }

    @Test
    void openAiClientReachesGeminiStreamedAndNot() throws Exception {
        long before = h.upstream.requestCount(Route.GEMINI_GENERATE);
        HttpResponse<String> r = h.chat(chatBody("gemini-2.5-flash", false, ""));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(json(r.body()).path("choices").get(0).path("message").path("content").asText()).isNotEmpty();
        assertThat(h.upstream.requestCount(Route.GEMINI_GENERATE)).isEqualTo(before + 1);
        assertThat(h.upstream.lastRequest(Route.GEMINI_GENERATE).orElseThrow().header("x-goog-api-key"))
                .contains(GatewayHarness.UPSTREAM_KEY);
        LedgerEntry row = h.row(r.headers().firstValue("x-tokenrt-request-id").orElseThrow());
        assertThat(row.provider()).isEqualTo("gemini");
        assertThat(row.usage().inputSource()).isEqualTo(UsageSource.PROVIDER);

        HttpResponse<String> s = h.chat(chatBody("gemini-2.5-flash", true, ",\"stream_options\":{\"include_usage\":true}"));
        assertThat(s.statusCode()).isEqualTo(200);
        List<JsonNode> chunks = sseData(s.body());
        assertThat(chunks.get(chunks.size() - 1).path("usage").path("prompt_tokens").asLong()).isPositive();
        assertThat(h.upstream.requestCount(Route.GEMINI_STREAM)).isPositive();
    }

    @Test
    void firstByteTimeoutIsRetriedThenAnsweredWith504() throws Exception {
        HttpResponse<String> r = h.chat(chatBody("slow", false, ""));
        assertThat(r.statusCode()).isEqualTo(504);
        assertThat(json(r.body()).path("error").path("message").asText()).contains("timed out");
        LedgerEntry row = h.row(r.headers().firstValue("x-tokenrt-request-id").orElseThrow());
        assertThat(row.route()).contains("retry:1");
        assertThat(row.status()).isEqualTo(504);
    }

    /** The raw usage of a recorded fixture the fake upstream serves, read without our parser. */
    static JsonNode fixtureUsage(String resource) throws Exception {
        try (InputStream in = FakeUpstream.class.getResourceAsStream("/dev/tokenrt/testkit/fixtures/" + resource)) {
            return GatewayHarness.JSON.readTree(in).path("usage");
        }
    }

    @Test
    void anthropicCacheReadsAndWritesAreRecordedOnceThroughAnOpenAiFace() throws Exception {
        JsonNode raw = fixtureUsage("anthropic/messages-cached.json");
        HttpResponse<String> r = h.chat(chatBody("cached-claude", false, ""));
        assertThat(r.statusCode()).isEqualTo(200);
        LedgerEntry row = h.row(r.headers().firstValue("x-tokenrt-request-id").orElseThrow());
        long read = raw.path("cache_read_input_tokens").asLong();
        long write = raw.path("cache_creation_input_tokens").asLong();
        // Anthropic's input_tokens excludes cache reads and writes: the total is their sum, each counted once.
        assertThat(row.usage().inputTokens()).isEqualTo(raw.path("input_tokens").asLong() + read + write);
        assertThat(row.usage().cacheReadTokens()).isEqualTo(read);
        assertThat(row.usage().cacheWriteTokens()).isEqualTo(write);
        assertThat(row.usage().outputTokens()).isEqualTo(raw.path("output_tokens").asLong());
        // The OpenAI client sees them as OpenAI counts them: cached tokens inside prompt_tokens.
        JsonNode usage = json(r.body()).path("usage");
        assertThat(usage.path("prompt_tokens").asLong()).isEqualTo(row.usage().inputTokens());
        assertThat(usage.path("prompt_tokens_details").path("cached_tokens").asLong()).isEqualTo(read);
    }

    @Test
    void openAiCachedAndReasoningTokensAreRecordedOnce() throws Exception {
        JsonNode raw = fixtureUsage("openai/chat-cached.json");
        HttpResponse<String> r = h.chat(chatBody("cached-openai", false, ""));
        LedgerEntry row = h.row(r.headers().firstValue("x-tokenrt-request-id").orElseThrow());
        // OpenAI's prompt_tokens already includes cached_tokens; completion_tokens includes reasoning_tokens.
        assertThat(row.usage().inputTokens()).isEqualTo(raw.path("prompt_tokens").asLong());
        assertThat(row.usage().cacheReadTokens()).isEqualTo(raw.path("prompt_tokens_details").path("cached_tokens").asLong());
        assertThat(row.usage().outputTokens()).isEqualTo(raw.path("completion_tokens").asLong());
        assertThat(row.usage().reasoningTokens())
                .isEqualTo(raw.path("completion_tokens_details").path("reasoning_tokens").asLong());
    }

    HttpResponse<String> admin(String method, String path, String body) throws Exception {
        return h.send(HttpRequest.newBuilder(URI.create(h.base() + path)).header("authorization", "Bearer " + GatewayHarness.MASTER)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build());
    }

    @Test
    void virtualKeysAttributeLimitModelsAndAreRevokedAtOnce() throws Exception {
        HttpResponse<String> created = admin("POST", "/admin/v1/keys",
                "{\"name\":\"search-svc\",\"user\":\"alice\",\"project\":\"search\",\"team\":\"core\",\"models\":[\"gpt-4o-mini\"]}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String secret = json(created.body()).path("key").asText();
        String id = json(created.body()).path("id").asText();
        assertThat(secret).startsWith("sk-tr-");

        // The key's attribution wins over headers: a caller cannot bill another project by setting one.
        HttpResponse<String> r = h.send(HttpRequest.newBuilder(URI.create(h.base() + "/v1/chat/completions"))
                .header("authorization", "Bearer " + secret).header("x-tokenrt-project", "someone-else")
                .POST(HttpRequest.BodyPublishers.ofString(chatBody("gpt-4o-mini", false, ""))).build());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        LedgerEntry row = h.row(r.headers().firstValue("x-tokenrt-request-id").orElseThrow());
        assertThat(row.attribution().keyId()).isEqualTo(id);
        assertThat(row.attribution().project()).isEqualTo("search");
        assertThat(row.attribution().user()).isEqualTo("alice");
        assertThat(row.attribution().team()).isEqualTo("core");
        assertThat(row.toString()).doesNotContain(secret);

        HttpResponse<String> notAllowed = h.send(HttpRequest.newBuilder(URI.create(h.base() + "/v1/chat/completions"))
                .header("authorization", "Bearer " + secret)
                .POST(HttpRequest.BodyPublishers.ofString(chatBody("claude-sonnet-4-5", false, ""))).build());
        assertThat(notAllowed.statusCode()).isEqualTo(403);
        assertThat(json(notAllowed.body()).path("error").path("code").asText()).isEqualTo("model_not_allowed");

        HttpResponse<String> adminWithVirtualKey = h.send(HttpRequest.newBuilder(URI.create(h.base() + "/admin/v1/keys"))
                .header("authorization", "Bearer " + secret).build());
        assertThat(adminWithVirtualKey.statusCode()).isEqualTo(401);

        assertThat(admin("DELETE", "/admin/v1/keys/" + id, null).statusCode()).isEqualTo(200);
        HttpResponse<String> revoked = h.send(HttpRequest.newBuilder(URI.create(h.base() + "/v1/chat/completions"))
                .header("authorization", "Bearer " + secret)
                .POST(HttpRequest.BodyPublishers.ofString(chatBody("gpt-4o-mini", false, ""))).build());
        assertThat(revoked.statusCode()).isEqualTo(401);
        assertThat(revoked.body()).doesNotContain(secret);
    }

    @Test
    void budgetsThroughTheAdminApiAndAKeysOwnView() throws Exception {
        HttpResponse<String> b = admin("POST", "/admin/v1/budgets", "{\"id\":\"proj-budget-gw\",\"scope\":\"project\","
                + "\"scope_id\":\"budgeted\",\"period\":\"month\",\"metric\":\"cost_usd\",\"limit\":\"5\",\"action\":\"deny\"}");
        assertThat(b.statusCode()).as(b.body()).isEqualTo(201);
        HttpResponse<String> k = admin("POST", "/admin/v1/keys", "{\"name\":\"b\",\"project\":\"budgeted\"}");
        String secret = json(k.body()).path("key").asText();
        HttpResponse<String> r = h.send(HttpRequest.newBuilder(URI.create(h.base() + "/v1/chat/completions"))
                .header("authorization", "Bearer " + secret)
                .POST(HttpRequest.BodyPublishers.ofString(chatBody("gpt-4o-mini", false, ""))).build());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        LedgerEntry row = h.row(r.headers().firstValue("x-tokenrt-request-id").orElseThrow());
        HttpResponse<String> status = admin("GET", "/admin/v1/budgets/proj-budget-gw/status", null);
        assertThat(status.statusCode()).as(status.body()).isEqualTo(200);
        JsonNode st = json(status.body());
        // The counter the budget settled to is the ledger's cost of the request, to the nano-dollar.
        assertThat(new java.math.BigDecimal(st.path("used").asText()))
                .isEqualByComparingTo(dev.tokenrt.pricing.Money.nanosToUsd(row.costNanos()));
        assertThat(new java.math.BigDecimal(st.path("reserved").asText())).isEqualByComparingTo("0");
        assertThat(st.path("state").asText()).isEqualTo("ok");
        HttpResponse<String> own = h.send(HttpRequest.newBuilder(URI.create(h.base() + "/v1/tokenrt/budget"))
                .header("authorization", "Bearer " + secret).build());
        assertThat(own.statusCode()).as(own.body()).isEqualTo(200);
        assertThat(own.body()).contains("proj-budget-gw").doesNotContain(secret);
        assertThat(admin("DELETE", "/admin/v1/budgets/proj-budget-gw", null).statusCode()).isEqualTo(200);
    }

    @Test
    void embeddingsPassThroughAndAreRecorded() throws Exception {
        HttpResponse<String> r = h.send(h.post("/v1/embeddings",
                "{\"model\":\"text-embedding-3-small\",\"input\":[\"hello\",\"world\"]}").build());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(json(r.body()).path("data").size()).isEqualTo(2);
        LedgerEntry row = h.row(r.headers().firstValue("x-tokenrt-request-id").orElseThrow());
        assertThat(row.provider()).isEqualTo("openai");
        assertThat(row.usage().inputTokens()).isPositive();
    }
}
