package dev.tokenrt.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.tokenrt.pipeline.RetryPolicy;
import dev.tokenrt.provider.fake.FakeProvider;
import dev.tokenrt.pipeline.Router;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Everything the gateway needs to start, immutable once loaded. With no file it is built from the
 * environment exactly as the providers' SDKs read it ({@code OPENAI_API_KEY}/{@code OPENAI_BASE_URL},
 * {@code ANTHROPIC_API_KEY}/{@code ANTHROPIC_BASE_URL}, {@code GEMINI_API_KEY}/{@code GEMINI_BASE_URL}); with
 * no provider at all the built-in {@code fake} provider serves.
 *
 * <p>The YAML file may refer to the environment as {@code ${NAME}} or {@code ${NAME:-default}}, which is how
 * secrets stay out of it. Errors name the offending path ({@code providers[1].kind}).
 *
 * @param host          address to bind
 * @param port          port to bind
 * @param maxBodyBytes  requests larger than this get 413
 * @param masterKey     the admin key, accepted as a Bearer key on every route
 * @param databaseUrl   JDBC URL of the ledger ({@code jdbc:sqlite:…} or {@code jdbc:postgresql:…})
 * @param providers     upstreams by name, in configuration order
 * @param models        model names (aliases included) to ordered targets; later targets are fallbacks
 * @param fake          how the built-in fake provider behaves (first-byte latency, stream speed, answer length):
 *                      {@code TOKENRT_FAKE_FIRST_BYTE_MS}, {@code TOKENRT_FAKE_TOKENS_PER_SECOND},
 *                      {@code TOKENRT_FAKE_ANSWER_TOKENS}, or the fake provider's entry in the file
 * @param budgets       budget zone, counter store (Redis from {@code TOKENRT_REDIS_URL}), failure policy, tiers,
 *                      rate limits and alert webhooks
 * @param cache         the response cache: off unless the file's {@code cache:} block or {@code TOKENRT_CACHE=on}
 *                      turns it on; its layers, isolation, TTLs and the semantic stage
 * @param bare          {@code pipeline: {bare: true}}: the pipeline reduced to routing and the provider call (no
 *                      ledger, metrics, counting, pricing, budgets or cache), so that benchmarks can show what the
 *                      steps cost; never for serving real traffic, as nothing is recorded
 * @param keyCacheTtl   {@code keys: {cache_ttl_ms: N}}: how long a virtual key found is served from memory before it
 *                      is looked up again (1 s by default; 0 looks it up on every request). A revocation through the
 *                      admin API takes effect at once on the replica that made it, on the others within this time
 */
