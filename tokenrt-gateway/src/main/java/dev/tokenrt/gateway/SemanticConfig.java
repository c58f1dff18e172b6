package dev.tokenrt.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrt.gateway.GatewayConfig.ConfigException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The semantic stage of the response cache ({@code cache.semantic:} in the YAML file):
 *
 * <pre>{@code
 * cache:
 *   semantic:
 *     embedder: auto                 # auto (by the text's script: bge-small-zh for Chinese/Japanese, else
 *                                    # all-MiniLM-L6-v2), all-minilm-l6-v2, bge-small-zh, or remote
 *     remote: {provider: openai, model: text-embedding-3-small}   # with embedder: remote
 *     index: lucene                  # lucene (on disk, this replica) or pgvector (shared, PostgreSQL)
 *     index_path: ./tokenrt-data/semantic
 *     index_url: jdbc:postgresql://…  # pgvector; default: the database_url when it is PostgreSQL
 *     policy: verified               # verified (calibrated to the bounds below) or fixed
 *     threshold: 0.8                 # fixed only
 *     max_false_hit_rate: 0.01       # verified: wrong hits per lookup, 95% upper bound
 *     max_wrong_share_of_hits: 0.03  # verified: wrong share of served hits, 95% upper bound
 *     audit_rate: 0.02               # verified: would-be hits sent upstream anyway to measure the achieved rate
 * }</pre>
 */
