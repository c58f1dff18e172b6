package dev.tokenrt.cache;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * How the response cache behaves.
 *
 * @param isolation         the boundary entries never cross (project by default)
 * @param defaultTtl        how long an answer is kept unless its namespace or the request says otherwise
 * @param ttlByNamespace    per-namespace TTLs, keyed by the full namespace ({@code project:search})
 * @param deterministicOnly cache only requests whose answer is meant to repeat: temperature 0 or a seed. A
 *                          sampled answer served twice would quietly remove the variety the caller asked for
 * @param singleFlightWait  how long an identical request waits for one already in flight before it goes
 *                          upstream itself; zero turns single flight off
 */
public record CacheSettings(Isolation isolation, Duration defaultTtl, Map<String, Duration> ttlByNamespace,
        boolean deterministicOnly, Duration singleFlightWait) {

    public static final CacheSettings DEFAULTS = new CacheSettings(Isolation.PROJECT, Duration.ofHours(1), Map.of(),
            true, Duration.ofSeconds(60));

    public CacheSettings {
        Objects.requireNonNull(isolation, "isolation");
        positive(defaultTtl, "defaultTtl");
        ttlByNamespace = Map.copyOf(ttlByNamespace);
        ttlByNamespace.forEach((ns, ttl) -> positive(ttl, "ttl of namespace " + ns));
        Objects.requireNonNull(singleFlightWait, "singleFlightWait");
        if (singleFlightWait.isNegative()) {
            throw new IllegalArgumentException("singleFlightWait cannot be negative");
        }
    }

    private static void positive(Duration d, String what) {
        Objects.requireNonNull(d, what);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, got " + d);
        }
    }

    public Duration ttl(String namespace) {
        return ttlByNamespace.getOrDefault(namespace, defaultTtl);
    }

    public CacheSettings withIsolation(Isolation i) {
        return new CacheSettings(i, defaultTtl, ttlByNamespace, deterministicOnly, singleFlightWait);
    }

    public CacheSettings withDeterministicOnly(boolean b) {
        return new CacheSettings(isolation, defaultTtl, ttlByNamespace, b, singleFlightWait);
    }

    public CacheSettings withSingleFlightWait(Duration d) {
        return new CacheSettings(isolation, defaultTtl, ttlByNamespace, deterministicOnly, d);
    }

    public CacheSettings withDefaultTtl(Duration d) {
        return new CacheSettings(isolation, d, ttlByNamespace, deterministicOnly, singleFlightWait);
    }
}
