package dev.tokenrt.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenrt.ledger.LedgerEntry;
import dev.tokenrt.pipeline.RetryPolicy;
import dev.tokenrt.pipeline.Router;
import dev.tokenrt.store.ledger.JdbcUsageLedger;
import dev.tokenrt.store.ledger.LedgerOptions;
import dev.tokenrt.testkit.FakeUpstream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A real gateway on a real port in front of a real fake upstream (recorded provider responses over HTTP),
 * with a SQLite ledger in a temporary directory. The upstream providers are named openai, anthropic and
 * gemini; a few routes pick the upstream's scenarios by model name.
 */
final class GatewayHarness implements AutoCloseable {

    static final String MASTER = "sk-test-master-0123456789";
    static final String UPSTREAM_KEY = "sk-upstream-secret-abcdef";
    static final ObjectMapper JSON = new ObjectMapper();

    final FakeUpstream upstream;
    final Gateway gateway;
    final JdbcUsageLedger ledger;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    GatewayHarness(Path dataDir, FakeUpstream.Options upstreamOptions) {
        this(dataDir, upstreamOptions, "jdbc:sqlite:" + dataDir.resolve("tokenrt.db"));
    }

    GatewayHarness(Path dataDir, FakeUpstream.Options upstreamOptions, String databaseUrl) {
        this(dataDir, upstreamOptions, databaseUrl, BudgetSettings.DEFAULTS);
    }

    GatewayHarness(Path dataDir, FakeUpstream.Options upstreamOptions, String databaseUrl, BudgetSettings budgets) {
        this(dataDir, upstreamOptions, databaseUrl, budgets, CacheConfig.OFF);
    }

    GatewayHarness(Path dataDir, FakeUpstream.Options upstreamOptions, String databaseUrl, BudgetSettings budgets,
            CacheConfig cache) {
        upstream = FakeUpstream.start(upstreamOptions);
        ProviderConfig.Timeouts t = new ProviderConfig.Timeouts(Duration.ofSeconds(2), Duration.ofSeconds(10),
                Duration.ofSeconds(5));
        RetryPolicy fast = new RetryPolicy(2, Duration.ofMillis(10), Duration.ofMillis(50));
        Map<String, ProviderConfig> providers = new LinkedHashMap<>();
        providers.put("openai", new ProviderConfig("openai", ProviderConfig.Kind.OPENAI, upstream.baseUrl() + "/v1",
                Optional.of(UPSTREAM_KEY), t, fast));
        providers.put("anthropic", new ProviderConfig("anthropic", ProviderConfig.Kind.ANTHROPIC, upstream.baseUrl(),
                Optional.of(UPSTREAM_KEY), t, fast));
        providers.put("gemini", new ProviderConfig("gemini", ProviderConfig.Kind.GEMINI, upstream.baseUrl(),
                Optional.of(UPSTREAM_KEY), t, fast));
        providers.put("openai-slow", new ProviderConfig("openai-slow", ProviderConfig.Kind.OPENAI,
                upstream.baseUrl() + "/v1", Optional.of(UPSTREAM_KEY),
                new ProviderConfig.Timeouts(Duration.ofSeconds(2), Duration.ofMillis(300), Duration.ofSeconds(5)),
                new RetryPolicy(1, Duration.ofMillis(10), Duration.ofMillis(20))));
        Map<String, List<Router.Target>> models = new LinkedHashMap<>();
        models.put("slow", List.of(new Router.Target("openai-slow", "scenario:slow-first-byte:3000")));
        models.put("fast", List.of(new Router.Target("openai", "gpt-4o-mini")));
        models.put("tools-openai", List.of(new Router.Target("openai", "scenario:tool-call")));
        models.put("tools-claude", List.of(new Router.Target("anthropic", "scenario:tool-call")));
        models.put("cached-claude", List.of(new Router.Target("anthropic", "scenario:cached")));
        models.put("cached-openai", List.of(new Router.Target("openai", "scenario:cached")));
        models.put("no-usage", List.of(new Router.Target("openai", "scenario:no-usage")));
        models.put("broken", List.of(new Router.Target("openai", "scenario:broken-stream")));
        models.put("flaky", List.of(new Router.Target("openai", "scenario:rate-limit,ok")));
        models.put("down-then-claude", List.of(new Router.Target("openai", "scenario:server-error:503"),
                new Router.Target("anthropic", "claude-sonnet-4-5")));
        models.put("bad-upstream", List.of(new Router.Target("openai", "scenario:server-error:500")));
        GatewayConfig config = new GatewayConfig("127.0.0.1", 0, 64 * 1024, Optional.of(MASTER),
                databaseUrl, providers, models, dev.tokenrt.provider.fake.FakeProvider.Options.defaults(), budgets, cache);
        ledger = JdbcUsageLedger.open(config.databaseUrl(), LedgerOptions.defaults());
        gateway = Gateway.start(config, false, Clock.systemUTC(), ledger);
    }

    String base() {
        return gateway.baseUrl();
    }

    HttpRequest.Builder post(String path, String body) {
        return HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(20))
                .header("content-type", "application/json").header("authorization", "Bearer " + MASTER)
                .POST(HttpRequest.BodyPublishers.ofString(body));
    }

    HttpResponse<String> send(HttpRequest req) throws Exception {
        return http.send(req, HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> chat(String body) throws Exception {
        return send(post("/v1/chat/completions", body).build());
    }

    static JsonNode json(String s) throws Exception {
        return JSON.readTree(s);
    }

    /** The ledger row of a request, once the writer has stored it. */
    LedgerEntry row(String requestId) {
        ledger.flush(Duration.ofSeconds(5));
        return ledger.find(requestId).orElseThrow(() -> new AssertionError("no ledger row for " + requestId));
    }

    static String chatBody(String model, boolean stream, String extra) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                + "{\"role\":\"user\",\"content\":\"Say hello.\"}]" + (stream ? ",\"stream\":true" : "") + extra + "}";
    }

    @Override
    public void close() {
        gateway.close();
        upstream.close();
    }
}
