package dev.tokenrt.cache;

import java.time.Duration;

/**
 * Single flight across replicas: before a replica sends a missed request upstream it asks to lead that key's
 * flight; when another replica already leads it, this one waits for the answer to appear in the shared layer
 * instead. Implemented by the Redis layer, whose write of the answer also ends the flight. Every method may
 * fail with {@link CacheLayerException}; the cache step then simply goes upstream.
 */
public interface FlightCoordinator {

    /** True if this replica now leads the flight for {@code key} (for at most {@code ttl}); false if another does. */
    boolean tryLead(CacheKey key, Duration ttl);

    /** Whether some replica still leads the flight for {@code key}. */
    boolean inFlight(CacheKey key);

    /** Ends this replica's flight without an answer (the request failed or its answer may not be stored). */
    void release(CacheKey key);
}
