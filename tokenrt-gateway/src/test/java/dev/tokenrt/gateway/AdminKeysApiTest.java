package dev.tokenrt.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenrt.keys.Authentication;
import dev.tokenrt.keys.KeySecrets;
import dev.tokenrt.keys.KeyStore;
import dev.tokenrt.provider.OpenAiChatFormat;
import dev.tokenrt.store.keys.JdbcKeyStore;
import dev.tokenrt.store.ledger.LedgerOptions;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The virtual-key admin routes over real HTTP: a Vert.x server of the test's own on 127.0.0.1 routes to
 * {@link AdminKeysApi} (as GatewayServer will), over a SQLite {@link JdbcKeyStore}, with a clock the test moves.
 * Everything written to System.err (where slf4j-simple logs) during a test is captured and searched for secrets.
 */
class AdminKeysApiTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Instant T0 = Instant.parse("2026-11-20T10:00:00Z");

    @TempDir
    Path dir;

    final MovableClock clock = new MovableClock(T0);
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
    final ByteArrayOutputStream logs = new ByteArrayOutputStream();
    PrintStream originalErr;
    Vertx vertx;
    HttpServer server;
    KeyStore store;
    String base;

    @BeforeEach
    void start() throws Exception {
        originalErr = System.err;
        System.setErr(new PrintStream(new Tee(logs, originalErr), true, StandardCharsets.UTF_8));
        store = JdbcKeyStore.open("jdbc:sqlite:" + dir.resolve("tokenrt.db"), LedgerOptions.defaults());
        AdminKeysApi api = new AdminKeysApi(store, clock, new ClientFace(new OpenAiChatFormat()));
        vertx = Vertx.vertx();
        server = vertx.createHttpServer().requestHandler(req -> req.body()
                .onSuccess(body -> workers.execute(() -> route(api, req, body))));
        server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        base = "http://127.0.0.1:" + server.actualPort();
    }

    /** The routing the lead will put in GatewayServer (minus master-key authentication). */
    private static void route(AdminKeysApi api, HttpServerRequest req, Buffer body) {
        String path = req.path();
        HttpMethod m = req.method();
        String prefix = "/admin/v1/keys/";
        if (path.equals("/admin/v1/keys")) {
            if (m == HttpMethod.POST) {
                api.create(req, body);
            } else {
                api.list(req);
            }
        } else if (path.startsWith(prefix)) {
            String id = URLDecoder.decode(path.substring(prefix.length()), StandardCharsets.UTF_8);
            switch (m.name()) {
                case "GET" -> api.get(req, id);
                case "PATCH" -> api.patch(req, id, body);
                case "DELETE" -> api.delete(req, id);
                default -> req.response().setStatusCode(405).end();
            }
        } else {
            req.response().setStatusCode(404).end();
        }
    }

    @AfterEach
    void stop() throws Exception {
        try {
            server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            workers.shutdown();
            store.close();
        } finally {
            System.setErr(originalErr);
        }
    }

    // ---------------------------------------------------------------- tests

    @Test
    void createShowsTheSecretOnceAndNothingElseEverDoes() throws Exception {
        Reply created = send("POST", "/admin/v1/keys", """
                {"name":"ci bot","user":"alice","project":"search","team":"core",
                 "models":["gpt-4o-mini","fast","fast"],"tier":"gold",
                 "budgets":[{"period":"month","limit":"25.00"}],"rate_limits":[{"unit":"requests","limit":60,"per":"minute"}],
                 "expires_at":"2027-01-01T00:00:00Z"}""");
        assertThat(created.status).isEqualTo(201);
        assertThat(created.headers.firstValue("cache-control")).contains("no-store");
        JsonNode k = created.json();
        String secret = k.get("key").asText();
        String id = k.get("id").asText();
        assertThat(secret).matches("sk-tr-[0-9A-Za-z]{32}");
        assertThat(id).matches("key_[a-z2-7]{16}");
        assertThat(k.get("key_hint").asText()).isEqualTo(secret.substring(0, 10) + "…");
        assertThat(k.get("object").asText()).isEqualTo("virtual_key");
        assertThat(k.get("name").asText()).isEqualTo("ci bot");
        assertThat(k.get("user").asText()).isEqualTo("alice");
        assertThat(k.get("project").asText()).isEqualTo("search");
        assertThat(k.get("team").asText()).isEqualTo("core");
        assertThat(k.get("models")).isEqualTo(JSON.readTree("[\"gpt-4o-mini\",\"fast\"]"));
        assertThat(k.get("tier").asText()).isEqualTo("gold");
        assertThat(k.get("budgets")).isEqualTo(JSON.readTree("[{\"period\":\"month\",\"limit\":\"25.00\"}]"));
        assertThat(k.get("rate_limits")).isEqualTo(JSON.readTree("[{\"unit\":\"requests\",\"limit\":60,\"per\":\"minute\"}]"));
        assertThat(k.get("created_at").asText()).isEqualTo(T0.toString());
        assertThat(k.get("expires_at").asText()).isEqualTo("2027-01-01T00:00:00Z");
        assertThat(k.get("revoked_at").isNull()).isTrue();
        assertThat(k.get("status").asText()).isEqualTo("active");

        // The secret works, and the store has only its hash.
        assertThat(store.authenticate(secret, T0)).isInstanceOf(Authentication.Accepted.class);
        assertThat(store.findBySecretHash(KeySecrets.hash(secret)).orElseThrow().id()).isEqualTo(id);

        Reply one = send("GET", "/admin/v1/keys/" + id, null);
        assertThat(one.status).isEqualTo(200);
        assertThat(one.body).doesNotContain(secret).doesNotContain(secret.substring(6));
        assertThat(one.json().has("key")).isFalse();
        JsonNode expectedShown = k.deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) expectedShown).remove("key");
        assertThat(one.json()).isEqualTo(expectedShown);

        Reply all = send("GET", "/admin/v1/keys", null);
        assertThat(all.status).isEqualTo(200);
        assertThat(all.body).doesNotContain(secret).doesNotContain(secret.substring(6));
        assertThat(all.json().get("object").asText()).isEqualTo("list");
        assertThat(all.json().get("data")).hasSize(1);
        assertThat(all.json().get("data").get(0)).isEqualTo(expectedShown);

        Reply patched = send("PATCH", "/admin/v1/keys/" + id, "{\"name\":\"renamed\"}");
        Reply revoked = send("DELETE", "/admin/v1/keys/" + id, null);
        assertThat(patched.body + revoked.body).doesNotContain(secret.substring(6));

        String logged = logs.toString(StandardCharsets.UTF_8);
        assertThat(logged).as("the capture sees the admin log lines").contains(id + " created").contains(id + " revoked");
        assertThat(logged).doesNotContain(secret).doesNotContain(secret.substring(6))
                .doesNotContain(KeySecrets.hash(secret));
    }

    @Test
    void defaultsMakeAKeyForEveryModelThatNeverExpires() throws Exception {
        Reply created = send("POST", "/admin/v1/keys", "{}");
        assertThat(created.status).isEqualTo(201);
        JsonNode k = created.json();
        assertThat(k.get("models")).isEmpty();
        assertThat(k.get("budgets")).isEmpty();
        assertThat(k.get("expires_at").isNull()).isTrue();
        assertThat(k.get("name").asText()).isEmpty();
        Authentication a = store.authenticate(k.get("key").asText(), T0.plus(Duration.ofDays(3650)));
        assertThat(a).isInstanceOfSatisfying(Authentication.Accepted.class,
                ok -> assertThat(ok.key().allowsModel("any-model")).isTrue());
    }

    @Test
    void invalidBodiesAreOpenAiStyle400sNamingTheField() throws Exception {
        record Case(String body, String param, String code) {
        }
        List<Case> cases = List.of(
                new Case("not json", null, "invalid_json"),
                new Case("[]", null, "invalid_json"),
                new Case("{\"name\":5}", "name", "invalid_value"),
                new Case("{\"user\":{\"id\":1}}", "user", "invalid_value"),
                new Case("{\"team\":\"" + "t".repeat(257) + "\"}", "team", "invalid_value"),
                new Case("{\"models\":\"gpt-4o\"}", "models", "invalid_value"),
                new Case("{\"models\":[\"gpt-4o\",\"\"]}", "models[1]", "invalid_value"),
                new Case("{\"models\":[\"gpt-4o\",7]}", "models[1]", "invalid_value"),
                new Case("{\"budgets\":{\"limit\":\"5\"}}", "budgets", "invalid_value"),
                new Case("{\"budgets\":[{\"period\":\"day\",\"limit\":\"5\"},5]}", "budgets[1]", "invalid_value"),
                new Case("{\"budgets\":[{\"period\":\"day\",\"limit\":\"five\"}]}", "budgets[0].limit",
                        "invalid_value"),
                new Case("{\"budgets\":[{\"period\":\"day\",\"limit_usd\":\"5\"}]}", "budgets[0].limit_usd",
                        "unknown_parameter"),
                new Case("{\"budgets\":[{\"scope\":\"team\",\"period\":\"day\",\"limit\":\"5\"}]}",
                        "budgets[0].scope", "invalid_value"),
                new Case("{\"rate_limits\":\"60/min\"}", "rate_limits", "invalid_value"),
                new Case("{\"rate_limits\":[{\"rpm\":60}]}", "rate_limits[0].rpm", "unknown_parameter"),
                new Case("{\"rate_limits\":[{\"limit\":0}]}", "rate_limits[0].limit", "invalid_value"),
                new Case("{\"rate_limits\":[{\"limit\":60,\"per\":\"day\"}]}", "rate_limits[0].per",
                        "invalid_value"),
                new Case("{\"rate_limits\":[{\"limit\":60,\"subject\":\"model\"}]}", "rate_limits[0].subject",
                        "invalid_value"),
                new Case("{\"rate_limits\":[{\"limit\":60},{\"limit\":70}]}", "rate_limits[1].id",
                        "invalid_value"),
                new Case("{\"expires_at\":\"next tuesday\"}", "expires_at", "invalid_value"),
                new Case("{\"expires_at\":1767225600}", "expires_at", "invalid_value"),
                new Case("{\"expires_at\":\"2026-11-20T09:59:59Z\"}", "expires_at", "invalid_value"),
                new Case("{\"expires_at\":\"2026-11-20T10:00:00Z\"}", "expires_at", "invalid_value"),
                new Case("{\"expires_at\":\"3000-01-01\"}", "expires_at", "invalid_value"),
                new Case("{\"key\":\"sk-tr-chosenbythecaller\"}", "key", "unknown_parameter"),
                new Case("{\"budget\":[]}", "budget", "unknown_parameter"));
        for (Case c : cases) {
            Reply r = send("POST", "/admin/v1/keys", c.body);
            assertThat(r.status).as(c.body).isEqualTo(400);
            JsonNode e = r.json().get("error");
            assertThat(e.get("type").asText()).as(c.body).isEqualTo("invalid_request_error");
            assertThat(e.get("message").asText()).as(c.body).isNotBlank();
            if (c.param == null) {
                assertThat(e.get("param").isNull()).as(c.body).isTrue();
            } else {
                assertThat(e.get("param").asText()).as(c.body).isEqualTo(c.param);
                assertThat(e.get("message").asText()).as(c.body).contains(c.param.replaceAll("\\[.*", ""));
            }
            assertThat(e.get("code").asText()).as(c.body).isEqualTo(c.code);
        }
        assertThat(store.list()).as("no invalid request made a key").isEmpty();
        // A date alone is midnight UTC.
        Reply dateOnly = send("POST", "/admin/v1/keys", "{\"expires_at\":\"2026-12-01\"}");
        assertThat(dateOnly.json().get("expires_at").asText()).isEqualTo("2026-12-01T00:00:00Z");
        Reply offset = send("POST", "/admin/v1/keys", "{\"expires_at\":\"2026-12-01T02:00:00+02:00\"}");
        assertThat(offset.json().get("expires_at").asText()).isEqualTo("2026-12-01T00:00:00Z");
    }

    @Test
    void patchChangesTheGivenFieldsAndNullRemovesTheExpiry() throws Exception {
        JsonNode k = send("POST", "/admin/v1/keys", """
                {"name":"a","user":"alice","models":["fast"],"expires_at":"2026-11-20T11:00:00Z"}""").json();
        String id = k.get("id").asText();
        String secret = k.get("key").asText();

        Reply r = send("PATCH", "/admin/v1/keys/" + id, """
                {"name":"b","models":["fast","gpt-4o"],"budgets":[{"period":"day","limit":"1"}],"expires_at":null}""");
        assertThat(r.status).isEqualTo(200);
        JsonNode p = r.json();
        assertThat(p.get("name").asText()).isEqualTo("b");
        assertThat(p.get("user").asText()).isEqualTo("alice");
        assertThat(p.get("models")).isEqualTo(JSON.readTree("[\"fast\",\"gpt-4o\"]"));
        assertThat(p.get("budgets")).isEqualTo(JSON.readTree("[{\"period\":\"day\",\"limit\":\"1\"}]"));
        assertThat(p.get("expires_at").isNull()).isTrue();
        assertThat(p.get("key_hint")).isEqualTo(k.get("key_hint"));
        assertThat(p.get("created_at")).isEqualTo(k.get("created_at"));
        assertThat(send("GET", "/admin/v1/keys/" + id, null).json()).isEqualTo(p);
        clock.set(T0.plus(Duration.ofDays(30)));
        assertThat(store.authenticate(secret, clock.instant())).isInstanceOf(Authentication.Accepted.class);

        Reply expire = send("PATCH", "/admin/v1/keys/" + id, "{\"expires_at\":\"2026-12-20T10:00:01Z\"}");
        assertThat(expire.json().get("expires_at").asText()).isEqualTo("2026-12-20T10:00:01Z");
        assertThat(send("PATCH", "/admin/v1/keys/" + id, "{}").json()).isEqualTo(expire.json());

        Reply bad = send("PATCH", "/admin/v1/keys/" + id, "{\"models\":[\"fast\",null]}");
        assertThat(bad.status).isEqualTo(400);
        assertThat(bad.json().at("/error/param").asText()).isEqualTo("models[1]");
        Reply unknownField = send("PATCH", "/admin/v1/keys/" + id, "{\"id\":\"key_other\"}");
        assertThat(unknownField.status).isEqualTo(400);
        assertThat(unknownField.json().at("/error/param").asText()).isEqualTo("id");
        Reply past = send("PATCH", "/admin/v1/keys/" + id, "{\"expires_at\":\"2026-11-21T00:00:00Z\"}");
        assertThat(past.status).isEqualTo(400);
        assertThat(send("GET", "/admin/v1/keys/" + id, null).json()).isEqualTo(expire.json());

        Reply missing = send("PATCH", "/admin/v1/keys/key_aaaaaaaaaaaaaaaa", "{\"name\":\"x\"}");
        assertThat(missing.status).isEqualTo(404);
        assertThat(missing.json().at("/error/code").asText()).isEqualTo("key_not_found");
    }

    @Test
    void deleteRevokesAtOnceAndKeepsTheFirstRevocationTime() throws Exception {
        JsonNode k = send("POST", "/admin/v1/keys", "{\"name\":\"doomed\"}").json();
        String id = k.get("id").asText();
        String secret = k.get("key").asText();
        clock.set(T0.plusSeconds(90));

        Reply revoked = send("DELETE", "/admin/v1/keys/" + id, null);
        assertThat(revoked.status).isEqualTo(200);
        assertThat(revoked.json().get("status").asText()).isEqualTo("revoked");
        assertThat(revoked.json().get("revoked_at").asText()).isEqualTo(T0.plusSeconds(90).toString());
        assertThat(revoked.json().has("key")).isFalse();
        assertThat(store.authenticate(secret, clock.instant())).isInstanceOfSatisfying(Authentication.Refused.class,
                r -> assertThat(r.reason()).isEqualTo(Authentication.Reason.REVOKED));

        clock.set(T0.plusSeconds(500));
        Reply again = send("DELETE", "/admin/v1/keys/" + id, null);
        assertThat(again.status).isEqualTo(200);
        assertThat(again.json().get("revoked_at").asText()).isEqualTo(T0.plusSeconds(90).toString());
        assertThat(send("GET", "/admin/v1/keys/" + id, null).json().get("status").asText()).isEqualTo("revoked");
        assertThat(send("GET", "/admin/v1/keys", null).json().get("data").get(0).get("status").asText())
                .isEqualTo("revoked");

        Reply missing = send("DELETE", "/admin/v1/keys/key_aaaaaaaaaaaaaaaa", null);
        assertThat(missing.status).isEqualTo(404);
        assertThat(missing.json().at("/error/type").asText()).isEqualTo("not_found_error");
        assertThat(missing.json().at("/error/message").asText()).contains("key_aaaaaaaaaaaaaaaa");
    }

    @Test
    void expiredKeysShowAsExpiredAndAreRefused() throws Exception {
        JsonNode k = send("POST", "/admin/v1/keys", "{\"expires_at\":\"2026-11-20T10:01:00Z\"}").json();
        String id = k.get("id").asText();
        clock.set(Instant.parse("2026-11-20T10:00:59Z"));
        assertThat(send("GET", "/admin/v1/keys/" + id, null).json().get("status").asText()).isEqualTo("active");
        clock.set(Instant.parse("2026-11-20T10:01:00Z"));
        assertThat(send("GET", "/admin/v1/keys/" + id, null).json().get("status").asText()).isEqualTo("expired");
        assertThat(store.authenticate(k.get("key").asText(), clock.instant()))
                .isInstanceOfSatisfying(Authentication.Refused.class,
                        r -> assertThat(r.reason()).isEqualTo(Authentication.Reason.EXPIRED));
    }

    @Test
    void aSecretUsedAsAnIdIsNotEchoedBack() throws Exception {
        String secret = send("POST", "/admin/v1/keys", "{}").json().get("key").asText();
        for (String method : List.of("GET", "PATCH", "DELETE")) {
            Reply r = send(method, "/admin/v1/keys/" + secret, method.equals("PATCH") ? "{\"name\":\"x\"}" : null);
            assertThat(r.status).as(method).isEqualTo(404);
            assertThat(r.body).as(method).doesNotContain(secret.substring(6));
        }
        assertThat(store.list().get(0).revokedAt()).as("DELETE by secret revoked nothing").isEmpty();
        assertThat(logs.toString(StandardCharsets.UTF_8)).doesNotContain(secret.substring(6));
    }

    @Test
    void anUnavailableStoreIs503AndLetsNothingThrough() throws Exception {
        store.close();
        Reply create = send("POST", "/admin/v1/keys", "{}");
        assertThat(create.status).isEqualTo(503);
        assertThat(create.json().at("/error/code").asText()).isEqualTo("key_store_unavailable");
        assertThat(create.body).doesNotContain("sk-tr-");
        assertThat(send("GET", "/admin/v1/keys", null).status).isEqualTo(503);
        assertThat(send("GET", "/admin/v1/keys/key_aaaaaaaaaaaaaaaa", null).status).isEqualTo(503);
        assertThat(send("DELETE", "/admin/v1/keys/key_aaaaaaaaaaaaaaaa", null).status).isEqualTo(503);
        assertThat(logs.toString(StandardCharsets.UTF_8)).contains("key store unavailable").doesNotContain("sk-tr-");
    }

    // ---------------------------------------------------------------- plumbing

    record Reply(int status, String body, java.net.http.HttpHeaders headers) {
        JsonNode json() throws IOException {
            return JSON.readTree(body);
        }
    }

    Reply send(String method, String path, String body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (body != null) {
            b.header("content-type", "application/json");
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        return new Reply(r.statusCode(), r.body(), r.headers());
    }

    /** A clock the test moves by hand. */
    static final class MovableClock extends Clock {
        private final AtomicReference<Instant> now;

        MovableClock(Instant start) {
            now = new AtomicReference<>(start);
        }

        void set(Instant t) {
            now.set(t);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }
    }
}
