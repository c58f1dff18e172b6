package dev.tokenrt.budget;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.tokenrt.budget.BudgetSource.Applicable;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AlertsTest {

    TestClock clock = TestClock.at("2026-05-14T10:00:00Z");
    Budget budget = Budget.of("acme-day", Scope.TEAM, "acme", Period.DAY, Metric.COST_USD, 1_000_000_000,
            Action.DENY);
    Applicable acme = new Applicable(budget, "acme");
    HttpServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    @Test
    void thresholdsAreComparedExactly() {
        Budget b = Budget.of("b", Scope.GLOBAL, "", Period.DAY, Metric.TOKENS, 1000, Action.DENY)
                .withThresholds(new BigDecimal("0.8"), new BigDecimal("0.95"));
        assertThat(ThresholdAlerts.levelsReached(b, 799)).isEmpty();
        assertThat(ThresholdAlerts.levelsReached(b, 800)).containsExactly(AlertLevel.WARN);
        assertThat(ThresholdAlerts.levelsReached(b, 949)).containsExactly(AlertLevel.WARN);
        assertThat(ThresholdAlerts.levelsReached(b, 950)).containsExactly(AlertLevel.WARN, AlertLevel.CRITICAL);
        assertThat(ThresholdAlerts.levelsReached(b, 999)).containsExactly(AlertLevel.WARN, AlertLevel.CRITICAL);
        assertThat(ThresholdAlerts.levelsReached(b, 1000))
                .containsExactly(AlertLevel.WARN, AlertLevel.CRITICAL, AlertLevel.EXCEEDED);
        // 1/3 of 10 is 3.333…: 3 is below it, 4 above; a double would get the boundary wrong for some limits.
        Budget third = Budget.of("t", Scope.GLOBAL, "", Period.DAY, Metric.TOKENS, 10, Action.DENY)
                .withThresholds(new BigDecimal("0.3333333333333333333"), BigDecimal.ONE);
        assertThat(ThresholdAlerts.levelsReached(third, 3)).isEmpty();
        assertThat(ThresholdAlerts.levelsReached(third, 4)).containsExactly(AlertLevel.WARN);
    }

    @Test
    void eachLevelFiresOncePerWindowEvenFromManyThreads() throws Exception {
        List<BudgetAlert> sent = new CopyOnWriteArrayList<>();
        ThresholdAlerts alerts = new ThresholdAlerts(List.of(sent::add), clock);
        Window today = Period.DAY.window(clock.instant(), ZoneOffset.UTC);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            long used = 800_000_000L + i * 1_000_000L; // 80 % … 99.9 %
            threads.add(Thread.ofVirtual().start(() -> alerts.observe(acme, today, used)));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(sent).extracting(BudgetAlert::level).containsExactlyInAnyOrder(AlertLevel.WARN, AlertLevel.CRITICAL);
        assertThat(alerts.observe(acme, today, 1_000_000_000L)).extracting(BudgetAlert::level)
                .containsExactly(AlertLevel.EXCEEDED);
        assertThat(alerts.observe(acme, today, 2_000_000_000L)).isEmpty();
        Window tomorrow = Period.DAY.window(clock.instant().plus(Duration.ofDays(1)), ZoneOffset.UTC);
        assertThat(alerts.observe(acme, tomorrow, 900_000_000L)).extracting(BudgetAlert::level)
                .containsExactly(AlertLevel.WARN);
        assertThat(alerts.log().list(new AlertLog.Query(java.util.Optional.empty(), Instant.EPOCH, 100)))
                .extracting(r -> r.level() + "@" + r.window().start())
                .containsExactlyInAnyOrder("WARN@" + today.start(), "CRITICAL@" + today.start(),
                        "EXCEEDED@" + today.start(), "WARN@" + tomorrow.start());
    }

    @Test
    void replicasSharingOneLogFireEachCrossingOnce() throws Exception {
        // Three "replicas": each its own ThresholdAlerts and sinks, one log between them (as the database is).
        AlertLog shared = new InMemoryAlertLog();
        List<BudgetAlert> sent = new CopyOnWriteArrayList<>();
        List<ThresholdAlerts> replicas = List.of(new ThresholdAlerts(List.of(sent::add), clock, shared),
                new ThresholdAlerts(List.of(sent::add), clock, shared),
                new ThresholdAlerts(List.of(sent::add), clock, shared));
        Window today = Period.DAY.window(clock.instant(), ZoneOffset.UTC);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            ThresholdAlerts r = replicas.get(i % 3);
            long used = 940_000_000L + i * 1_000_000L; // 94 % … 123.9 %: critical and exceeded crossed by all three
            threads.add(Thread.ofVirtual().start(() -> r.observe(acme, today, used)));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(sent).extracting(BudgetAlert::level)
                .containsExactlyInAnyOrder(AlertLevel.WARN, AlertLevel.CRITICAL, AlertLevel.EXCEEDED);
        assertThat(shared.list(new AlertLog.Query(java.util.Optional.of("acme-day"), Instant.EPOCH, 10))).hasSize(3);
        assertThat(shared.list(new AlertLog.Query(java.util.Optional.of("other"), Instant.EPOCH, 10))).isEmpty();
        assertThat(shared.list(new AlertLog.Query(java.util.Optional.empty(), clock.instant().plusSeconds(1), 10)))
                .isEmpty();
    }

    @Test
    void anUnreachableLogStillFiresOncePerProcess() {
        AlertLog down = new AlertLog() {
            @Override
            public boolean recordIfAbsent(AlertRecord alert) {
                throw new BudgetStoreException("database down", new java.sql.SQLException("connection refused"));
            }

            @Override
            public List<AlertRecord> list(Query query) {
                throw new UnsupportedOperationException();
            }
        };
        List<BudgetAlert> sent = new ArrayList<>();
        ThresholdAlerts alerts = new ThresholdAlerts(List.of(sent::add), clock, down);
        Window today = Period.DAY.window(clock.instant(), ZoneOffset.UTC);
        alerts.observe(acme, today, 850_000_000L);
        alerts.observe(acme, today, 860_000_000L);
        assertThat(sent).extracting(BudgetAlert::level).containsExactly(AlertLevel.WARN);
    }

    @Test
    void membersOfAnEachBudgetAreAlertedSeparately() {
        Budget each = Budget.of("per-user", Scope.USER, Budget.EACH, Period.DAY, Metric.REQUESTS, 10, Action.DENY);
        List<BudgetAlert> sent = new ArrayList<>();
        ThresholdAlerts alerts = new ThresholdAlerts(List.of(sent::add), clock);
        Window today = Period.DAY.window(clock.instant(), ZoneOffset.UTC);
        alerts.observe(new Applicable(each, "alice"), today, 8);
        alerts.observe(new Applicable(each, "bob"), today, 8);
        alerts.observe(new Applicable(each, "alice"), today, 9);
        assertThat(sent).extracting(BudgetAlert::member).containsExactly("alice", "bob");
        assertThat(sent.get(1).text()).startsWith("Budget 'per-user' (user 'bob') has reached its warning threshold");
    }

    @Test
    void aFailingSinkDoesNotStopTheOthers() {
        List<BudgetAlert> sent = new ArrayList<>();
        ThresholdAlerts alerts = new ThresholdAlerts(List.of(a -> {
            throw new IllegalStateException("down");
        }, sent::add), clock);
        alerts.observe(acme, Period.DAY.window(clock.instant(), ZoneOffset.UTC), 1_000_000_000L);
        assertThat(sent).hasSize(3);
    }

    // ------------------------------------------------------------ webhook

    record Received(String contentType, String body) {
    }

    /** A webhook on 127.0.0.1 that answers the given statuses in turn (the last one repeats). */
    URI webhook(List<Received> received, int... statuses) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        AtomicInteger n = new AtomicInteger();
        server.createContext("/hook", ex -> {
            try (InputStream in = ex.getRequestBody()) {
                received.add(new Received(ex.getRequestHeaders().getFirst("content-type"),
                        new String(in.readAllBytes(), StandardCharsets.UTF_8)));
            }
            int i = Math.min(n.getAndIncrement(), statuses.length - 1);
            ex.sendResponseHeaders(statuses[i], -1);
            ex.close();
        });
        server.start();
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/hook");
    }

    BudgetAlert alert() {
        return new BudgetAlert(budget, "acme", AlertLevel.CRITICAL, Period.DAY.window(clock.instant(), ZoneOffset.UTC),
                960_000_000L, clock.instant());
    }

    WebhookAlertSink sink(URI url, List<Duration> sleeps) {
        return new WebhookAlertSink(url, HttpClient.newHttpClient(), 3, Duration.ofSeconds(1), Duration.ofSeconds(10),
                sleeps::add, Runnable::run);
    }

    @Test
    void theWebhookGetsSlackCompatibleJsonAndIsRetriedOnServerErrors() throws Exception {
        List<Received> received = new CopyOnWriteArrayList<>();
        List<Duration> sleeps = new ArrayList<>();
        URI url = webhook(received, 503, 500, 200);
        assertThat(sink(url, sleeps).deliver(alert())).isTrue();
        assertThat(received).hasSize(3);
        assertThat(sleeps).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2));
        assertThat(received.get(2).contentType()).isEqualTo("application/json");
        JsonNode body = new ObjectMapper().readTree(received.get(2).body());
        assertThat(body.get("text").asText()).isEqualTo("Budget 'acme-day' (team 'acme') is nearly spent: 0.96 USD of "
                + "1 USD used this day (action deny).");
        assertThat(body.at("/tokenrt/budget").asText()).isEqualTo("acme-day");
        assertThat(body.at("/tokenrt/level").asText()).isEqualTo("critical");
        assertThat(body.at("/tokenrt/used").asLong()).isEqualTo(960_000_000L);
        assertThat(body.at("/tokenrt/window_start").asText()).isEqualTo("2026-05-14T00:00:00Z");
    }

    @Test
    void aClientErrorIsNotRetriedAndAnUnreachableHookGivesUpAfterItsAttempts() throws Exception {
        List<Received> received = new CopyOnWriteArrayList<>();
        List<Duration> sleeps = new ArrayList<>();
        URI url = webhook(received, 404);
        assertThat(sink(url, sleeps).deliver(alert())).isFalse();
        assertThat(received).hasSize(1);
        assertThat(sleeps).isEmpty();

        server.stop(0);
        server = null;
        assertThat(sink(url, sleeps).deliver(alert())).isFalse();
        assertThat(sleeps).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2));
    }

    @Test
    void sendHandsDeliveryToTheExecutor() throws Exception {
        List<Received> received = new CopyOnWriteArrayList<>();
        URI url = webhook(received, 200);
        List<Runnable> queued = new ArrayList<>();
        WebhookAlertSink s = new WebhookAlertSink(url, HttpClient.newHttpClient(), 1, Duration.ZERO,
                Duration.ofSeconds(10), d -> { }, queued::add);
        s.send(alert());
        assertThat(received).isEmpty();
        assertThat(queued).hasSize(1);
        queued.get(0).run();
        assertThat(received).hasSize(1);
        assertThat(Instant.parse(new ObjectMapper().readTree(received.get(0).body()).at("/tokenrt/at").asText()))
                .isEqualTo(clock.instant());
    }
}
