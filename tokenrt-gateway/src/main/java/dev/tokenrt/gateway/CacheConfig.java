package dev.tokenrt.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrt.cache.CacheSettings;
import dev.tokenrt.cache.Isolation;
import dev.tokenrt.gateway.GatewayConfig.ConfigException;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The response cache's configuration ({@code cache:} in the YAML file):
 *
 * <pre>{@code
 * cache:
 *   enabled: true                 # off unless set (or TOKENRT_CACHE=on without a file)
 *   isolation: project            # key | project | team: entries never cross this boundary
 *   ttl_seconds: 3600             # default lifetime of an answer
 *   namespaces: {"project:search": {ttl_seconds: 600}}
 *   only_deterministic: true      # cache only temperature 0 or seeded requests
 *   single_flight_wait_ms: 60000  # identical requests in flight wait for the first (0: off)
 *   memory:   {enabled: true, max_mb: 256}            # L1, in process
 *   redis:    {enabled: true, url: ..., timeout_ms: 200, key_prefix: tokenrt:cache}
 *                                # L2, shared; on when a URL is known (TOKENRT_REDIS_URL)
 *   database: {enabled: false}                          # L3, the ledger's SQL database
 *   semantic: {…}                                       # see SemanticConfig
 * }</pre>
 *
 * @param enabled        whether the cache step is in the pipeline at all
 * @param settings       isolation, TTLs, determinism and single flight, as the step reads them
 * @param memoryMaxBytes the in-process layer's bound; 0 leaves the layer out
 * @param redisUrl       the shared layer's Redis, when enabled
 * @param redisTimeout   one Redis operation's bound before the layer counts as failing (a miss)
 * @param redisKeyPrefix what the layer's Redis keys start with, so deployments sharing a Redis stay apart
 * @param database       whether the SQL database is a layer too
 * @param semantic       the semantic stage ({@link SemanticConfig}); off unless {@code cache.semantic} is given
 */
