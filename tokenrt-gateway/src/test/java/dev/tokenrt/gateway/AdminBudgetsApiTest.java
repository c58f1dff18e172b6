package dev.tokenrt.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenrt.budget.Budget;
import dev.tokenrt.budget.BudgetSource.Applicable;
import dev.tokenrt.budget.BudgetStep;
import dev.tokenrt.budget.CompositeBudgetSource;
import dev.tokenrt.budget.CounterStore.Hold;
import dev.tokenrt.budget.CounterStore.Reservation;
import dev.tokenrt.budget.InMemoryCounterStore;
import dev.tokenrt.budget.KeyBudgets;
import dev.tokenrt.budget.Priority;
import dev.tokenrt.budget.Tier;
import dev.tokenrt.budget.Window;
import dev.tokenrt.keys.Authentication;
import dev.tokenrt.keys.IssuedKey;
import dev.tokenrt.keys.NewKey;
import dev.tokenrt.provider.OpenAiChatFormat;
import dev.tokenrt.store.budget.JdbcBudgetRegistry;
import dev.tokenrt.store.keys.JdbcKeyStore;
import dev.tokenrt.store.ledger.LedgerOptions;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The budget admin routes and {@code GET /v1/tokenrt/budget} over real HTTP: a Vert.x server of the test's own
 * on 127.0.0.1 routes to {@link AdminBudgetsApi} (as GatewayServer will), over a SQLite
 * {@link JdbcBudgetRegistry} and {@link JdbcKeyStore} on one file, and an {@link InMemoryCounterStore} whose
 * counters the test moves through reserve and settle, as the budget step would. Periods are aligned in New
 * York time, so a day starts at 05:00Z in November.
 */
class AdminBudgetsApiTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Instant T0 = Instant.parse("2026-11-20T10:00:00Z");
    static final ZoneId ZONE = ZoneId.of("America/New_York");

    @TempDir
    Path dir;

    final AdminKeysApiTest.MovableClock clock = new AdminKeysApiTest.MovableClock(T0);
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
    final AtomicInteger holds = new AtomicInteger();
    Vertx vertx;
    HttpServer server;
    JdbcBudgetRegistry registry;
    JdbcKeyStore keys;
    InMemoryCounterStore counters;
    String base;

    @BeforeEach
    void start() throws Exception {
        String url = "jdbc:sqlite:" + dir.resolve("tokenrt.db");
        registry = JdbcBudgetRegistry.open(url, LedgerOptions.defaults(), JdbcBudgetRegistry.Options.defaults()
                .withClock(clock));
        keys = JdbcKeyStore.open(url, LedgerOptions.defaults());
        counters = new InMemoryCounterStore(clock);
        Tier free = new Tier("free", Set.of(), OptionalInt.empty(), OptionalLong.of(2_000_000_000L), Priority.LOW);
        KeyBudgets keyBudgets = KeyBudgets.builder().keys(keys).tiers(Map.of("free", free)).build();
        AdminBudgetsApi api = new AdminBudgetsApi(registry, counters, clock, ZONE,
                new ClientFace(new OpenAiChatFormat()), CompositeBudgetSource.of(registry, keyBudgets));
        vertx = Vertx.vertx();
        server = vertx.createHttpServer().requestHandler(req -> req.body()
                .onSuccess(body -> workers.execute(() -> route(api, req, body))));
        server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        base = "http://127.0.0.1:" + server.actualPort();
    }

    /** The routing the lead will put in GatewayServer (minus master-key authentication). */
    private void route(AdminBudgetsApi api, HttpServerRequest req, Buffer body) {
        String path = req.path();
        HttpMethod m = req.method();
        String prefix = "/admin/v1/budgets/";
        if (path.equals("/admin/v1/budgets")) {
            if (m == HttpMethod.POST) {
                api.create(req, body);
            } else {
                api.list(req);
            }
        } else if (path.startsWith(prefix) && path.endsWith("/status") && m == HttpMethod.GET) {
            api.status(req, decode(path.substring(prefix.length(), path.length() - "/status".length())));
        } else if (path.startsWith(prefix)) {
            String id = decode(path.substring(prefix.length()));
            switch (m.name()) {
                case "GET" -> api.get(req, id);
                case "PUT" -> api.replace(req, id, body);
                case "DELETE" -> api.delete(req, id);
                default -> req.response().setStatusCode(405).end();
            }
        } else if (path.equals("/v1/tokenrt/budget")) {
            String bearer = Optional.ofNullable(req.getHeader("authorization")).orElse("").replaceFirst("^Bearer ", "");
            if (keys.authenticate(bearer, clock.instant()) instanceof Authentication.Accepted a) {
                Map<String, String> headers = new java.util.HashMap<>();
                req.headers().forEach(h -> headers.put(h.getKey().toLowerCase(java.util.Locale.ROOT), h.getValue()));
                api.ownBudgets(req, a.key(), Attribution.from(headers, Optional.of(a.key()), ""));
            } else {
                req.response().setStatusCode(401).end();
            }
        } else {
            req.response().setStatusCode(404).end();
        }
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    @AfterEach
    void stop() throws Exception {
        server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        workers.shutdown();
        registry.close();
        keys.close();
    }

    // ---------------------------------------------------------------- CRUD

    @Test
    void createGetListReplaceAndDelete() throws Exception {
        Reply created = send("POST", "/admin/v1/budgets", """
                {"id":"acme-daily","scope":"team","scope_id":"acme","period":"day","metric":"cost_usd",
                 "limit":"50.000000001","warn_at":0.75,"critical_at":0.9,"action":"degrade","degrade_to":"gpt-4o-mini"}""");
        assertThat(created.status).isEqualTo(201);
        JsonNode b = created.json();
        assertThat(b).isEqualTo(JSON.readTree("""
                {"id":"acme-daily","object":"budget","scope":"team","scope_id":"acme","period":"day",
                 "metric":"cost_usd","limit":"50.000000001","warn_at":0.75,"critical_at":0.9,"action":"degrade",
                 "degrade_to":"gpt-4o-mini"}"""));
        assertThat(send("GET", "/admin/v1/budgets/acme-daily", null).json()).isEqualTo(b);
        assertThat(registry.budgets(dev.tokenrt.budget.Scope.TEAM, "acme")).as("enforced on this replica at once")
                .singleElement().extracting(Budget::limit).isEqualTo(50_000_000_001L);

        Reply generated = send("POST", "/admin/v1/budgets",
                "{\"scope\":\"global\",\"period\":\"month\",\"metric\":\"tokens\",\"limit\":1000000}");
        assertThat(generated.status).isEqualTo(201);
        String id = generated.json().get("id").asText();
        assertThat(id).matches("bud_[a-z2-7]{16}");
        assertThat(generated.json().get("scope_id").isNull()).isTrue();
        assertThat(generated.json().get("limit").isNumber()).isTrue();
        assertThat(generated.json().get("action").asText()).isEqualTo("deny");

        Reply taken = send("POST", "/admin/v1/budgets",
                "{\"id\":\"acme-daily\",\"scope\":\"global\",\"period\":\"day\",\"limit\":\"1\"}");
        assertThat(taken.status).isEqualTo(409);
        assertThat(taken.json().at("/error/param").asText()).isEqualTo("id");
        assertThat(taken.json().at("/error/code").asText()).isEqualTo("budget_exists");

        JsonNode list = send("GET", "/admin/v1/budgets", null).json();
        assertThat(list.get("object").asText()).isEqualTo("list");
        assertThat(list.get("data")).extracting(n -> n.get("id").asText()).containsExactly("acme-daily", id);

        Reply replaced = send("PUT", "/admin/v1/budgets/acme-daily",
                "{\"scope\":\"team\",\"scope_id\":\"acme\",\"period\":\"day\",\"limit\":\"75\"}");
        assertThat(replaced.status).isEqualTo(200);
        assertThat(replaced.json().get("limit").asText()).isEqualTo("75");
        assertThat(replaced.json().get("action").asText()).isEqualTo("deny");
        assertThat(send("GET", "/admin/v1/budgets/acme-daily", null).json().get("limit").asText()).isEqualTo("75");
        Reply otherId = send("PUT", "/admin/v1/budgets/acme-daily",
                "{\"id\":\"other\",\"scope\":\"global\",\"period\":\"day\",\"limit\":\"1\"}");
        assertThat(otherId.status).isEqualTo(400);
        assertThat(otherId.json().at("/error/param").asText()).isEqualTo("id");
        Reply missing = send("PUT", "/admin/v1/budgets/nope", "{\"scope\":\"global\",\"period\":\"day\",\"limit\":\"1\"}");
        assertThat(missing.status).isEqualTo(404);
        assertThat(missing.json().at("/error/code").asText()).isEqualTo("budget_not_found");

        Reply deleted = send("DELETE", "/admin/v1/budgets/acme-daily", null);
        assertThat(deleted.status).isEqualTo(200);
        assertThat(deleted.json().get("deleted").asBoolean()).isTrue();
        assertThat(deleted.json().get("id").asText()).isEqualTo("acme-daily");
        assertThat(send("DELETE", "/admin/v1/budgets/acme-daily", null).status).isEqualTo(404);
        Reply gone = send("GET", "/admin/v1/budgets/acme-daily", null);
        assertThat(gone.status).isEqualTo(404);
        assertThat(gone.json().at("/error/message").asText()).contains("acme-daily");
        assertThat(gone.json().at("/error/type").asText()).isEqualTo("not_found_error");
        assertThat(send("GET", "/admin/v1/budgets", null).json().get("data")).hasSize(1);
        assertThat(registry.budgets(dev.tokenrt.budget.Scope.TEAM, "acme")).isEmpty();
    }

    // ---------------------------------------------------------------- status

    @Test
    void statusShowsTheCurrentWindowsFiguresAfterReservesAndSettles() throws Exception {
        create("{\"id\":\"acme-daily\",\"scope\":\"team\",\"scope_id\":\"acme\",\"period\":\"day\",\"limit\":\"1.00\"}");
        JsonNode s = status("acme-daily", "");
        assertThat(s).isEqualTo(JSON.readTree("""
                {"object":"budget.status","id":"acme-daily","scope":"team","scope_id":"acme","period":"day",
                 "metric":"cost_usd","action":"deny","limit":"1","used":"0","reserved":"0","remaining":"1",
                 "period_start":"2026-11-20T05:00:00Z","period_end":"2026-11-21T05:00:00Z","state":"ok"}"""));

        String h1 = reserve("acme-daily", "acme", 300_000_000L);
        String h2 = reserve("acme-daily", "acme", 123_456_789L);
        s = status("acme-daily", "");
        assertThat(List.of(s.get("used").asText(), s.get("reserved").asText(), s.get("remaining").asText()))
                .containsExactly("0", "0.423456789", "0.576543211");
        counters.settle(h1, Map.of(key("acme-daily", "acme"), 250_000_001L));
        s = status("acme-daily", "");
        assertThat(List.of(s.get("used").asText(), s.get("reserved").asText(), s.get("remaining").asText()))
                .containsExactly("0.250000001", "0.123456789", "0.62654321");
        counters.release(h2);
        s = status("acme-daily", "");
        assertThat(List.of(s.get("used").asText(), s.get("reserved").asText(), s.get("remaining").asText()))
                .containsExactly("0.250000001", "0", "0.749999999");
        assertThat(s.get("state").asText()).isEqualTo("ok");

        // The next New York day is a new window and a new counter.
        clock.set(Instant.parse("2026-11-21T05:00:00Z"));
        s = status("acme-daily", "");
        assertThat(s.get("used").asText()).isEqualTo("0");
        assertThat(s.get("period_start").asText()).isEqualTo("2026-11-21T05:00:00Z");
        assertThat(s.get("period_end").asText()).isEqualTo("2026-11-22T05:00:00Z");
        clock.set(T0);

        // Counts are integers; a total budget has no window bounds.
        create("{\"id\":\"tok\",\"scope\":\"project\",\"scope_id\":\"p1\",\"period\":\"total\",\"metric\":\"tokens\","
                + "\"limit\":1000}");
        String h3 = reserve("tok", "p1", 600);
        counters.settle(h3, Map.of(key("tok", "p1"), 420L));
        reserve("tok", "p1", 100);
        s = status("tok", "");
        assertThat(s.get("limit").asLong()).isEqualTo(1000);
        assertThat(s.get("used").isIntegralNumber()).isTrue();
        assertThat(s.get("used").asLong()).isEqualTo(420);
        assertThat(s.get("reserved").asLong()).isEqualTo(100);
        assertThat(s.get("remaining").asLong()).isEqualTo(480);
        assertThat(s.get("period_start").isNull()).isTrue();
        assertThat(s.get("period_end").isNull()).isTrue();
    }

    @Test
    void theStateFollowsTheSettledSpendThroughEachThreshold() throws Exception {
        create("{\"id\":\"g\",\"scope\":\"global\",\"period\":\"hour\",\"limit\":\"1\",\"warn_at\":\"0.8\","
                + "\"critical_at\":0.95}");
        record Step(long usedNanos, String state, String remaining) {
        }
        List<Step> steps = List.of(
                new Step(799_999_999L, "ok", "0.200000001"),
                new Step(800_000_000L, "warning", "0.2"),
                new Step(949_999_999L, "warning", "0.050000001"),
                new Step(950_000_000L, "critical", "0.05"),
                new Step(999_999_999L, "critical", "0.000000001"),
                new Step(1_000_000_000L, "exceeded", "0"),
                new Step(1_300_000_000L, "exceeded", "0"));
        long used = 0;
        List<String> seen = new ArrayList<>();
        for (Step step : steps) {
            String hold = reserve("g", "", 0);
            counters.settle(hold, Map.of(key("g", ""), step.usedNanos() - used));
            used = step.usedNanos();
            JsonNode s = status("g", "");
            assertThat(s.get("used").asText()).isEqualTo(dev.tokenrt.pricing.Money.format(used));
            assertThat(s.get("remaining").asText()).as("remaining at %d", used).isEqualTo(step.remaining());
            seen.add(s.get("state").asText());
        }
        assertThat(seen).containsExactly(steps.stream().map(Step::state).toArray(String[]::new));
        assertThat(status("g", "").get("period_start").asText()).isEqualTo("2026-11-20T10:00:00Z");

        // A hold alone does not raise the state: most of it comes back.
        create("{\"id\":\"h\",\"scope\":\"global\",\"period\":\"hour\",\"limit\":\"1\"}");
        reserve("h", "", 990_000_000L);
        JsonNode held = status("h", "");
        assertThat(held.get("state").asText()).isEqualTo("ok");
        assertThat(held.get("remaining").asText()).isEqualTo("0.01");
    }

    @Test
    void aPerMemberBudgetsStatusIsOneMembersAndNeedsTheMember() throws Exception {
        create("{\"id\":\"each-user\",\"scope\":\"user\",\"scope_id\":\"*\",\"period\":\"minute\",\"metric\":\"requests\","
                + "\"limit\":10,\"action\":\"throttle\"}");
        for (int i = 0; i < 3; i++) {
            counters.settle(reserve("each-user", "bob", 1), Map.of(key("each-user", "bob"), 1L));
        }
        counters.settle(reserve("each-user", "carol", 1), Map.of(key("each-user", "carol"), 1L));

        JsonNode bob = status("each-user", "bob");
        assertThat(bob.get("scope_id").asText()).isEqualTo("*");
        assertThat(bob.get("member").asText()).isEqualTo("bob");
        assertThat(bob.get("used").asLong()).isEqualTo(3);
        assertThat(bob.get("remaining").asLong()).isEqualTo(7);
        assertThat(bob.get("period_start").asText()).isEqualTo("2026-11-20T10:00:00Z");
        assertThat(bob.get("period_end").asText()).isEqualTo("2026-11-20T10:01:00Z");
        assertThat(status("each-user", "carol").get("used").asLong()).isEqualTo(1);
        assertThat(status("each-user", "dave").get("used").asLong()).isZero();

        Reply noMember = send("GET", "/admin/v1/budgets/each-user/status", null);
        assertThat(noMember.status).isEqualTo(400);
        assertThat(noMember.json().at("/error/param").asText()).isEqualTo("member");
        assertThat(noMember.json().at("/error/message").asText()).contains("?member=");
        Reply blank = send("GET", "/admin/v1/budgets/each-user/status?member=%20", null);
        assertThat(blank.status).isEqualTo(400);

        create("{\"id\":\"acme\",\"scope\":\"team\",\"scope_id\":\"acme\",\"period\":\"day\",\"limit\":\"1\"}");
        Reply notPerMember = send("GET", "/admin/v1/budgets/acme/status?member=bob", null);
        assertThat(notPerMember.status).isEqualTo(400);
        assertThat(notPerMember.json().at("/error/param").asText()).isEqualTo("member");
        Reply unknown = send("GET", "/admin/v1/budgets/nope/status", null);
        assertThat(unknown.status).isEqualTo(404);
        assertThat(unknown.json().at("/error/param").asText()).isEqualTo("id");
    }

    // ---------------------------------------------------------------- the key holder's view

    @Test
    void aKeySeesEveryBudgetItsRequestsAreHeldTo() throws Exception {
        create("{\"id\":\"everyone\",\"scope\":\"global\",\"period\":\"month\",\"limit\":\"1000\",\"action\":\"allow\"}");
        create("{\"id\":\"acme-daily\",\"scope\":\"team\",\"scope_id\":\"acme\",\"period\":\"day\",\"limit\":\"50\"}");
        create("{\"id\":\"globex-daily\",\"scope\":\"team\",\"scope_id\":\"globex\",\"period\":\"day\",\"limit\":\"5\"}");
        create("{\"id\":\"each-user\",\"scope\":\"user\",\"scope_id\":\"*\",\"period\":\"day\",\"limit\":\"5\"}");
        IssuedKey issued = keys.issue(NewKey.named("ci").withUser("bob").withTeam("acme").withTier("free")
                .withBudgets("[{\"period\":\"day\",\"limit\":\"2.50\"}]"), T0);
        String keyId = issued.key().id();
        counters.settle(reserve("each-user", "bob", 0), Map.of(key("each-user", "bob"), 4_000_000_000L));
        Applicable own = new Applicable(Budget.of("key:" + keyId + ":cost_usd:day", dev.tokenrt.budget.Scope.KEY,
                keyId, dev.tokenrt.budget.Period.DAY, dev.tokenrt.budget.Metric.COST_USD, 2_500_000_000L,
                dev.tokenrt.budget.Action.DENY), keyId);
        counters.settle(hold(own, 0), Map.of(counterKey(own), 2_400_000_000L));

        Reply r = send("GET", "/v1/tokenrt/budget", null, "Bearer " + issued.secret(),
                Map.of("x-tokenrt-session", "s-1"));
        assertThat(r.status).isEqualTo(200);
        JsonNode out = r.json();
        assertThat(out.get("key_id").asText()).isEqualTo(keyId);
        assertThat(out.get("data")).extracting(n -> n.get("id").asText()).containsExactly("everyone", "acme-daily",
                "each-user", "key:" + keyId + ":cost_usd:day", "tier:free:" + keyId);
        JsonNode each = out.get("data").get(2);
        assertThat(each.get("member").asText()).isEqualTo("bob");
        assertThat(each.get("used").asText()).isEqualTo("4");
        assertThat(each.get("state").asText()).isEqualTo("warning");
        JsonNode mine = out.get("data").get(3);
        assertThat(mine.get("scope").asText()).isEqualTo("key");
        assertThat(mine.get("scope_id").asText()).isEqualTo(keyId);
        assertThat(mine.get("limit").asText()).isEqualTo("2.5");
        assertThat(mine.get("used").asText()).isEqualTo("2.4");
        assertThat(mine.get("remaining").asText()).isEqualTo("0.1");
        assertThat(mine.get("state").asText()).isEqualTo("critical");
        assertThat(out.get("data").get(4).get("limit").asText()).isEqualTo("2");
        assertThat(send("GET", "/v1/tokenrt/budget", null, "Bearer sk-tr-wrong", Map.of()).status).isEqualTo(401);
    }

    // ---------------------------------------------------------------- errors

    @Test
    void invalidBodiesAreOpenAiStyle400sNamingTheField() throws Exception {
        record Case(String body, String param, String code) {
        }
        String base = "\"scope\":\"team\",\"scope_id\":\"acme\",\"period\":\"day\"";
        List<Case> cases = List.of(
                new Case("not json", null, "invalid_json"),
                new Case("[]", null, "invalid_json"),
                new Case("{" + base + "}", "limit", "invalid_value"),
                new Case("{" + base + ",\"limit\":\"0.0000000001\"}", "limit", "invalid_value"),
                new Case("{" + base + ",\"limit\":\"abc\"}", "limit", "invalid_value"),
                new Case("{" + base + ",\"metric\":\"tokens\",\"limit\":2.5}", "limit", "invalid_value"),
                new Case("{\"scope\":\"team\",\"period\":\"day\",\"limit\":\"1\"}", "scope_id", "invalid_value"),
                new Case("{\"scope\":\"org\",\"scope_id\":\"x\",\"period\":\"day\",\"limit\":\"1\"}", "scope",
                        "invalid_value"),
                new Case("{\"scope_id\":\"x\",\"period\":\"day\",\"limit\":\"1\"}", "scope", "invalid_value"),
                new Case("{" + base.replace("day", "year") + ",\"limit\":\"1\"}", "period", "invalid_value"),
                new Case("{" + base + ",\"metric\":\"euros\",\"limit\":\"1\"}", "metric", "invalid_value"),
                new Case("{" + base + ",\"limit\":\"1\",\"warn_at\":1.5}", "warn_at", "invalid_value"),
                new Case("{" + base + ",\"limit\":\"1\",\"critical_at\":-1}", "critical_at", "invalid_value"),
                new Case("{" + base + ",\"limit\":\"1\",\"action\":\"degrade\"}", "degrade_to", "invalid_value"),
                new Case("{" + base + ",\"limit\":\"1\",\"action\":\"nap\"}", "action", "invalid_value"),
                new Case("{" + base + ",\"limit\":\"1\",\"id\":\"a b\"}", "id", "invalid_value"),
                new Case("{" + base + ",\"limit\":\"1\",\"limit_usd\":\"1\"}", "limit_usd", "unknown_parameter"));
        for (Case c : cases) {
            Reply r = send("POST", "/admin/v1/budgets", c.body);
            assertThat(r.status).as(c.body).isEqualTo(400);
            JsonNode e = r.json().get("error");
            assertThat(e.get("type").asText()).as(c.body).isEqualTo("invalid_request_error");
            assertThat(e.get("code").asText()).as(c.body).isEqualTo(c.code);
            if (c.param == null) {
                assertThat(e.get("param").isNull()).as(c.body).isTrue();
            } else {
                assertThat(e.get("param").asText()).as(c.body).isEqualTo(c.param);
                assertThat(e.get("message").asText()).as(c.body).contains(c.param);
            }
        }
        assertThat(send("GET", "/admin/v1/budgets", null).json().get("data")).isEmpty();
    }

    @Test
    void anUnavailableRegistryIs503() throws Exception {
        create("{\"id\":\"g\",\"scope\":\"global\",\"period\":\"day\",\"limit\":\"1\"}");
        registry.close();
        for (Reply r : List.of(send("GET", "/admin/v1/budgets", null), send("GET", "/admin/v1/budgets/g", null),
                send("GET", "/admin/v1/budgets/g/status", null), send("DELETE", "/admin/v1/budgets/g", null),
                send("POST", "/admin/v1/budgets", "{\"scope\":\"global\",\"period\":\"day\",\"limit\":\"1\"}"))) {
            assertThat(r.status).isEqualTo(503);
            assertThat(r.json().at("/error/code").asText()).isEqualTo("budget_store_unavailable");
        }
    }

    // ---------------------------------------------------------------- plumbing

    private void create(String json) throws Exception {
        Reply r = send("POST", "/admin/v1/budgets", json);
        assertThat(r.status).as(r.body).isEqualTo(201);
    }

    private JsonNode status(String id, String member) throws Exception {
        String q = member.isEmpty() ? "" : "?member=" + URLEncoder.encode(member, StandardCharsets.UTF_8);
        Reply r = send("GET", "/admin/v1/budgets/" + id + "/status" + q, null);
        assertThat(r.status).as(r.body).isEqualTo(200);
        return r.json();
    }

    /** The counter the budget step charges for this budget and member now. */
    private String key(String budgetId, String member) {
        return counterKey(new Applicable(registry.get(budgetId).orElseThrow(), member));
    }

    private String counterKey(Applicable a) {
        Window w = a.budget().period().window(clock.instant(), ZONE);
        return BudgetStep.counterKey(a, w);
    }

    /** Holds {@code amount} on the budget's counter, as the budget step's reserve does; the hold's id. */
    private String reserve(String budgetId, String member, long amount) {
        return hold(new Applicable(registry.get(budgetId).orElseThrow(), member), amount);
    }

    private String hold(Applicable a, long amount) {
        Window w = a.budget().period().window(clock.instant(), ZONE);
        String id = "hold-" + holds.incrementAndGet();
        Reservation r = counters.reserve(id, List.of(new Hold(counterKey(a), Long.MAX_VALUE, amount,
                w.isForever() ? Instant.MAX : w.end())), Duration.ofMinutes(15));
        assertThat(r).isInstanceOf(Reservation.Granted.class);
        return id;
    }

    record Reply(int status, String body) {
        JsonNode json() throws IOException {
            return JSON.readTree(body);
        }
    }

    Reply send(String method, String path, String body) throws IOException, InterruptedException {
        return send(method, path, body, null, Map.of());
    }

    Reply send(String method, String path, String body, String authorization, Map<String, String> headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (body != null) {
            b.header("content-type", "application/json");
        }
        if (authorization != null) {
            b.header("authorization", authorization);
        }
        headers.forEach(b::header);
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        return new Reply(r.statusCode(), r.body());
    }
}
