package dev.tokenrt.gateway;

import static dev.tokenrt.gateway.GatewayHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrt.cache.CacheSettings;
import dev.tokenrt.ledger.LedgerEntry;
import dev.tokenrt.testkit.FakeUpstream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The semantic stage of the cache over real HTTP, with its real parts: the ONNX embedders picked by language, a
 * Lucene index on disk (and, for two replicas, pgvector in PostgreSQL with the exact answers in Redis). The fixed
 * threshold is used where a test needs a hit at once; the verified policy, which serves nothing until its
 * feedback certifies a score, is shown learning from verifications.
 */
class SemanticGatewayTest {

    static final String REDIS = System.getProperty("tokenrt.test.redis", "redis://127.0.0.1:6379/0");
    static GatewayHarness fixed;
    static GatewayHarness verified;

    @BeforeAll
    static void start() throws Exception {
        Path d1 = Files.createTempDirectory("tokenrt-sem-fixed");
        fixed = new GatewayHarness(d1, FakeUpstream.Options.defaults(), "jdbc:sqlite:" + d1.resolve("t.db"),
                BudgetSettings.DEFAULTS, CacheConfig.memory(CacheSettings.DEFAULTS)
                        .withSemantic(SemanticConfig.lucene(d1.resolve("semantic")).withPolicy("fixed", 0.8)));
        Path d2 = Files.createTempDirectory("tokenrt-sem-verified");
        verified = new GatewayHarness(d2, FakeUpstream.Options.defaults(), "jdbc:sqlite:" + d2.resolve("t.db"),
                BudgetSettings.DEFAULTS, CacheConfig.memory(CacheSettings.DEFAULTS)
                        .withSemantic(SemanticConfig.lucene(d2.resolve("semantic"))));
    }

    @AfterAll
    static void stop() {
        fixed.close();
        verified.close();
    }

    static String body(String system, String question, boolean stream) {
        return "{\"model\":\"gpt-4o-mini\",\"temperature\":0,\"max_tokens\":64,\"messages\":[{\"role\":\"system\","
                + "\"content\":\"" + system + "\"},{\"role\":\"user\",\"content\":\"" + question + "\"}]"
                + (stream ? ",\"stream\":true" : "") + "}";
    }

    static HttpResponse<String> chat(GatewayHarness h, String project, String body) throws Exception {
        return h.send(h.post("/v1/chat/completions", body).header("x-tokenrt-project", project).build());
    }

    static String cacheOf(HttpResponse<String> r) {
        return r.headers().firstValue("x-tokenrt-cache").orElse("");
    }

    static String content(HttpResponse<String> r) throws Exception {
        return json(r.body()).path("choices").get(0).path("message").path("content").asText();
    }

    static String project() {
        return "sem-" + UUID.randomUUID().toString().substring(0, 8);
    }

    void drain(GatewayHarness h) {
        assertThat(h.gateway.caches().step().orElseThrow().drain(Duration.ofSeconds(10))).isTrue();
    }

    @Test
    void aParaphraseInTheSameContextIsServedTheEarlierAnswer() throws Exception {
        String p = project();
        HttpResponse<String> first = chat(fixed, p, body("Be brief.", "How do I reset my password?", false));
        assertThat(cacheOf(first)).isEqualTo("MISS");
        drain(fixed); // the entry is indexed off the request path
        HttpResponse<String> second = chat(fixed, p, body("Be brief.", "How can I reset my password?", false));
        assertThat(cacheOf(second)).isEqualTo("SEMANTIC");
        assertThat(content(second)).isEqualTo(content(first));
        assertThat(second.headers().firstValue("x-tokenrt-cost-usd")).contains("0");
        LedgerEntry row = fixed.row(second.headers().firstValue("x-tokenrt-request-id").orElseThrow());
        assertThat(row.cache()).isEqualTo(LedgerEntry.CacheOutcome.SEMANTIC);
        assertThat(row.savedCostNanos()).isPositive();
        assertThat(row.route()).startsWith("semantic:0.9");

        // The same question in another context (system prompt), another tenant, or unrelated: no semantic hit.
        assertThat(cacheOf(chat(fixed, p, body("Answer in French.", "How can I reset my password?", false))))
                .isEqualTo("MISS");
        assertThat(cacheOf(chat(fixed, project(), body("Be brief.", "How can I reset my password?", false))))
                .isEqualTo("MISS");
        assertThat(cacheOf(chat(fixed, p, body("Be brief.", "Recommend a pizza place in Naples.", false))))
                .isEqualTo("MISS");
    }

    @Test
    void aStreamingClientGetsTheSemanticHitReplayed() throws Exception {
        String p = project();
        String answer = content(chat(fixed, p, body("Be brief.", "What is the boiling point of water?", false)));
        drain(fixed);
        HttpResponse<String> s = chat(fixed, p, body("Be brief.", "At what temperature does water boil?", true));
        assertThat(cacheOf(s)).isEqualTo("SEMANTIC");
        StringBuilder text = new StringBuilder();
        for (JsonNode c : GatewayTest.sseData(s.body())) {
            for (JsonNode choice : c.path("choices")) {
                text.append(choice.path("delta").path("content").asText(""));
            }
        }
        assertThat(text.toString()).isEqualTo(answer);
    }

