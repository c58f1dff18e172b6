package dev.tokenrt.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenrt.pipeline.Router;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GatewayConfigTest {

    @Test
    void environmentAloneAsTheSdksReadIt() {
        GatewayConfig c = GatewayConfig.load(Optional.empty(), Map.of("OPENAI_API_KEY", "sk-o", "ANTHROPIC_API_KEY", "sk-a",
                "ANTHROPIC_BASE_URL", "http://127.0.0.1:9/", "TOKENRT_DATA_DIR", "/tmp/trd", "TOKENRT_MASTER_KEY", "m"));
        assertThat(c.providers().keySet()).containsExactly("openai", "anthropic");
        assertThat(c.providers().get("openai").baseUrl()).isEqualTo("https://api.openai.com/v1");
        assertThat(c.providers().get("anthropic").baseUrl()).isEqualTo("http://127.0.0.1:9");
        assertThat(c.databaseUrl()).isEqualTo("jdbc:sqlite:/tmp/trd/tokenrt.db");
        assertThat(c.masterKey()).contains("m");
        assertThat(c.port()).isEqualTo(4000);
        assertThat(c.host()).isEqualTo("127.0.0.1");
        // A secret never shows in the configuration's text form.
        assertThat(c.providers().get("openai").toString()).doesNotContain("sk-o");
    }

    @Test
    void noProviderAtAllMeansTheBuiltInFake() {
        GatewayConfig c = GatewayConfig.load(Optional.empty(), Map.of());
        assertThat(c.providers().keySet()).containsExactly("fake");
        assertThat(c.providers().get("fake").kind()).isEqualTo(ProviderConfig.Kind.FAKE);
        assertThat(c.masterKey()).isEmpty();
        assertThat(c.databaseUrl()).isEqualTo("jdbc:sqlite:./tokenrt-data/tokenrt.db");
        assertThat(GatewayConfig.load(Optional.empty(), Map.of("TOKENRT_DATABASE_URL", "jdbc:postgresql://x/y")).databaseUrl())
                .isEqualTo("jdbc:postgresql://x/y");
    }

    @Test
    void yamlWithEnvironmentSubstitutionAliasesAndFallbacks(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("c.yaml"), """
                server: {host: 0.0.0.0, port: 4100}
                master_key: ${ADMIN_KEY}
                providers:
                  - name: openai
                    api_key: ${OPENAI_KEY}
                    timeouts: {first_byte_ms: 1500}
                    retries: {max: 1}
                  - name: local
                    kind: openai-compatible
                    base_url: ${VLLM_URL:-http://127.0.0.1:8000/v1}
                models:
                  - name: fast
                    targets:
                      - {provider: local, model: llama-3.1-8b}
                      - {provider: openai, model: gpt-4o-mini}
                """);
        GatewayConfig c = GatewayConfig.load(Optional.of(f), Map.of("ADMIN_KEY", "adm", "OPENAI_KEY", "sk-x"));
        assertThat(c.port()).isEqualTo(4100);
        assertThat(c.masterKey()).contains("adm");
        assertThat(c.providers().get("openai").apiKey()).contains("sk-x");
        assertThat(c.providers().get("openai").timeouts().firstByte().toMillis()).isEqualTo(1500);
        assertThat(c.providers().get("openai").retry().maxRetries()).isEqualTo(1);
        assertThat(c.providers().get("local").baseUrl()).isEqualTo("http://127.0.0.1:8000/v1");
        assertThat(c.models().get("fast")).containsExactly(new Router.Target("local", "llama-3.1-8b"),
                new Router.Target("openai", "gpt-4o-mini"));
    }

    @Test
    void errorsNameTheFileThePathAndTheProblem(@TempDir Path dir) throws Exception {
        Path syntax = Files.writeString(dir.resolve("s.yaml"), "providers:\n  - name: [unclosed\n");
        assertThatThrownBy(() -> GatewayConfig.load(Optional.of(syntax), Map.of()))
                .hasMessageContaining("s.yaml").hasMessageContaining("line");
        Path kind = Files.writeString(dir.resolve("k.yaml"), "providers:\n  - {name: x, kind: carrier-pigeon}\n");
        assertThatThrownBy(() -> GatewayConfig.load(Optional.of(kind), Map.of()))
                .hasMessageContaining("providers[0].kind").hasMessageContaining("carrier-pigeon");
        Path env = Files.writeString(dir.resolve("e.yaml"), "providers:\n  - {name: openai, api_key: '${MISSING_KEY}'}\n");
        assertThatThrownBy(() -> GatewayConfig.load(Optional.of(env), Map.of()))
                .hasMessageContaining("providers[0].api_key").hasMessageContaining("MISSING_KEY");
        Path target = Files.writeString(dir.resolve("t.yaml"),
                "providers:\n  - {name: openai}\nmodels:\n  - {name: m, targets: [{provider: nobody}]}\n");
        assertThatThrownBy(() -> GatewayConfig.load(Optional.of(target), Map.of()))
                .hasMessageContaining("models[0].targets[0].provider").hasMessageContaining("nobody");
        Path port = Files.writeString(dir.resolve("p.yaml"), "server: {port: 99999}\n");
        assertThatThrownBy(() -> GatewayConfig.load(Optional.of(port), Map.of())).hasMessageContaining("server.port");
        Path unknown = Files.writeString(dir.resolve("u.yaml"), "provders: []\n");
        assertThatThrownBy(() -> GatewayConfig.load(Optional.of(unknown), Map.of())).hasMessageContaining("provders");
    }

    @Test
    void theKeyCacheTtlDefaultsToASecondAndZeroTurnsItOff(@TempDir Path dir) throws Exception {
        assertThat(GatewayConfig.load(Optional.empty(), Map.of()).keyCacheTtl()).isEqualTo(java.time.Duration.ofSeconds(1));
        Path none = Files.writeString(dir.resolve("n.yaml"), "server: {port: 4100}\n");
        assertThat(GatewayConfig.load(Optional.of(none), Map.of()).keyCacheTtl()).isEqualTo(java.time.Duration.ofSeconds(1));
        Path off = Files.writeString(dir.resolve("o.yaml"), "keys: {cache_ttl_ms: 0}\n");
        assertThat(GatewayConfig.load(Optional.of(off), Map.of()).keyCacheTtl()).isZero();
        Path set = Files.writeString(dir.resolve("s.yaml"), "keys: {cache_ttl_ms: 250}\n");
        assertThat(GatewayConfig.load(Optional.of(set), Map.of()).keyCacheTtl()).isEqualTo(java.time.Duration.ofMillis(250));
        Path typo = Files.writeString(dir.resolve("t.yaml"), "keys: {cache_ttl: 250}\n");
        assertThatThrownBy(() -> GatewayConfig.load(Optional.of(typo), Map.of()))
                .hasMessageContaining("keys: unknown key 'cache_ttl'");
        Path negative = Files.writeString(dir.resolve("m.yaml"), "keys: {cache_ttl_ms: -1}\n");
        assertThatThrownBy(() -> GatewayConfig.load(Optional.of(negative), Map.of()))
                .hasMessageContaining("keys.cache_ttl_ms");
    }

    @Test
    void theRedisCounterTimeoutIsConfigurableAndBounded(@TempDir Path dir) throws Exception {
        Path none = Files.writeString(dir.resolve("n.yaml"), "budgets: {on_store_failure: fail_open}\n");
        assertThat(GatewayConfig.load(Optional.of(none), Map.of()).budgets().redisTimeout())
                .isEqualTo(BudgetSettings.DEFAULTS.redisTimeout()).isEqualTo(java.time.Duration.ofSeconds(1));
        Path set = Files.writeString(dir.resolve("s.yaml"), "budgets: {redis_timeout_ms: 1500}\n");
        assertThat(GatewayConfig.load(Optional.of(set), Map.of()).budgets().redisTimeout())
                .isEqualTo(java.time.Duration.ofMillis(1500));
        Path zero = Files.writeString(dir.resolve("z.yaml"), "budgets: {redis_timeout_ms: 0}\n");
        assertThatThrownBy(() -> GatewayConfig.load(Optional.of(zero), Map.of()))
                .hasMessageContaining("budgets.redis_timeout_ms");
    }

    @Test
    void theGatewayRefusesToStartWithoutAMasterKeyUnlessInsecureDev() {
        GatewayConfig c = GatewayConfig.load(Optional.empty(), Map.of());
        assertThatThrownBy(() -> Gateway.start(c, false)).hasMessageContaining("TOKENRT_MASTER_KEY");
    }

    @Test
    void defaultRoutesFollowTheModelFamily() {
        GatewayConfig c = GatewayConfig.load(Optional.empty(), Map.of("OPENAI_API_KEY", "k", "ANTHROPIC_API_KEY", "k"));
        var route = Gateway.defaultRoute(c, dev.tokenrt.pricing.PricingCatalog.bundled());
        assertThat(route.apply("claude-haiku-4-5")).contains(new Router.Target("anthropic", "claude-haiku-4-5"));
        assertThat(route.apply("gpt-4.1")).contains(new Router.Target("openai", "gpt-4.1"));
        assertThat(route.apply("gemini-2.5-pro")).isEmpty();
        GatewayConfig single = GatewayConfig.load(Optional.empty(), Map.of("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1"));
        assertThat(Gateway.defaultRoute(single, dev.tokenrt.pricing.PricingCatalog.bundled()).apply("llama3"))
                .contains(new Router.Target("openai", "llama3"));
    }

    @Test
    void theCacheIsOffUntilAskedForAndItsBlockIsValidated(@TempDir Path dir) throws Exception {
        assertThat(GatewayConfig.load(Optional.empty(), Map.of()).cache().enabled()).isFalse();
        GatewayConfig on = GatewayConfig.load(Optional.empty(), Map.of("TOKENRT_CACHE", "on",
                "TOKENRT_REDIS_URL", "redis://127.0.0.1:6379/0"));
        assertThat(on.cache().enabled()).isTrue();
        assertThat(on.cache().redisUrl()).contains("redis://127.0.0.1:6379/0");
        assertThat(on.cache().toString()).doesNotContain("6379");

        Path f = Files.writeString(dir.resolve("c.yaml"), """
                cache:
                  isolation: team
                  ttl_seconds: 600
                  namespaces: {"project:search": {ttl_seconds: 60}}
                  only_deterministic: false
                  single_flight_wait_ms: 0
                  memory: {max_mb: 32}
                  redis: {url: "${CACHE_REDIS}", timeout_ms: 50, key_prefix: "acme:cache"}
                  database: {enabled: true}
                """);
        CacheConfig c = GatewayConfig.load(Optional.of(f), Map.of("CACHE_REDIS", "redis://10.0.0.1:6379/2")).cache();
        assertThat(c.enabled()).isTrue();
        assertThat(c.settings().isolation()).isEqualTo(dev.tokenrt.cache.Isolation.TEAM);
        assertThat(c.settings().ttl("project:search")).isEqualTo(java.time.Duration.ofSeconds(60));
        assertThat(c.settings().ttl("project:other")).isEqualTo(java.time.Duration.ofSeconds(600));
        assertThat(c.settings().deterministicOnly()).isFalse();
        assertThat(c.settings().singleFlightWait()).isZero();
        assertThat(c.memoryMaxBytes()).isEqualTo(32L << 20);
        assertThat(c.redisUrl()).contains("redis://10.0.0.1:6379/2");
        assertThat(c.redisTimeout()).isEqualTo(java.time.Duration.ofMillis(50));
        assertThat(c.redisKeyPrefix()).isEqualTo("acme:cache");
        assertThat(c.database()).isTrue();

        Path bad = Files.writeString(dir.resolve("bad.yaml"), "cache: {isolation: tenant}\n");
        assertThatThrownBy(() -> GatewayConfig.load(Optional.of(bad), Map.of()))
                .hasMessageContaining("cache.isolation").hasMessageContaining("key, project or team");
        Path unknown = Files.writeString(dir.resolve("unknown.yaml"), "cache: {ttl: 5}\n");
        assertThatThrownBy(() -> GatewayConfig.load(Optional.of(unknown), Map.of())).hasMessageContaining("cache.ttl");
        Path noLayer = Files.writeString(dir.resolve("nolayer.yaml"), "cache: {memory: {enabled: false}}\n");
        assertThatThrownBy(() -> GatewayConfig.load(Optional.of(noLayer), Map.of())).hasMessageContaining("every layer is off");
        Path noUrl = Files.writeString(dir.resolve("nourl.yaml"), "cache: {redis: {enabled: true}}\n");
        assertThatThrownBy(() -> GatewayConfig.load(Optional.of(noUrl), Map.of())).hasMessageContaining("cache.redis.url");
    }

    @Test
    void theSemanticStageIsConfiguredUnderTheCache(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("s.yaml"), """
                database_url: jdbc:postgresql://db.internal/tokenrt?user=tr
                providers: [{name: openai, api_key: sk-x}]
                cache:
                  semantic:
                    embedder: remote
                    remote: {provider: openai, model: text-embedding-3-small}
                    index: pgvector
                    max_false_hit_rate: 0.005
                """);
        SemanticConfig s = GatewayConfig.load(Optional.of(f), Map.of()).cache().semantic();
        assertThat(s.enabled()).isTrue();
        assertThat(s.embedder()).isEqualTo("remote");
        assertThat(s.remoteProvider()).contains("openai");
        assertThat(s.indexUrl()).contains("jdbc:postgresql://db.internal/tokenrt?user=tr");
        assertThat(s.maxFalseHitRate()).isEqualTo(0.005);
        assertThat(s.policy()).isEqualTo("verified");
        assertThat(GatewayConfig.load(Optional.empty(), Map.of("TOKENRT_DATA_DIR", "/srv/tr")).cache().semantic().indexPath())
                .isEqualTo(Path.of("/srv/tr/semantic"));

        Path noUrl = Files.writeString(dir.resolve("nourl.yaml"), "cache: {semantic: {index: pgvector}}\n");
        assertThatThrownBy(() -> GatewayConfig.load(Optional.of(noUrl), Map.of()))
                .hasMessageContaining("cache.semantic.index_url");
        Path badModel = Files.writeString(dir.resolve("bad.yaml"), "cache: {semantic: {embedder: word2vec}}\n");
        assertThatThrownBy(() -> GatewayConfig.load(Optional.of(badModel), Map.of()))
                .hasMessageContaining("cache.semantic.embedder");
        Path noRemote = Files.writeString(dir.resolve("noremote.yaml"), "cache: {semantic: {embedder: remote}}\n");
        assertThatThrownBy(() -> GatewayConfig.load(Optional.of(noRemote), Map.of()))
                .hasMessageContaining("cache.semantic.remote");
        Path badRate = Files.writeString(dir.resolve("rate.yaml"), "cache: {semantic: {max_false_hit_rate: 2}}\n");
        assertThatThrownBy(() -> GatewayConfig.load(Optional.of(badRate), Map.of()))
                .hasMessageContaining("cache.semantic.max_false_hit_rate");
    }
}
