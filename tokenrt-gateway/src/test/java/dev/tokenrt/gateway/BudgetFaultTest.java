package dev.tokenrt.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenrt.budget.CounterStore;
import dev.tokenrt.pricing.Money;
import dev.tokenrt.store.budget.JdbcCounterStore;
import dev.tokenrt.testkit.FakeUpstream;
import dev.tokenrt.testkit.Route;
import dev.tokenrt.testkit.Scenario;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Budgets when their stores fail, on real processes: a private redis-server killed under load (under each
 * {@code on_store_failure} policy), and a gateway killed with SIGKILL while a request holds part of a budget.
 * These are the failures a budget must survive without overshooting (fail_closed), without silently going
 * unenforced (fail_open), and without a dead process's hold blocking the budget for ever.
 */
class BudgetFaultTest {

    static final String MASTER = "sk-test-master-fault-0123456789";
    static final String KEY = "b:global-cap:total";
    static final ObjectMapper JSON = new ObjectMapper();
    /** gpt-4o-mini answering the synthetic scenario: 10 prompt tokens at $0.15/M, 16 completion tokens at $0.60/M. */
    static final long ACTUAL_NANOS = 10 * 150 + 16 * 600;

    @TempDir
    Path dir;

    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    // ------------------------------------------------------------ Redis killed under load

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void failClosedAnswers503WhileRedisIsDownAndNeverPassesTheLimit() throws Exception {
        long limit = 90 * ACTUAL_NANOS;
        try (PrivateRedis redis = new PrivateRedis(dir);
                FakeUpstream upstream = FakeUpstream.start(synthetic());
                Gateway gateway = start(yaml(upstream, sqlite(), redis.url(), "fail_closed", limit, ""));
                Load load = new Load(http, chat(gateway.baseUrl(), 16), 8)) {
            load.await(() -> load.count(s -> s.status() == 200) >= 20, "20 answers before the kill");
            redis.kill();
            long killed = System.nanoTime();
            load.await(() -> load.count(s -> s.sent() > killed) >= 40, "40 requests sent after the kill");
            load.stop();

            List<Sample> after = load.samples(s -> s.sent() > killed);
            assertThat(after).hasSizeGreaterThanOrEqualTo(40).allSatisfy(s -> {
                assertThat(s.status()).as(s.body()).isEqualTo(503);
                JsonNode error = JSON.readTree(s.body()).path("error");
                assertThat(error.path("code").asText()).isEqualTo("budget_store_unavailable");
                assertThat(error.path("type").asText()).isNotEmpty();
                assertThat(error.path("message").asText()).contains("Budgets cannot be checked");
            });
            // Nothing reached the provider without a hold: every upstream call is an answer given before the kill
            // (or in flight at it), and the ledger's spend stays within the limit.
            long ok = load.count(s -> s.status() == 200);
            assertThat(upstream.requestCount(Route.OPENAI_CHAT)).isEqualTo(ok);
            assertThat(gateway.runtime().ledger().flush(Duration.ofSeconds(10))).isTrue();
            assertThat(ledgerSpend()).isEqualTo(ok * ACTUAL_NANOS).isLessThanOrEqualTo(limit);
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void failOpenKeepsAnsweringCountedLocallyAndSaysSoLoudly() throws Exception {
        long limit = 30 * ACTUAL_NANOS;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream stderr = System.err;
        // slf4j-simple writes to whatever System.err is at the time of each line.
        System.setErr(new PrintStream(new Tee(stderr, log), true, StandardCharsets.UTF_8));
        try (PrivateRedis redis = new PrivateRedis(dir);
                FakeUpstream upstream = FakeUpstream.start(synthetic());
                Gateway gateway = start(yaml(upstream, sqlite(), redis.url(), "fail_open", limit, ""));
                Load load = new Load(http, chat(gateway.baseUrl(), 16), 8)) {
            load.await(() -> load.count(s -> s.status() == 200) >= 10, "10 answers before the kill");
            redis.kill();
            long killed = System.nanoTime();
            // With Redis gone the replica counts on its own, from zero: it answers until its local counter holds
            // the whole limit, then refuses like any spent budget.
            load.await(() -> load.count(s -> s.sent() > killed && s.status() == 429) >= 5,
                    "the local counter to refuse after the kill");
            load.stop();

            List<Sample> after = load.samples(s -> s.sent() > killed);
            List<Sample> answered = after.stream().filter(s -> s.status() == 200).toList();
            assertThat(answered).hasSizeGreaterThanOrEqualTo(10);
            assertThat(after).allSatisfy(s -> assertThat(s.status()).as(s.body()).isIn(200, 429));
            assertThat(after.stream().filter(s -> s.status() == 429))
                    .allSatisfy(s -> assertThat(JSON.readTree(s.body()).path("error").path("code").asText())
                            .isEqualTo("budget_exceeded"));
            long spentAfter = answered.stream().mapToLong(s -> Money.parseUsd(s.cost())).sum();
            assertThat(spentAfter).isLessThanOrEqualTo(limit);

            HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/metrics"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(fallbacks(metrics.body())).isPositive();
        } finally {
            System.setErr(stderr);
        }
        assertThat(log.toString(StandardCharsets.UTF_8)).containsPattern(
                "ERROR dev\\.tokenrt\\.gateway\\.Budgets - BUDGET COUNTER STORE UNREACHABLE: counting locally");
    }

    // ------------------------------------------------------------ a gateway killed with a hold open

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void aHoldLeftByAKilledGatewayIsSweptByAnotherOnceItsTtlHasPassed() throws Exception {
        String db = sqlite();
        FakeUpstream.Options slowOptions = FakeUpstream.Options.defaults()
                .withDefaultScenario(Scenario.parse("slow-first-byte")).withSlowFirstByte(Duration.ofSeconds(60));
        try (FakeUpstream slow = FakeUpstream.start(slowOptions);
                FakeUpstream fast = FakeUpstream.start(synthetic());
                JdbcCounterStore counters = JdbcCounterStore.open(db, JdbcCounterStore.Options.defaults())) {
            Path childConfig = dir.resolve("child.yaml");
            Files.writeString(childConfig, yaml(slow, db, "", "fail_closed", 1_000_000_000L, "  hold_ttl_ms: 2000\n  counters: database\n"));
            Process child = startChild(childConfig);
            try {
                int port = awaitListening(child);
                CompletableFuture<HttpResponse<String>> pending = http.sendAsync(
                        chat("http://127.0.0.1:" + port, 1000), HttpResponse.BodyHandlers.ofString());
                await(() -> slow.requestCount(Route.OPENAI_CHAT) == 1, "the slow request to reach the upstream");
                CounterStore.State open = counters.state(KEY);
                assertThat(open.held()).as("the hold of the request in flight").isPositive();
                assertThat(open.used()).isZero();

                child.destroyForcibly(); // SIGKILL: no shutdown hook, no release
                assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
                assertThat(pending).failsWithin(Duration.ofSeconds(10));
                assertThat(counters.state(KEY)).as("nobody released it").isEqualTo(open);

                // A second gateway on the same counters sweeps expired holds every 10 s. (Both keep the counters in the
                // database itself, budgets.counters: database: the embedded default keeps them in one process.)
                try (Gateway second = start(yaml(fast, db, "", "fail_closed", 1_000_000_000L, "  hold_ttl_ms: 2000\n  counters: database\n"))) {
                    await(() -> counters.state(KEY).held() == 0, "the second gateway to sweep the hold");
                    assertThat(counters.state(KEY)).isEqualTo(new CounterStore.State(0, 0));

                    // And the budget counts again from there: one answer, charged at its actual cost.
                    HttpResponse<String> r = http.send(chat(second.baseUrl(), 16), HttpResponse.BodyHandlers.ofString());
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                    assertThat(counters.state(KEY)).isEqualTo(new CounterStore.State(ACTUAL_NANOS, 0));
                }
            } finally {
                child.destroyForcibly();
                child.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    // ------------------------------------------------------------ helpers

    static FakeUpstream.Options synthetic() {
        return FakeUpstream.Options.defaults().withDefaultScenario(Scenario.parse("synthetic")).withSyntheticChunks(16)
                .withLatency(Duration.ofMillis(20));
    }

    String sqlite() {
        return "jdbc:sqlite:" + dir.resolve("tokenrt.db");
    }

    static String yaml(FakeUpstream upstream, String db, String redisUrl, String policy, long limitNanos, String extra) {
        return """
                server: {host: 127.0.0.1, port: 4000}
                master_key: %s
                database_url: "%s"
                providers:
                  - name: openai
                    kind: openai
                    base_url: %s/v1
                    api_key: sk-upstream-fault
                    retries: {max: 0}
                    timeouts: {connect_ms: 5000, first_byte_ms: 120000, idle_ms: 120000}
                budgets:
                %s  on_store_failure: %s
                  redis_timeout_ms: 2000
                %s  definitions:
                    - {id: global-cap, scope: global, period: total, metric: cost_usd, limit: "%s", action: deny}
                """.formatted(MASTER, db, upstream.baseUrl(), redisUrl.isEmpty() ? "" : "  redis_url: \"" + redisUrl + "\"\n",
                policy, extra, Money.format(limitNanos));
    }

    Gateway start(String yaml) throws IOException {
        Path file = Files.createTempFile(dir, "gateway", ".yaml");
        Files.writeString(file, yaml);
        GatewayConfig config = GatewayConfig.load(Optional.of(file), java.util.Map.of());
        return Gateway.start(config.withListen("127.0.0.1", 0), false);
    }

    static HttpRequest chat(String base, int maxTokens) {
        return HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions")).timeout(Duration.ofSeconds(30))
                .header("content-type", "application/json").header("authorization", "Bearer " + MASTER)
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-4o-mini\",\"max_tokens\":" + maxTokens
                        + ",\"messages\":[{\"role\":\"user\",\"content\":\"Name three primes.\"}]}"))
                .build();
    }

    long ledgerSpend() throws Exception {
        try (Connection c = DriverManager.getConnection(sqlite()); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT COALESCE(SUM(cost_nanos), 0) FROM requests")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static double fallbacks(String prometheus) {
        return prometheus.lines().filter(l -> l.startsWith("tokenrt_budget_store_fallback_total"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    Process startChild(Path config) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "--enable-native-access=ALL-UNNAMED", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", System.getProperty("java.class.path"), GatewayChild.class.getName(), config.toString())
                .redirectError(dir.resolve("child.log").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("TOKENRT_"));
        return pb.start();
    }

    int awaitListening(Process child) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        String l;
        try {
            l = line.get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("the child gateway did not start in 60 s:\n" + childLog());
        }
        if (l == null || !l.startsWith("listening ")) {
            throw new AssertionError("the child gateway did not start (" + l + "):\n" + childLog());
        }
        return Integer.parseInt(l.substring("listening ".length()).trim());
    }

    String childLog() throws IOException {
        Path log = dir.resolve("child.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("gave up waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    /** One answered request: when it was sent (System.nanoTime), its status (-1: no answer) and body. */
    record Sample(long sent, int status, String body, String cost) {
    }

    /** A closed loop of workers, each sending the same request again as soon as the last was answered. */
    static final class Load implements AutoCloseable {
        private final List<Sample> samples = new CopyOnWriteArrayList<>();
        private final AtomicBoolean stop = new AtomicBoolean();
        private final List<Thread> workers = new ArrayList<>();

        Load(HttpClient http, HttpRequest request, int n) {
            for (int i = 0; i < n; i++) {
                workers.add(Thread.ofVirtual().start(() -> {
                    while (!stop.get()) {
                        long sent = System.nanoTime();
                        try {
                            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
                            samples.add(new Sample(sent, r.statusCode(), r.body(),
                                    r.headers().firstValue("x-tokenrt-cost-usd").orElse("0")));
                        } catch (IOException e) {
                            samples.add(new Sample(sent, -1, e.toString(), "0"));
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }));
            }
        }

        long count(Predicate<Sample> p) {
            return samples.stream().filter(p).count();
        }

        List<Sample> samples(Predicate<Sample> p) {
            return samples.stream().filter(p).toList();
        }

        void await(BooleanSupplier condition, String what) throws InterruptedException {
            BudgetFaultTest.await(condition, what + " (so far: " + samples.size() + " answers)");
        }

        /** Stops sending and waits for the requests in flight to be answered. */
        void stop() throws InterruptedException {
            stop.set(true);
            for (Thread t : workers) {
                if (!t.join(Duration.ofSeconds(30))) {
                    throw new AssertionError("a load worker did not finish");
                }
            }
        }

        @Override
        public void close() {
            stop.set(true);
        }
    }
}