    @Test
    void invalidatingANamespaceEmptiesItsSemanticEntriesToo() throws Exception {
        String p = project();
        chat(fixed, p, body("Be brief.", "Where is the Eiffel Tower?", false));
        drain(fixed);
        HttpResponse<String> del = fixed.send(HttpRequest.newBuilder(URI.create(fixed.base() + "/admin/v1/cache?project=" + p))
                .header("authorization", "Bearer " + GatewayHarness.MASTER).DELETE().build());
        assertThat(json(del.body()).path("deleted").asLong()).isEqualTo(1);
        assertThat(json(del.body()).path("semantic_deleted").asLong()).isEqualTo(1);
        assertThat(cacheOf(chat(fixed, p, body("Be brief.", "In which city is the Eiffel Tower?", false)))).isEqualTo("MISS");
    }

    @Test
    void theVerifiedPolicyLearnsFromVerificationsAndReportsItself() throws Exception {
        String p = project();
        chat(verified, p, body("Be brief.", "How do I export my contacts?", false));
        drain(verified);
        HttpResponse<String> para = chat(verified, p, body("Be brief.", "How can I export my contacts?", false));
        // Nothing is certified yet: the would-be hit goes upstream and its answer is compared with the cached one.
        assertThat(cacheOf(para)).isEqualTo("MISS");
        LedgerEntry row = verified.row(para.headers().firstValue("x-tokenrt-request-id").orElseThrow());
        assertThat(row.route()).startsWith("semantic_verify:");
        drain(verified);
        JsonNode status = json(verified.send(HttpRequest.newBuilder(URI.create(verified.base() + "/admin/v1/cache"))
                .header("authorization", "Bearer " + GatewayHarness.MASTER).GET().build()).body());
        JsonNode sem = status.path("semantic");
        assertThat(sem.path("embedder").asText()).startsWith("by-language");
        assertThat(sem.path("index").asText()).isEqualTo("lucene");
        assertThat(sem.path("policy").asText()).startsWith("verified");
        assertThat(sem.path("verifications").asLong()).isGreaterThanOrEqualTo(1);
        assertThat(sem.path("served").asLong()).isZero();
        assertThat(sem.path("entries").asLong()).isGreaterThanOrEqualTo(2);
    }

