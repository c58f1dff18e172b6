package dev.tokenrt.cache;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Identical requests in flight together make one upstream call: the first to miss leads, the others wait for
 * its answer and are served it from the cache. In process only (each replica leads its own flights).
 */
final class SingleFlight {

    private final ConcurrentHashMap<CacheKey, CompletableFuture<Optional<CachedResponse>>> flights =
            new ConcurrentHashMap<>();

    /** A request's part in a flight: it leads (and must {@link Lead#finish} it) or it follows one. */
    sealed interface Role {
    }

    /** This request goes upstream; finish exactly once, with the stored answer or empty. */
    record Lead(CacheKey key, CompletableFuture<Optional<CachedResponse>> result, SingleFlight owner) implements Role {
        void finish(Optional<CachedResponse> answer) {
            owner.flights.remove(key, result);
            result.complete(answer);
        }
    }

    /** Another request with the same key is in flight. */
    record Follow(CompletableFuture<Optional<CachedResponse>> result) implements Role {
        /** The leader's answer, or empty when it failed, stored nothing, or took longer than {@code wait}. */
        Optional<CachedResponse> await(Duration wait) {
            try {
                return result.get(wait.toNanos(), TimeUnit.NANOSECONDS);
            } catch (TimeoutException | ExecutionException e) {
                return Optional.empty();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
        }
    }

    Role join(CacheKey key) {
        CompletableFuture<Optional<CachedResponse>> mine = new CompletableFuture<>();
        CompletableFuture<Optional<CachedResponse>> existing = flights.putIfAbsent(key, mine);
        return existing == null ? new Lead(key, mine, this) : new Follow(existing);
    }

    int inFlight() {
        return flights.size();
    }
}
