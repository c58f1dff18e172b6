package dev.tokenrt.cache;

import java.time.Instant;
import java.util.Optional;

/**
 * One layer of the exact response cache. Implementations: {@link MemoryResponseCache} (in process, off the
 * heap), Redis and the SQL database ({@code tokenrt-store}); {@link LayeredResponseCache} stacks them.
 *
 * <p>A layer never serves an expired entry, never serves an entry under another namespace's key (the key
 * holds the namespace), and may forget anything at any time: a cache is an optimisation, so a layer that
 * fails throws {@link CacheLayerException} and the caller treats it as a miss.
 */
public interface ResponseCache extends AutoCloseable {

    /** {@code memory}, {@code redis}, {@code database}: for metrics and logs. */
    String name();

    /** The entry under {@code key}, unless there is none or it has expired at {@code now}. */
    Optional<CachedResponse> get(CacheKey key, Instant now);

    /** Stores (or replaces) an entry until its {@link CachedResponse#expiresAt()}. */
    void put(CacheKey key, CachedResponse value);

    /** Removes every entry {@code which} matches; returns how many (a layer that cannot count returns its best figure). */
    long invalidate(Invalidation which);

    /** Entries held, or -1 if the layer cannot tell cheaply. */
    default long size() {
        return -1;
    }

    @Override
    default void close() {
    }
}
