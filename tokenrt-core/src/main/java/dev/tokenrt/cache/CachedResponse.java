package dev.tokenrt.cache;

import dev.tokenrt.chat.ChatResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A response kept in the cache, with what is needed to serve it again and to account for the saving.
 *
 * @param response  the neutral response as the provider gave it, with the provider's usage (what a hit saves)
 * @param provider  the provider that produced it
 * @param model     the upstream model it was asked of (part of the key)
 * @param storedAt  when it was stored
 * @param expiresAt after this it is never served
 * @param tags      the request's tags, for invalidation by tag
 */
public record CachedResponse(ChatResponse response, String provider, String model, Instant storedAt,
        Instant expiresAt, List<String> tags) {

    public CachedResponse {
        Objects.requireNonNull(response, "response");
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(storedAt, "storedAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
        tags = List.copyOf(tags);
    }

    public boolean expiredAt(Instant now) {
        return !now.isBefore(expiresAt);
    }

    /** How old the entry is at {@code now} (never negative). */
    public Duration age(Instant now) {
        Duration d = Duration.between(storedAt, now);
        return d.isNegative() ? Duration.ZERO : d;
    }

    /** What is left of its life at {@code now} (zero once expired). */
    public Duration remaining(Instant now) {
        Duration d = Duration.between(now, expiresAt);
        return d.isNegative() ? Duration.ZERO : d;
    }
}