public record CacheConfig(boolean enabled, CacheSettings settings, long memoryMaxBytes, Optional<String> redisUrl,
        Duration redisTimeout, String redisKeyPrefix, boolean database, SemanticConfig semantic) {

    public static final CacheConfig OFF = new CacheConfig(false, CacheSettings.DEFAULTS, 256L << 20, Optional.empty(),
            Duration.ofMillis(200), "tokenrt:cache", false, SemanticConfig.OFF);

    private static final Set<String> KEYS = Set.of("enabled", "isolation", "ttl_seconds", "namespaces",
            "only_deterministic", "single_flight_wait_ms", "memory", "redis", "database", "semantic");

    public CacheConfig {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(redisUrl, "redisUrl");
        Objects.requireNonNull(redisTimeout, "redisTimeout");
        Objects.requireNonNull(redisKeyPrefix, "redisKeyPrefix");
        Objects.requireNonNull(semantic, "semantic");
        if (memoryMaxBytes < 0) {
            throw new IllegalArgumentException("memoryMaxBytes cannot be negative");
        }
    }

    /** The memory layer only, with the given settings: what tests and the library use most. */
    public static CacheConfig memory(CacheSettings settings) {
        return new CacheConfig(true, settings, OFF.memoryMaxBytes(), Optional.empty(), OFF.redisTimeout(),
                OFF.redisKeyPrefix(), false, SemanticConfig.OFF);
    }

    public CacheConfig withSemantic(SemanticConfig s) {
        return new CacheConfig(enabled, settings, memoryMaxBytes, redisUrl, redisTimeout, redisKeyPrefix, database, s);
    }

    public CacheConfig withRedis(String url, String keyPrefix) {
        return new CacheConfig(enabled, settings, memoryMaxBytes, Optional.of(url), redisTimeout, keyPrefix, database,
                semantic);
    }

    public CacheConfig withDatabase(boolean on) {
        return new CacheConfig(enabled, settings, memoryMaxBytes, redisUrl, redisTimeout, redisKeyPrefix, on, semantic);
    }

    public CacheConfig withMemoryMaxBytes(long bytes) {
        return new CacheConfig(enabled, settings, bytes, redisUrl, redisTimeout, redisKeyPrefix, database, semantic);
    }

    static CacheConfig parse(JsonNode c, Map<String, String> env, String databaseUrl) {
        Optional<String> redisFromEnv = GatewayConfig.nonBlank(env.get("TOKENRT_REDIS_URL"));
        if (c.isMissingNode() || c.isNull()) {
            boolean on = GatewayConfig.nonBlank(env.get("TOKENRT_CACHE")).map(v -> switch (v.toLowerCase(java.util.Locale.ROOT)) {
                case "on", "true", "1", "yes" -> true;
                case "off", "false", "0", "no" -> false;
                default -> throw new ConfigException("TOKENRT_CACHE: expected on or off, got '" + v + "'");
            }).orElse(false);
            return new CacheConfig(on, CacheSettings.DEFAULTS, OFF.memoryMaxBytes(), redisFromEnv, OFF.redisTimeout(),
                    OFF.redisKeyPrefix(), false, SemanticConfig.parse(c, env, databaseUrl));
        }
        if (!c.isObject()) {
            throw new ConfigException("cache: expected a mapping");
        }
        for (Iterator<String> it = c.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!KEYS.contains(f)) {
                throw new ConfigException("cache." + f + ": unknown key (expected one of " + KEYS + ")");
            }
        }
        boolean enabled = bool(c, "enabled", "cache.enabled", env).orElse(true);
        Isolation isolation;
        try {
            isolation = Isolation.parse(GatewayConfig.text(c, "isolation", "cache.isolation", env).orElse("project"));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("cache.isolation: " + e.getMessage());
        }
        Duration ttl = GatewayConfig.number(c, "ttl_seconds", "cache.ttl_seconds", env, 1, 365L * 86_400)
                .map(Duration::ofSeconds).orElse(CacheSettings.DEFAULTS.defaultTtl());
        Map<String, Duration> byNamespace = new LinkedHashMap<>();
        JsonNode ns = c.path("namespaces");
        if (!ns.isMissingNode() && !ns.isObject()) {
            throw new ConfigException("cache.namespaces: expected a mapping of namespace to {ttl_seconds}");
        }
        ns.fields().forEachRemaining(e -> {
            String at = "cache.namespaces." + e.getKey();
            byNamespace.put(e.getKey(), GatewayConfig.number(e.getValue(), "ttl_seconds", at + ".ttl_seconds", env, 1,
                    365L * 86_400).map(Duration::ofSeconds)
                    .orElseThrow(() -> new ConfigException(at + ".ttl_seconds: required")));
        });
        boolean deterministic = bool(c, "only_deterministic", "cache.only_deterministic", env).orElse(true);
        Duration flight = GatewayConfig.millis(c, "single_flight_wait_ms", "cache.single_flight_wait_ms", env)
                .orElse(CacheSettings.DEFAULTS.singleFlightWait());
        JsonNode mem = c.path("memory");
        boolean memOn = bool(mem, "enabled", "cache.memory.enabled", env).orElse(true);
        long maxBytes = GatewayConfig.number(mem, "max_mb", "cache.memory.max_mb", env, 1, 1L << 20).orElse(256L) << 20;
        JsonNode redis = c.path("redis");
        Optional<String> url = GatewayConfig.text(redis, "url", "cache.redis.url", env).flatMap(GatewayConfig::nonBlank)
                .or(() -> redisFromEnv);
        boolean redisOn = bool(redis, "enabled", "cache.redis.enabled", env).orElse(url.isPresent());
        if (redisOn && url.isEmpty()) {
            throw new ConfigException("cache.redis.url: required when cache.redis.enabled is true (or set TOKENRT_REDIS_URL)");
        }
        Duration timeout = GatewayConfig.number(redis, "timeout_ms", "cache.redis.timeout_ms", env, 1, 60_000)
                .map(Duration::ofMillis).orElse(OFF.redisTimeout());
        String prefix = GatewayConfig.text(redis, "key_prefix", "cache.redis.key_prefix", env).orElse(OFF.redisKeyPrefix());
        if (prefix.isEmpty() || prefix.contains("{") || prefix.contains("}")) {
            throw new ConfigException("cache.redis.key_prefix: must be non-empty and without braces");
        }
        boolean db = bool(c.path("database"), "enabled", "cache.database.enabled", env).orElse(false);
        if (!memOn && !redisOn && !db && enabled) {
            throw new ConfigException("cache: every layer is off (memory, redis, database): enable one, or set enabled: false");
        }
        CacheSettings settings = new CacheSettings(isolation, ttl, byNamespace, deterministic, flight);
        return new CacheConfig(enabled, settings, memOn ? maxBytes : 0, redisOn ? url : Optional.empty(), timeout,
                prefix, db, SemanticConfig.parse(c.path("semantic"), env, databaseUrl));
    }

    static Optional<Boolean> bool(JsonNode parent, String field, String at, Map<String, String> env) {
        return GatewayConfig.text(parent, field, at, env).map(v -> switch (v.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw new ConfigException(at + ": expected true or false, got '" + v + "'");
        });
    }

    @Override
    public String toString() {
        return "CacheConfig[enabled=" + enabled + ", " + settings + ", memory=" + memoryMaxBytes + ", redis="
                + (redisUrl.isPresent() ? "<set>" : "<none>") + ", database=" + database + ", " + semantic + "]";
    }
}
