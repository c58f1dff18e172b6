package dev.tokenrt.budget;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Where rate-limit buckets live (SPI): in this process ({@link InMemoryRateLimitStore}) on one machine, in Redis
 * across replicas, so that N replicas together admit the configured rate, not N times it. Buckets follow
 * {@link Gcra}'s exact arithmetic in every store.
 *
 * <p>A request draws on several buckets at once (its key's requests, its key's tokens, its model's tokens…):
 * {@link #acquire} admits it on every one or on none, atomically. {@link #correct} moves buckets afterwards by
 * what the reservation got wrong (output tokens were reserved from {@code max_tokens}). Both carry a ticket, the
 * request's id for this limiter, so a store that routes operations (the fail-open {@link FallbackRateLimitStore})
 * can send a correction where its acquire went.
 *
 * <p>An engine that cannot be reached raises {@link CounterStoreUnavailableException}; a refusal is not an error.
 */
public interface RateLimitStore extends AutoCloseable {

    /**
     * One bucket as a request draws on it.
     *
     * @param bucket the bucket's key ({@link Gcra#bucket})
     * @param limit  the limit it is counted under
     * @param units  how many units: non-negative for {@link #acquire}, of either sign for {@link #correct}
     *               (negative gives back)
     */
    record Draw(String bucket, RateLimit limit, long units) {
        public Draw {
            Objects.requireNonNull(bucket, "bucket");
            Objects.requireNonNull(limit, "limit");
        }
    }

    /** The outcome of an acquire. */
    sealed interface Result {
        /** Taken from every bucket. */
        record Admitted() implements Result {
        }

        /**
         * Nothing was taken; each refusing bucket (by its index in the draws) with how long until the same draw
         * would fit, if nothing else arrives.
         */
        record Limited(List<Refusal> refusals) implements Result {
            public Limited {
                refusals = List.copyOf(refusals);
                if (refusals.isEmpty()) {
                    throw new IllegalArgumentException("a limited result names at least one bucket");
                }
            }
        }
    }

    /** One bucket that refused, and how long until it would admit the draw. */
    record Refusal(int index, Duration retryAfter) {
    }

    /**
     * Takes every draw from its bucket at {@code now}, or none if any bucket would overflow its burst. Draws of
     * zero units always fit and change nothing; draws larger than a burst are the caller's to refuse first.
     */
    Result acquire(String ticket, List<Draw> draws, Instant now);

    /** Moves each bucket by its draw's units (negative: a refund), at {@code now}. Never refuses. */
    void correct(String ticket, List<Draw> draws, Instant now);

    /** How many units a bucket could admit at {@code now}: for tests and diagnostics. */
    long available(String bucket, RateLimit limit, Instant now);

    @Override
    default void close() {
    }
}
