package dev.tokenrt.gateway;

import static dev.tokenrt.gateway.GatewayHarness.chatBody;
import static dev.tokenrt.gateway.GatewayHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrt.budget.RateLimitJson;
import dev.tokenrt.testkit.FakeUpstream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two gateways sharing one database and one Redis (a redis-server of the test's own), over real HTTP: they enforce
 * a key's own rate limits and the configuration file's together, once, not once each; and they split a pool shared
 * by priority between the keys' tiers without ever overshooting it.
 */
class SharedRedisGatewayTest {

    static PrivateRedis redis;
    static GatewayHarness a;
    static GatewayHarness b;

    @BeforeAll
    static void start() throws Exception {
        Path dir = Files.createTempDirectory("tokenrt-shared-redis");
        redis = new PrivateRedis(Files.createDirectories(dir.resolve("redis")));
        String db = "jdbc:sqlite:" + dir.resolve("tokenrt.db");
        // User "capped": two requests a minute, from the configuration file, whichever key or none.
        BudgetSettings settings = BudgetSettings.DEFAULTS.withRedisUrl(Optional.of(redis.url()))
                .withRateLimits(List.of(RateLimitJson.parse(GatewayHarness.JSON.readTree(
                        "{\"id\":\"capped-rpm\",\"subject\":\"user\",\"subject_id\":\"capped\",\"limit\":2}"),
                        "rate_limits[0]", "rl0")))
                .withTiers(java.util.Map.of(
                        "gold", new dev.tokenrt.budget.Tier("gold", java.util.Set.of(), java.util.OptionalInt.empty(),
                                java.util.OptionalLong.empty(), dev.tokenrt.budget.Priority.CRITICAL),
                        "free", new dev.tokenrt.budget.Tier("free", java.util.Set.of(), java.util.OptionalInt.empty(),
                                java.util.OptionalLong.empty(), dev.tokenrt.budget.Priority.LOW)))
                // Teams "race" and "steady" each have a pool of 11 requests a day, split by the default weights.
                .withDefinitions(List.of(pool("race-pool", "race"), pool("steady-pool", "steady")));
        a = new GatewayHarness(dir.resolve("a"), FakeUpstream.Options.defaults(), db, settings);
        b = new GatewayHarness(dir.resolve("b"), FakeUpstream.Options.defaults(), db, settings);
    }

    static dev.tokenrt.budget.Budget pool(String id, String team) throws Exception {
        return dev.tokenrt.budget.BudgetJson.parse(GatewayHarness.JSON.readTree("{\"id\":\"" + id + "\","
                + "\"scope\":\"team\",\"scope_id\":\"" + team + "\",\"period\":\"day\",\"metric\":\"requests\","
                + "\"limit\":11,\"action\":\"deny\",\"split\":\"priority\"}"));
    }

    static String key(String team, String tier) throws Exception {
        HttpResponse<String> made = a.send(a.post("/admin/v1/keys", "{\"team\":\"" + team + "\",\"tier\":\"" + tier
                + "\"}").build());
        assertThat(made.statusCode()).as(made.body()).isEqualTo(201);
        return json(made.body()).path("key").asText();
    }

    @AfterAll
    static void stop() throws Exception {
        a.close();
        b.close();
        redis.close();
    }

    static HttpResponse<String> chat(GatewayHarness h, String bearer, String user) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(h.base() + "/v1/chat/completions"))
                .timeout(Duration.ofSeconds(20)).header("content-type", "application/json")
                .header("authorization", "Bearer " + bearer)
                .POST(HttpRequest.BodyPublishers.ofString(chatBody("gpt-4o-mini", false, "")));
        if (user != null) {
            r.header("x-tokenrt-user", user);
        }
        return h.send(r.build());
    }

    @Test
    void aKeysOwnLimitHoldsAcrossBothGatewaysAndSaysWhenToComeBack() throws Exception {
        HttpResponse<String> made = a.send(a.post("/admin/v1/keys", "{\"name\":\"limited\","
                + "\"rate_limits\":[{\"id\":\"rpm\",\"limit\":3,\"per\":\"minute\"}]}").build());
        assertThat(made.statusCode()).as(made.body()).isEqualTo(201);
        String secret = json(made.body()).path("key").asText();
        String keyId = json(made.body()).path("id").asText();
        List<HttpResponse<String>> answers = new ArrayList<>();
        for (GatewayHarness h : List.of(a, b, a, b, a)) {
            answers.add(chat(h, secret, null));
        }
        assertThat(answers).extracting(HttpResponse::statusCode).containsExactly(200, 200, 200, 429, 429);
        JsonNode err = json(answers.get(3).body()).path("error");
        assertThat(err.path("code").asText()).isEqualTo("rate_limit_exceeded");
        assertThat(err.path("message").asText()).contains("key:" + keyId + ":rpm");
        // Three a minute is one every 20 s: the next one fits about 20 s after the first.
        long retryAfter = Long.parseLong(answers.get(3).headers().firstValue("retry-after").orElseThrow());
        assertThat(retryAfter).isBetween(1L, 20L);
        // Another key has its own bucket.
        HttpResponse<String> other = a.send(a.post("/admin/v1/keys", "{\"name\":\"unlimited\"}").build());
        assertThat(chat(b, json(other.body()).path("key").asText(), null).statusCode()).isEqualTo(200);
    }

    @Test
    void theConfigurationFilesLimitsHoldAcrossBothGatewaysToo() throws Exception {
        List<Integer> statuses = new ArrayList<>();
        for (GatewayHarness h : List.of(b, a, b, a)) {
            statuses.add(chat(h, GatewayHarness.MASTER, "capped").statusCode());
        }
        assertThat(statuses).containsExactly(200, 200, 429, 429);
        assertThat(chat(a, GatewayHarness.MASTER, "free").statusCode()).isEqualTo(200);
    }

    @Test
    void aPoolSharedByPriorityHoldsEachTierToItsShareAcrossBothGateways() throws Exception {
        String gold = key("steady", "gold");
        String free = key("steady", "free");
        int goldServed = 0;
        int freeServed = 0;
        String refusal = "";
        for (int i = 0; i < 15; i++) {
            HttpResponse<String> g = chat(i % 2 == 0 ? a : b, gold, null);
            goldServed += g.statusCode() == 200 ? 1 : 0;
            HttpResponse<String> f = chat(i % 2 == 0 ? b : a, free, null);
            freeServed += f.statusCode() == 200 ? 1 : 0;
            if (f.statusCode() == 429 && refusal.isEmpty()) {
                refusal = json(f.body()).path("error").path("message").asText();
            }
        }
        // Both tiers active: 11 split 0.5 : 0.05 is 10 : 1.
        assertThat(goldServed).isEqualTo(10);
        assertThat(freeServed).isEqualTo(1);
        // The first refusal of a free request is its share's; the pool as a whole still had room then.
        assertThat(refusal).contains("steady-pool").contains("at priority low");
    }

    @Test
    void racingRequestsOfBothTiersOnBothGatewaysNeverOvershootThePool() throws Exception {
        String gold = key("race", "gold");
        String free = key("race", "free");
        List<Thread> threads = new ArrayList<>();
        java.util.concurrent.atomic.AtomicInteger served = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger other = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        for (int i = 0; i < 40; i++) {
            GatewayHarness h = i % 2 == 0 ? a : b;
            String secret = i % 4 < 2 ? gold : free;
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    go.await();
                    int status = chat(h, secret, null).statusCode();
                    (status == 200 ? served : status == 429 ? new java.util.concurrent.atomic.AtomicInteger() : other)
                            .incrementAndGet();
                } catch (Exception e) {
                    other.incrementAndGet();
                }
            }));
        }
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }
        assertThat(other.get()).as("answers other than 200 and 429").isZero();
        assertThat(served.get()).isEqualTo(11);
    }
}