    /** Two replicas: exact answers in Redis, vectors in pgvector; what one stores the other finds by meaning. */
    @Test
    void twoReplicasShareTheSemanticIndexInPostgres() throws Exception {
        String admin = System.getProperty("tokenrt.pg.admin", "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres");
        String db = "tokenrt_sem_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = DriverManager.getConnection(admin); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + db);
        }
        String url = "jdbc:postgresql://127.0.0.1:5432/" + db + "?user=postgres";
        String prefix = "test:semgw:" + UUID.randomUUID();
        SemanticConfig pg = new SemanticConfig(true, "auto", java.util.Optional.empty(), java.util.Optional.empty(),
                "pgvector", Path.of("unused"), java.util.Optional.of(url), "fixed", 0.8, 0.01, 0.03, 0.02);
        CacheConfig cache = CacheConfig.memory(CacheSettings.DEFAULTS).withRedis(REDIS, prefix).withSemantic(pg);
        Path d1 = Files.createTempDirectory("tokenrt-sem-r1");
        Path d2 = Files.createTempDirectory("tokenrt-sem-r2");
        try (GatewayHarness one = new GatewayHarness(d1, FakeUpstream.Options.defaults(), url, BudgetSettings.DEFAULTS, cache);
                GatewayHarness two = new GatewayHarness(d2, FakeUpstream.Options.defaults(), url, BudgetSettings.DEFAULTS,
                        cache)) {
            String p = project();
            HttpResponse<String> first = chat(one, p, body("Be brief.", "How do I cancel my subscription?", false));
            drain(one);
            HttpResponse<String> onTwo = chat(two, p, body("Be brief.", "How can I cancel my subscription?", false));
            assertThat(cacheOf(onTwo)).isEqualTo("SEMANTIC");
            assertThat(content(onTwo)).isEqualTo(content(first));
        } finally {
            try (Connection c = DriverManager.getConnection(admin); Statement s = c.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
            }
        }
    }

    /** A remote embeddings model through the gateway's own provider: each call is priced and recorded. */
    @Test
    void aRemoteEmbedderIsReachedThroughAProviderAndItsCallsAreRecorded() throws Exception {
        Path d = Files.createTempDirectory("tokenrt-sem-remote");
        SemanticConfig remote = new SemanticConfig(true, "remote", java.util.Optional.of("openai"),
                java.util.Optional.of("text-embedding-3-small"), "lucene", d.resolve("semantic"), java.util.Optional.empty(),
                "verified", 0.8, 0.01, 0.03, 0.02);
        try (GatewayHarness h = new GatewayHarness(d, FakeUpstream.Options.defaults(), "jdbc:sqlite:" + d.resolve("t.db"),
                BudgetSettings.DEFAULTS, CacheConfig.memory(CacheSettings.DEFAULTS).withSemantic(remote))) {
            long before = h.upstream.requestCount(dev.tokenrt.testkit.Route.OPENAI_EMBEDDINGS);
            HttpResponse<String> r = chat(h, project(), body("Be brief.", "How do I rotate an API key?", false));
            assertThat(r.statusCode()).isEqualTo(200);
            drain(h);
            // One embedding to look up, one to index the new entry.
            assertThat(h.upstream.requestCount(dev.tokenrt.testkit.Route.OPENAI_EMBEDDINGS) - before).isEqualTo(2);
            h.ledger.flush(Duration.ofSeconds(5));
            JsonNode usage = json(h.send(HttpRequest.newBuilder(URI.create(h.base() + "/admin/v1/usage?group_by=model"))
                    .header("authorization", "Bearer " + GatewayHarness.MASTER).GET().build()).body());
            JsonNode embeddingRow = null;
            for (JsonNode row : usage.path("rows")) {
                if (row.path("model").asText().equals("text-embedding-3-small")) {
                    embeddingRow = row;
                }
            }
            assertThat(embeddingRow).isNotNull();
            assertThat(embeddingRow.path("requests").asLong()).isEqualTo(2);
            assertThat(embeddingRow.path("input_tokens").asLong()).isPositive();
            assertThat(new java.math.BigDecimal(embeddingRow.path("cost_usd").asText())).isPositive();
        }
    }

    /**
     * What the verified policy learnt survives a restart: a state saved in the database (here made by a policy
     * trained on a simulated stream where every candidate from 0.9 up is right) is restored at start, so the
     * restarted gateway serves a paraphrase at once instead of verifying its way up again; closing saves it back.
     */
    @Test
    void aRestartedGatewayKeepsWhatItsPolicyLearnt() throws Exception {
        Path d = Files.createTempDirectory("tokenrt-sem-restart");
        String db = "jdbc:sqlite:" + d.resolve("t.db");
        dev.tokenrt.cache.semantic.VerifiedPolicy trained = new dev.tokenrt.cache.semantic.VerifiedPolicy(
                dev.tokenrt.cache.semantic.VerifiedPolicy.Settings.DEFAULT, new java.util.SplittableRandom(7));
        java.util.SplittableRandom r = new java.util.SplittableRandom(11);
        for (int i = 0; i < 6_000; i++) {
            var c = new dev.tokenrt.cache.semantic.SemanticPolicy.Candidate((float) (0.4 + 0.6 * r.nextDouble()), 0f);
            boolean wrong = c.similarity() < 0.9 && r.nextDouble() < (0.9 - c.similarity()) * 2;
            var decision = trained.decide(c);
            if (decision.wantsFeedback()) {
                trained.feedback(c, decision, !wrong);
            }
        }
        assertThat(trained.threshold()).isPresent();
        String key = "by-language(all-minilm-l6-v2-q,bge-small-zh-v1.5-q)|" + trained.stateKey();
        try (dev.tokenrt.store.cache.JdbcPolicyStates states = dev.tokenrt.store.cache.JdbcPolicyStates.open(db)) {
            states.save(key, trained.snapshot().toBytes(), java.time.Instant.now());
        }
        CacheConfig cache = CacheConfig.memory(CacheSettings.DEFAULTS).withSemantic(SemanticConfig.lucene(d.resolve("semantic")));
        String p = project();
        try (GatewayHarness h = new GatewayHarness(d, FakeUpstream.Options.defaults(), db, BudgetSettings.DEFAULTS, cache)) {
            HttpResponse<String> first = chat(h, p, body("Be brief.", "How do I delete my account?", false));
            drain(h);
            int semantic = 0;
            for (String q : new String[] {"How can I delete my account?", "How do I delete my account please?",
                "What do I do to delete my account?"}) {
                HttpResponse<String> again = chat(h, p, body("Be brief.", q, false));
                if (cacheOf(again).equals("SEMANTIC")) {
                    semantic++;
                    assertThat(content(again)).isEqualTo(content(first));
                }
            }
            // Without the restored state none would be served; each is audited (sent upstream) with probability 2%.
            assertThat(semantic).as("served from the restored bar").isGreaterThanOrEqualTo(1);
        }
        try (dev.tokenrt.store.cache.JdbcPolicyStates states = dev.tokenrt.store.cache.JdbcPolicyStates.open(db)) {
            var saved = dev.tokenrt.cache.semantic.VerifiedPolicy.State.fromBytes(states.load(key).orElseThrow());
            assertThat(saved.lookupScores().length).as("closing saved the lookups seen since")
                    .isGreaterThan(trained.snapshot().lookupScores().length);
        }
    }
}