public record GatewayConfig(String host, int port, long maxBodyBytes, Optional<String> masterKey, String databaseUrl,
        Map<String, ProviderConfig> providers, Map<String, List<Router.Target>> models, FakeProvider.Options fake,
        BudgetSettings budgets, CacheConfig cache, boolean bare, Duration keyCacheTtl) {

    public static final int DEFAULT_PORT = 4000;
    public static final long DEFAULT_MAX_BODY = 16L * 1024 * 1024;
    private static final Pattern ENV = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");
    private static final Set<String> TOP_LEVEL = Set.of("server", "master_key", "database_url", "providers", "models",
            "budgets", "tiers", "rate_limits", "alerts", "cache", "pipeline", "keys");
    /** How long a replica serves a virtual key it looked up before looking again ({@code keys.cache_ttl_ms}). */
    public static final Duration DEFAULT_KEY_CACHE_TTL = Duration.ofSeconds(1);

    public GatewayConfig {
        providers = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(providers));
        models = Map.copyOf(models);
    }

    /** The full pipeline. */
    public GatewayConfig(String host, int port, long maxBodyBytes, Optional<String> masterKey, String databaseUrl,
            Map<String, ProviderConfig> providers, Map<String, List<Router.Target>> models, FakeProvider.Options fake,
            BudgetSettings budgets, CacheConfig cache) {
        this(host, port, maxBodyBytes, masterKey, databaseUrl, providers, models, fake, budgets, cache, false,
                DEFAULT_KEY_CACHE_TTL);
    }

    /** Loads from the file if given, else from the environment alone. */
    public static GatewayConfig load(Optional<Path> file, Map<String, String> env) {
        if (file.isEmpty()) {
            return fromEnvironment(env);
        }
        Path p = file.get();
        String yaml;
        try {
            yaml = Files.readString(p);
        } catch (IOException e) {
            throw new ConfigException(p + ": cannot read: " + e.getMessage());
        }
        JsonNode root;
        try {
            root = new YAMLMapper().readTree(yaml);
        } catch (JsonProcessingException e) {
            throw new ConfigException(p + ": line " + e.getLocation().getLineNr() + ": " + e.getOriginalMessage());
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return fromEnvironment(env);
        }
        try {
            return fromTree(root, env);
        } catch (ConfigException e) {
            throw new ConfigException(p + ": " + e.getMessage());
        }
    }

    static GatewayConfig fromEnvironment(Map<String, String> env) {
        Map<String, ProviderConfig> providers = new LinkedHashMap<>();
        envProvider(env, "OPENAI", "openai", ProviderConfig.Kind.OPENAI, "https://api.openai.com/v1", providers);
        envProvider(env, "ANTHROPIC", "anthropic", ProviderConfig.Kind.ANTHROPIC, "https://api.anthropic.com", providers);
        envProvider(env, "GEMINI", "gemini", ProviderConfig.Kind.GEMINI, "https://generativelanguage.googleapis.com", providers);
        if (providers.isEmpty()) {
            providers.put("fake", fakeProvider());
        }
        return new GatewayConfig("127.0.0.1", DEFAULT_PORT, DEFAULT_MAX_BODY, nonBlank(env.get("TOKENRT_MASTER_KEY")),
                databaseUrl(env, Optional.empty()), providers, Map.of(), fakeOptions(null, "", env),
                BudgetSettings.DEFAULTS.withRedisUrl(nonBlank(env.get("TOKENRT_REDIS_URL"))),
                CacheConfig.parse(com.fasterxml.jackson.databind.node.MissingNode.getInstance(), env,
                        databaseUrl(env, Optional.empty())));
    }

    static ProviderConfig fakeProvider() {
        return new ProviderConfig("fake", ProviderConfig.Kind.FAKE, "in-process", Optional.empty(),
                ProviderConfig.Timeouts.DEFAULT, RetryPolicy.NONE);
    }

    private static void envProvider(Map<String, String> env, String prefix, String name, ProviderConfig.Kind kind,
            String defaultUrl, Map<String, ProviderConfig> out) {
        Optional<String> key = nonBlank(env.get(prefix + "_API_KEY"));
        Optional<String> url = nonBlank(env.get(prefix + "_BASE_URL"));
        if (key.isPresent() || url.isPresent()) {
            out.put(name, new ProviderConfig(name, kind, url.orElse(defaultUrl), key, ProviderConfig.Timeouts.DEFAULT,
                    RetryPolicy.DEFAULT));
        }
    }

    private static String databaseUrl(Map<String, String> env, Optional<String> fromFile) {
        Optional<String> url = nonBlank(env.get("TOKENRT_DATABASE_URL")).or(() -> fromFile);
        if (url.isPresent()) {
            return url.get();
        }
        String dir = nonBlank(env.get("TOKENRT_DATA_DIR")).orElse("./tokenrt-data");
        return "jdbc:sqlite:" + Path.of(dir).resolve("tokenrt.db");
    }

    private static GatewayConfig fromTree(JsonNode root, Map<String, String> env) {
        if (!root.isObject()) {
            throw new ConfigException("the top level must be a mapping");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!TOP_LEVEL.contains(f)) {
                throw new ConfigException("unknown key '" + f + "' (expected one of " + TOP_LEVEL + ")");
            }
        }
        JsonNode server = root.path("server");
        String host = text(server, "host", "server.host", env).orElse("127.0.0.1");
        int port = number(server, "port", "server.port", env, 1, 65535).orElse((long) DEFAULT_PORT).intValue();
        long maxBody = number(server, "max_body_bytes", "server.max_body_bytes", env, 1024, Long.MAX_VALUE)
                .orElse(DEFAULT_MAX_BODY);
        Optional<String> master = text(root, "master_key", "master_key", env).flatMap(GatewayConfig::nonBlank)
                .or(() -> nonBlank(env.get("TOKENRT_MASTER_KEY")));
        String db = databaseUrl(env, text(root, "database_url", "database_url", env));

        Map<String, ProviderConfig> providers = new LinkedHashMap<>();
        FakeProvider.Options fake = fakeOptions(null, "", env);
        JsonNode ps = root.path("providers");
        if (!ps.isMissingNode() && !ps.isArray()) {
            throw new ConfigException("providers: expected a list");
        }
        for (int i = 0; i < ps.size(); i++) {
            String at = "providers[" + i + "]";
            JsonNode p = ps.get(i);
            String name = text(p, "name", at + ".name", env).orElseThrow(() -> new ConfigException(at + ".name: required"));
            if (providers.containsKey(name)) {
                throw new ConfigException(at + ".name: duplicate provider '" + name + "'");
            }
            ProviderConfig.Kind kind;
            try {
                kind = ProviderConfig.Kind.parse(text(p, "kind", at + ".kind", env).orElse(name));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(at + ".kind: " + e.getMessage());
            }
            String url = text(p, "base_url", at + ".base_url", env).orElse(switch (kind) {
                case OPENAI -> "https://api.openai.com/v1";
                case ANTHROPIC -> "https://api.anthropic.com";
                case GEMINI -> "https://generativelanguage.googleapis.com";
                case FAKE -> "in-process";
            });
            Optional<String> key = text(p, "api_key", at + ".api_key", env).flatMap(GatewayConfig::nonBlank);
            JsonNode t = p.path("timeouts");
            ProviderConfig.Timeouts d = ProviderConfig.Timeouts.DEFAULT;
            ProviderConfig.Timeouts timeouts = new ProviderConfig.Timeouts(
                    millis(t, "connect_ms", at + ".timeouts.connect_ms", env).orElse(d.connect()),
                    millis(t, "first_byte_ms", at + ".timeouts.first_byte_ms", env).orElse(d.firstByte()),
                    millis(t, "idle_ms", at + ".timeouts.idle_ms", env).orElse(d.idle()));
            JsonNode r = p.path("retries");
            RetryPolicy rd = kind == ProviderConfig.Kind.FAKE ? RetryPolicy.NONE : RetryPolicy.DEFAULT;
            RetryPolicy retry = new RetryPolicy(
                    number(r, "max", at + ".retries.max", env, 0, 10).orElse((long) rd.maxRetries()).intValue(),
                    millis(r, "base_delay_ms", at + ".retries.base_delay_ms", env).orElse(rd.baseDelay()),
                    millis(r, "max_delay_ms", at + ".retries.max_delay_ms", env).orElse(rd.maxDelay()));
            providers.put(name, new ProviderConfig(name, kind, url, key, timeouts, retry));
            if (kind == ProviderConfig.Kind.FAKE) {
                fake = fakeOptions(p, at, env);
            }
        }
        if (providers.isEmpty()) {
            providers.putAll(fromEnvironment(env).providers());
        }

        Map<String, List<Router.Target>> models = new LinkedHashMap<>();
        JsonNode ms = root.path("models");
        if (!ms.isMissingNode() && !ms.isArray()) {
            throw new ConfigException("models: expected a list");
        }
        for (int i = 0; i < ms.size(); i++) {
            String at = "models[" + i + "]";
            JsonNode m = ms.get(i);
            String name = text(m, "name", at + ".name", env).orElseThrow(() -> new ConfigException(at + ".name: required"));
            JsonNode ts = m.path("targets");
            if (!ts.isArray() || ts.isEmpty()) {
                throw new ConfigException(at + ".targets: expected a non-empty list of {provider, model}");
            }
            List<Router.Target> targets = new ArrayList<>();
            for (int j = 0; j < ts.size(); j++) {
                String tat = at + ".targets[" + j + "]";
                String prov = text(ts.get(j), "provider", tat + ".provider", env)
                        .orElseThrow(() -> new ConfigException(tat + ".provider: required"));
                if (!providers.containsKey(prov)) {
                    throw new ConfigException(tat + ".provider: no provider named '" + prov + "' (configured: "
                            + providers.keySet() + ")");
                }
                targets.add(new Router.Target(prov, text(ts.get(j), "model", tat + ".model", env).orElse(name)));
            }
            models.put(name, List.copyOf(targets));
        }
        JsonNode pipeline = root.path("pipeline");
        String bare = text(pipeline, "bare", "pipeline.bare", env).orElse("false");
        if (!bare.equals("true") && !bare.equals("false")) {
            throw new ConfigException("pipeline.bare: expected true or false, got '" + bare + "'");
        }
        JsonNode keys = root.path("keys");
        if (!keys.isMissingNode() && !keys.isObject()) {
            throw new ConfigException("keys: expected a mapping");
        }
        for (Iterator<String> it = keys.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!f.equals("cache_ttl_ms")) {
                throw new ConfigException("keys: unknown key '" + f + "' (expected cache_ttl_ms)");
            }
        }
        Duration keyCacheTtl = millis(keys, "cache_ttl_ms", "keys.cache_ttl_ms", env).orElse(DEFAULT_KEY_CACHE_TTL);
        return new GatewayConfig(host, port, maxBody, master, db, providers, models, fake, budgetSettings(root, env),
                CacheConfig.parse(root.path("cache"), env, db), bare.equals("true"), keyCacheTtl);
    }

    private static BudgetSettings budgetSettings(JsonNode root, Map<String, String> env) {
        JsonNode b = root.path("budgets");
        java.time.ZoneId zone;
        String z = text(b, "time_zone", "budgets.time_zone", env).orElse("UTC");
        try {
            zone = java.time.ZoneId.of(z);
        } catch (java.time.DateTimeException e) {
            throw new ConfigException("budgets.time_zone: unknown time zone '" + z + "'");
        }
        Optional<String> redis = text(b, "redis_url", "budgets.redis_url", env).flatMap(GatewayConfig::nonBlank)
                .or(() -> nonBlank(env.get("TOKENRT_REDIS_URL")));
        String policy = text(b, "on_store_failure", "budgets.on_store_failure", env).orElse("fail_closed");
        if (!policy.equals("fail_closed") && !policy.equals("fail_open")) {
            throw new ConfigException("budgets.on_store_failure: expected fail_closed or fail_open, got '" + policy + "'");
        }
        java.time.Duration queue = millis(b, "queue_max_wait_ms", "budgets.queue_max_wait_ms", env)
                .orElse(BudgetSettings.DEFAULTS.queueMaxWait());
        List<java.net.URI> hooks = new ArrayList<>();
        JsonNode hs = root.path("alerts").path("webhooks");
        for (int i = 0; i < hs.size(); i++) {
            String at = "alerts.webhooks[" + i + "]";
            String u = substitute(hs.get(i).asText(), at, env);
            try {
                java.net.URI uri = java.net.URI.create(u);
                if (uri.getScheme() == null || !uri.getScheme().startsWith("http")) {
                    throw new IllegalArgumentException("not http(s)");
                }
                hooks.add(uri);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(at + ": not an http(s) URL");
            }
        }
        Map<String, dev.tokenrt.budget.Tier> tiers = new LinkedHashMap<>();
        JsonNode ts = root.path("tiers");
        for (int i = 0; i < ts.size(); i++) {
            String at = "tiers[" + i + "]";
            JsonNode t = ts.get(i);
            String name = text(t, "name", at + ".name", env).orElseThrow(() -> new ConfigException(at + ".name: required"));
            java.util.Set<String> allowed = new java.util.LinkedHashSet<>();
            t.path("models").forEach(m -> allowed.add(m.asText()));
            java.util.OptionalInt maxTokens = number(t, "max_tokens", at + ".max_tokens", env, 1, Integer.MAX_VALUE)
                    .map(v -> java.util.OptionalInt.of(v.intValue())).orElse(java.util.OptionalInt.empty());
            java.util.OptionalLong cap = text(t, "daily_cost_usd", at + ".daily_cost_usd", env).map(v -> {
                try {
                    return java.util.OptionalLong.of(dev.tokenrt.pricing.Money.parseUsd(v));
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(at + ".daily_cost_usd: " + e.getMessage());
                }
            }).orElse(java.util.OptionalLong.empty());
            dev.tokenrt.budget.Priority priority;
            try {
                priority = dev.tokenrt.budget.Priority.parse(text(t, "priority", at + ".priority", env).orElse("medium"));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(at + ".priority: " + e.getMessage());
            }
            tiers.put(name, new dev.tokenrt.budget.Tier(name, allowed, maxTokens, cap, priority));
        }
        List<dev.tokenrt.budget.RateLimit> limits = new ArrayList<>();
        JsonNode rs = root.path("rate_limits");
        if (!rs.isMissingNode() && !rs.isArray()) {
            throw new ConfigException("rate_limits: expected a list");
        }
        for (int i = 0; i < rs.size(); i++) {
            String at = "rate_limits[" + i + "]";
            try {
                limits.add(dev.tokenrt.budget.RateLimitJson.parse(substituteAll(rs.get(i), at, env), at, "rl" + i));
            } catch (dev.tokenrt.budget.BudgetJsonException e) {
                throw new ConfigException(e.param() + ": " + e.getMessage());
            } catch (IllegalArgumentException e) {
                throw new ConfigException(at + ": " + e.getMessage());
            }
        }
        List<dev.tokenrt.budget.Budget> definitions = new ArrayList<>();
        JsonNode ds = b.path("definitions");
        for (int i = 0; i < ds.size(); i++) {
            String at = "budgets.definitions[" + i + "]";
            try {
                definitions.add(dev.tokenrt.budget.BudgetJson.parse(substituteAll(ds.get(i), at, env)));
            } catch (dev.tokenrt.budget.BudgetJsonException e) {
                throw new ConfigException(at + "." + e.param() + ": " + e.getMessage());
            }
        }
        java.time.Duration holdTtl = millis(b, "hold_ttl_ms", "budgets.hold_ttl_ms", env)
                .orElse(BudgetSettings.DEFAULTS.holdTtl());
        java.time.Duration redisTimeout = number(b, "redis_timeout_ms", "budgets.redis_timeout_ms", env, 1, 60_000)
                .map(java.time.Duration::ofMillis).orElse(BudgetSettings.DEFAULTS.redisTimeout());
        java.time.Duration poolIdle = number(b, "pool_idle_ms", "budgets.pool_idle_ms", env, 1, 86_400_000L)
                .map(java.time.Duration::ofMillis).orElse(BudgetSettings.DEFAULTS.poolIdleAfter());
        String counters = text(b, "counters", "budgets.counters", env).orElse("memory");
        if (!counters.equals("memory") && !counters.equals("database")) {
            throw new ConfigException("budgets.counters: expected memory or database, got '" + counters + "'");
        }
        return new BudgetSettings(zone, redis, policy.equals("fail_open"), queue, hooks, tiers, limits, definitions,
                holdTtl, redisTimeout, poolIdle, counters.equals("database"));
    }

    /** A copy of a YAML subtree with ${ENV} substituted in every string value. */
    private static JsonNode substituteAll(JsonNode n, String at, Map<String, String> env) {
        if (n.isTextual()) {
            return com.fasterxml.jackson.databind.node.TextNode.valueOf(substitute(n.asText(), at, env));
        }
        if (n.isObject()) {
            com.fasterxml.jackson.databind.node.ObjectNode o = ((com.fasterxml.jackson.databind.node.ObjectNode) n).deepCopy();
            n.fields().forEachRemaining(e -> o.set(e.getKey(), substituteAll(e.getValue(), at + "." + e.getKey(), env)));
            return o;
        }
        return n;
    }

    /** The fake provider's behaviour: the file's entry when given, else the environment, else instant answers. */
    private static FakeProvider.Options fakeOptions(JsonNode entry, String at, Map<String, String> env) {
        FakeProvider.Options o = FakeProvider.Options.defaults();
        Optional<Long> firstByte = entry == null ? envNumber(env, "TOKENRT_FAKE_FIRST_BYTE_MS")
                : number(entry, "first_byte_ms", at + ".first_byte_ms", env, 0, 600_000);
        Optional<Long> tps = entry == null ? envNumber(env, "TOKENRT_FAKE_TOKENS_PER_SECOND")
                : number(entry, "tokens_per_second", at + ".tokens_per_second", env, 0, 1_000_000);
        Optional<Long> answer = entry == null ? envNumber(env, "TOKENRT_FAKE_ANSWER_TOKENS")
                : number(entry, "answer_tokens", at + ".answer_tokens", env, 1, 100_000);
        if (firstByte.isPresent()) {
            o = o.withFirstByteLatency(Duration.ofMillis(firstByte.get()));
        }
        if (tps.isPresent()) {
            o = o.withTokensPerSecond(tps.get().intValue());
        }
        if (answer.isPresent()) {
            o = o.withDefaultAnswerTokens(answer.get().intValue());
        }
        return o;
    }

    private static Optional<Long> envNumber(Map<String, String> env, String name) {
        Optional<String> v = nonBlank(env.get(name));
        try {
            return v.map(Long::parseLong);
        } catch (NumberFormatException e) {
            throw new ConfigException(name + ": expected a whole number, got '" + v.get() + "'");
        }
    }

    static Optional<String> text(JsonNode parent, String field, String at, Map<String, String> env) {
        JsonNode n = parent.path(field);
        if (n.isMissingNode() || n.isNull()) {
            return Optional.empty();
        }
        if (!n.isValueNode()) {
            throw new ConfigException(at + ": expected a value");
        }
        return Optional.of(substitute(n.asText(), at, env));
    }

    static Optional<Long> number(JsonNode parent, String field, String at, Map<String, String> env, long min,
            long max) {
        return text(parent, field, at, env).map(s -> {
            long v;
            try {
                v = Long.parseLong(s.trim());
            } catch (NumberFormatException e) {
                throw new ConfigException(at + ": expected a whole number, got '" + s + "'");
            }
            if (v < min || v > max) {
                throw new ConfigException(at + ": " + v + " is out of range [" + min + ", " + max + "]");
            }
            return v;
        });
    }

    static Optional<Duration> millis(JsonNode parent, String field, String at, Map<String, String> env) {
        return number(parent, field, at, env, 0, 86_400_000L).map(Duration::ofMillis);
    }

    static String substitute(String value, String at, Map<String, String> env) {
        Matcher m = ENV.matcher(value);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String v = env.get(m.group(1));
            if (v == null) {
                v = m.group(2);
            }
            if (v == null) {
                throw new ConfigException(at + ": environment variable " + m.group(1) + " is not set");
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(v));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    static Optional<String> nonBlank(String s) {
        return s == null || s.isBlank() ? Optional.empty() : Optional.of(s.trim());
    }

    /** The same configuration on another database (the ledger's, the keys', the budgets'). */
    public GatewayConfig withDatabaseUrl(String url) {
        return new GatewayConfig(host, port, maxBodyBytes, masterKey, url, providers, models, fake, budgets, cache, bare,
                keyCacheTtl);
    }

    public GatewayConfig withBudgets(BudgetSettings settings) {
        return new GatewayConfig(host, port, maxBodyBytes, masterKey, databaseUrl, providers, models, fake, settings,
                cache, bare, keyCacheTtl);
    }

    public GatewayConfig withListen(String newHost, int newPort) {
        return new GatewayConfig(newHost, newPort, maxBodyBytes, masterKey, databaseUrl, providers, models, fake, budgets,
                cache, bare, keyCacheTtl);
    }

    public GatewayConfig withCache(CacheConfig c) {
        return new GatewayConfig(host, port, maxBodyBytes, masterKey, databaseUrl, providers, models, fake, budgets, c, bare,
                keyCacheTtl);
    }

    /** The same configuration with virtual keys served from memory for {@code ttl} (zero: looked up every request). */
    public GatewayConfig withKeyCacheTtl(Duration ttl) {
        return new GatewayConfig(host, port, maxBodyBytes, masterKey, databaseUrl, providers, models, fake, budgets, cache,
                bare, ttl);
    }

    /** A configuration problem, reported before anything starts. */
    public static final class ConfigException extends RuntimeException {
        public ConfigException(String message) {
            super(message);
        }
    }
}