public record SemanticConfig(boolean enabled, String embedder, Optional<String> remoteProvider,
        Optional<String> remoteModel, String index, Path indexPath, Optional<String> indexUrl, String policy,
        double threshold, double maxFalseHitRate, double maxWrongShareOfHits, double auditRate) {

    public static final SemanticConfig OFF = new SemanticConfig(false, "auto", Optional.empty(), Optional.empty(),
            "lucene", Path.of("./tokenrt-data/semantic"), Optional.empty(), "verified", 0.8, 0.01, 0.03, 0.02);

    private static final Set<String> KEYS = Set.of("enabled", "embedder", "remote", "index", "index_path",
            "index_url", "policy", "threshold", "max_false_hit_rate", "max_wrong_share_of_hits", "audit_rate");

    public SemanticConfig {
        Objects.requireNonNull(embedder, "embedder");
        Objects.requireNonNull(index, "index");
        Objects.requireNonNull(indexPath, "indexPath");
        Objects.requireNonNull(policy, "policy");
    }

    /** On, in-process: the embedder by language, Lucene under {@code indexPath}, the verified policy. */
    public static SemanticConfig lucene(Path indexPath) {
        return new SemanticConfig(true, "auto", Optional.empty(), Optional.empty(), "lucene", indexPath,
                Optional.empty(), "verified", 0.8, 0.01, 0.03, 0.02);
    }

    public SemanticConfig withPolicy(String p, double fixedThreshold) {
        return new SemanticConfig(enabled, embedder, remoteProvider, remoteModel, index, indexPath, indexUrl, p,
                fixedThreshold, maxFalseHitRate, maxWrongShareOfHits, auditRate);
    }

    static SemanticConfig parse(JsonNode s, Map<String, String> env, String databaseUrl) {
        Path defaultPath = Path.of(GatewayConfig.nonBlank(env.get("TOKENRT_DATA_DIR")).orElse("./tokenrt-data"))
                .resolve("semantic");
        if (s.isMissingNode() || s.isNull()) {
            return new SemanticConfig(false, OFF.embedder(), Optional.empty(), Optional.empty(), OFF.index(), defaultPath,
                    Optional.empty(), OFF.policy(), OFF.threshold(), OFF.maxFalseHitRate(), OFF.maxWrongShareOfHits(),
                    OFF.auditRate());
        }
        if (!s.isObject()) {
            throw new ConfigException("cache.semantic: expected a mapping");
        }
        for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!KEYS.contains(f)) {
                throw new ConfigException("cache.semantic." + f + ": unknown key (expected one of " + KEYS + ")");
            }
        }
        boolean enabled = CacheConfig.bool(s, "enabled", "cache.semantic.enabled", env).orElse(true);
        String embedder = GatewayConfig.text(s, "embedder", "cache.semantic.embedder", env).orElse("auto")
                .toLowerCase(Locale.ROOT);
        if (!Set.of("auto", "all-minilm-l6-v2", "all-minilm-l6-v2-q", "bge-small-zh", "bge-small-zh-v1.5-q", "remote")
                .contains(embedder)) {
            throw new ConfigException("cache.semantic.embedder: expected auto, all-minilm-l6-v2, bge-small-zh or remote, "
                    + "got '" + embedder + "'");
        }
        JsonNode remote = s.path("remote");
        Optional<String> provider = GatewayConfig.text(remote, "provider", "cache.semantic.remote.provider", env);
        Optional<String> model = GatewayConfig.text(remote, "model", "cache.semantic.remote.model", env);
        if (embedder.equals("remote") && (provider.isEmpty() || model.isEmpty())) {
            throw new ConfigException("cache.semantic.remote: embedder remote needs {provider, model}, e.g. "
                    + "{provider: openai, model: text-embedding-3-small}");
        }
        String index = GatewayConfig.text(s, "index", "cache.semantic.index", env).orElse("lucene").toLowerCase(Locale.ROOT);
        if (!index.equals("lucene") && !index.equals("pgvector")) {
            throw new ConfigException("cache.semantic.index: expected lucene or pgvector, got '" + index + "'");
        }
        Path path = GatewayConfig.text(s, "index_path", "cache.semantic.index_path", env).map(Path::of).orElse(defaultPath);
        Optional<String> url = GatewayConfig.text(s, "index_url", "cache.semantic.index_url", env)
                .flatMap(GatewayConfig::nonBlank)
                .or(() -> databaseUrl.startsWith("jdbc:postgresql:") ? Optional.of(databaseUrl) : Optional.empty());
        if (index.equals("pgvector") && url.isEmpty()) {
            throw new ConfigException("cache.semantic.index_url: pgvector needs a PostgreSQL URL (or a PostgreSQL "
                    + "database_url)");
        }
        String policy = GatewayConfig.text(s, "policy", "cache.semantic.policy", env).orElse("verified")
                .toLowerCase(Locale.ROOT);
        if (!policy.equals("verified") && !policy.equals("fixed")) {
            throw new ConfigException("cache.semantic.policy: expected verified or fixed, got '" + policy + "'");
        }
        double threshold = fraction(s, "threshold", env, 0.8, -1, 1);
        double fhr = fraction(s, "max_false_hit_rate", env, 0.01, 0, 1);
        double wrong = fraction(s, "max_wrong_share_of_hits", env, 0.03, 0, 1);
        double audit = fraction(s, "audit_rate", env, 0.02, 0, 1);
        return new SemanticConfig(enabled, embedder, provider, model, index, path, url, policy, threshold, fhr, wrong,
                audit);
    }

    private static double fraction(JsonNode s, String field, Map<String, String> env, double dflt, double min,
            double max) {
        String at = "cache.semantic." + field;
        return GatewayConfig.text(s, field, at, env).map(v -> {
            double d;
            try {
                d = Double.parseDouble(v.trim());
            } catch (NumberFormatException e) {
                throw new ConfigException(at + ": expected a number, got '" + v + "'");
            }
            if (!(d > min && d <= max) && !(min < 0 && d >= min && d <= max)) {
                throw new ConfigException(at + ": " + d + " is out of range (" + min + ", " + max + "]");
            }
            return d;
        }).orElse(dflt);
    }

    @Override
    public String toString() {
        return "SemanticConfig[enabled=" + enabled + ", embedder=" + embedder + ", index=" + index + ", policy=" + policy
                + "]";
    }
}
