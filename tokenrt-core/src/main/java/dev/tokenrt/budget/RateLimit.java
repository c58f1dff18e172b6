package dev.tokenrt.budget;

import dev.tokenrt.ledger.LedgerEntry.Attribution;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * A rate limit: so many requests, input tokens or output tokens per minute or hour, for a key, user, project
 * or model. Enforced by {@link GcraRateLimiter} as a smooth rate with a burst allowance, not as a counter that
 * resets at the top of the minute.
 *
 * @param id      unique and stable; buckets are keyed by it
 * @param subject what the limit is counted per
 * @param subjectId one subject ({@code "key_123"}), or empty for each subject of the kind separately
 * @param unit    what is counted
 * @param limit   how many units per period (the sustained rate)
 * @param per     the period
 * @param burst   how many units may pass at once after a quiet spell (the bucket's capacity); at least the
 *                largest single request, or that request can never pass
 */
public record RateLimit(String id, Subject subject, Optional<String> subjectId, Unit unit, long limit, Per per,
        long burst) {

    /** What a rate limit is counted per. */
    public enum Subject {
        KEY, USER, PROJECT, MODEL;

        /** The request's id in this kind; empty when it has none (the limit then does not apply). */
        public Optional<String> idOf(Attribution a, String model) {
            String id = switch (this) {
                case KEY -> a.keyId();
                case USER -> a.user();
                case PROJECT -> a.project();
                case MODEL -> model;
            };
            return id.isBlank() ? Optional.empty() : Optional.of(id);
        }
    }

    /** What a rate limit counts. */
    public enum Unit {
        REQUESTS, INPUT_TOKENS, OUTPUT_TOKENS;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The period a limit is stated per. */
    public enum Per {
        MINUTE(Duration.ofMinutes(1)), HOUR(Duration.ofHours(1));

        private final Duration length;

        Per(Duration length) {
            this.length = length;
        }

        public Duration length() {
            return length;
        }

        public long nanos() {
            return length.toNanos();
        }
    }

    public RateLimit {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("rate limit id is required");
        }
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(subjectId, "subjectId");
        Objects.requireNonNull(unit, "unit");
        Objects.requireNonNull(per, "per");
        if (limit < 1) {
            throw new IllegalArgumentException("rate limit " + id + ": limit must be positive");
        }
        if (burst < 1) {
            throw new IllegalArgumentException("rate limit " + id + ": burst must be positive");
        }
    }

    /** A limit on each subject of a kind, with a burst of one full period's worth (like a provider's TPM bucket). */
    public static RateLimit each(String id, Subject subject, Unit unit, long limit, Per per) {
        return new RateLimit(id, subject, Optional.empty(), unit, limit, per, limit);
    }

    public RateLimit withBurst(long newBurst) {
        return new RateLimit(id, subject, subjectId, unit, limit, per, newBurst);
    }

    public RateLimit forSubject(String newSubjectId) {
        return new RateLimit(id, subject, Optional.of(newSubjectId), unit, limit, per, burst);
    }

    /** Whether this limit applies to a request whose subject id (in this limit's kind) is {@code id}. */
    public boolean appliesTo(String subjectIdOfRequest) {
        return subjectId.map(subjectIdOfRequest::equals).orElse(true);
    }

    public String describe() {
        return unit.wireName() + " " + limit + " per " + per.name().toLowerCase(Locale.ROOT) + " per "
                + subject.name().toLowerCase(Locale.ROOT);
    }
}
