package dev.tokenrt.budget;

import dev.tokenrt.ledger.LedgerEntry.Attribution;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Rate limits by the generic cell rate algorithm (GCRA): each bucket keeps one number, its theoretical arrival
 * time, the moment by which everything admitted so far would have drained at the sustained rate ({@link Gcra}).
 * There is no window edge: after a burst the bucket refills continuously, so a 60-per-minute limit lets one request
 * a second through and never 2 × 60 across the top of a minute as a fixed window does. In any interval of length
 * {@code t} at most {@code burst + t·limit/period} units pass. The arithmetic is exact (scaled integers), so a rate
 * that is not a whole number of nanoseconds per unit (7 a minute) never drifts.
 *
 * <p><b>Where buckets live.</b> A {@link RateLimitStore}: in this process ({@link InMemoryRateLimitStore}) on one
 * machine; in Redis across replicas ({@code RedisRateLimitStore}), where every acquire and every correction is one
 * atomic script, so N replicas together admit the configured rate, not N times it.
 *
 * <p><b>Which limits.</b> A {@link RateLimitSource}: the configuration file's limits and a virtual key's own
 * ({@link KeyBudgets#rateLimits}); each applies when the request has an id in its subject (key, user, project or
 * model) and, for a limit on one subject, that id.
 *
 * <p><b>Reserve and correct.</b> Output tokens are not known before the call, so {@link #acquire} takes the
 * request's {@code max_tokens} and {@link Permit#settle} corrects every bucket to the actual figures (a refund moves
 * the TAT back). {@link Permit#release} refunds the tokens of a request that failed but keeps its request count, so
 * that failing requests cannot be retried faster than the request limit allows.
 */
public final class GcraRateLimiter {

    private final Clock clock;
    private final RateLimitSource limits;
    private final RateLimitStore store;
    private final AtomicLong tickets = new AtomicLong();

    /** Fixed limits with buckets in this process's memory. */
    public GcraRateLimiter(Clock clock, List<RateLimit> limits) {
        this(clock, RateLimitSource.of(limits), new InMemoryRateLimitStore());
    }

    public GcraRateLimiter(Clock clock, RateLimitSource limits, RateLimitStore store) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.store = Objects.requireNonNull(store, "store");
    }

    /** The outcome of {@link #acquire}. */
    public sealed interface Decision {
        /** Admitted on every limit that applies; settle or release the permit exactly once. */
        record Allowed(Permit permit) implements Decision {
        }

        /**
         * Not admitted; nothing was taken.
         *
         * @param retryAfter when the same request would be admitted, if nothing else arrives; empty when it
         *                   never will (it asks for more than the limit's burst)
         */
        record Limited(RateLimit limit, String subjectId, long requested, Optional<Duration> retryAfter)
                implements Decision {
        }
    }

    /** One limit as it applies to one request: the subject it is counted for, its bucket, the units drawn. */
    private record Charge(RateLimit limit, String subjectId, String bucket, long amount) {
        RateLimitStore.Draw draw(long units) {
            return new RateLimitStore.Draw(bucket, limit, units);
        }
    }

    private List<Charge> charges(Attribution attribution, String model, LongSupplier inputTokens, long outputTokens) {
        List<Charge> out = new ArrayList<>();
        java.util.Set<String> buckets = new java.util.HashSet<>();
        for (RateLimit l : limits.rateLimits(attribution)) {
            Optional<String> subject = l.subject().idOf(attribution, model);
            if (subject.isEmpty() || !l.appliesTo(subject.get())) {
                continue;
            }
            String bucket = Gcra.bucket(l, subject.get());
            if (!buckets.add(bucket)) {
                continue; // the same limit given twice is one bucket, drawn on once
            }
            long n = switch (l.unit()) {
                case REQUESTS -> 1;
                case INPUT_TOKENS -> {
                    long in = inputTokens.getAsLong();
                    if (in < 0) {
                        throw new IllegalArgumentException("token figures cannot be negative");
                    }
                    yield in;
                }
                case OUTPUT_TOKENS -> outputTokens;
            };
            out.add(new Charge(l, subject.get(), bucket, n));
        }
        return out;
    }

    /**
     * Admits a request on every limit that applies to it (by key, user, project and model), or on none.
     *
     * @param inputTokens          the prompt's tokens
     * @param reservedOutputTokens the output to hold until settled: the request's {@code max_tokens}
     * @throws CounterStoreUnavailableException if the buckets' store cannot be reached
     * @throws BudgetStoreException             if a key's own limits cannot be read
     */
    public Decision acquire(Attribution attribution, String model, long inputTokens, long reservedOutputTokens) {
        if (inputTokens < 0) {
            throw new IllegalArgumentException("token figures cannot be negative");
        }
        return acquire(attribution, model, () -> inputTokens, reservedOutputTokens);
    }

    /**
     * As {@link #acquire(Attribution, String, long, long)}, with the prompt's tokens asked for only when a limit on
     * input tokens applies: counting a prompt is the dearest thing a request does before its call, and most
     * requests meet no such limit.
     */
    public Decision acquire(Attribution attribution, String model, LongSupplier inputTokens, long reservedOutputTokens) {
        if (reservedOutputTokens < 0) {
            throw new IllegalArgumentException("token figures cannot be negative");
        }
        List<Charge> charges = charges(attribution, model, inputTokens, reservedOutputTokens);
        if (charges.isEmpty()) {
            return new Decision.Allowed(new Permit(List.of(), ""));
        }
        for (Charge c : charges) {
            if (c.amount() > c.limit().burst()) {
                // More than the bucket ever holds: no wait will help, and no store needs asking.
                return new Decision.Limited(c.limit(), c.subjectId(), c.amount(), Optional.empty());
            }
        }
        List<RateLimitStore.Draw> draws = new ArrayList<>(charges.size());
        charges.forEach(c -> draws.add(c.draw(c.amount())));
        String ticket = "rl-" + tickets.incrementAndGet();
        RateLimitStore.Result r = store.acquire(ticket, draws, clock.instant());
        if (r instanceof RateLimitStore.Result.Limited limited) {
            RateLimitStore.Refusal worst = limited.refusals().getFirst();
            for (RateLimitStore.Refusal f : limited.refusals()) {
                if (f.retryAfter().compareTo(worst.retryAfter()) > 0) {
                    worst = f;
                }
            }
            Charge c = charges.get(worst.index());
            return new Decision.Limited(c.limit(), c.subjectId(), c.amount(), Optional.of(worst.retryAfter()));
        }
        return new Decision.Allowed(new Permit(charges, ticket));
    }

    /** How many units a bucket could admit right now (its free capacity), for tests and diagnostics. */
    public long available(RateLimit limit, String subjectId) {
        return store.available(Gcra.bucket(limit, subjectId), limit, clock.instant());
    }

    /** One admitted request's share of each bucket: correct it to the actual figures, or refund it, once. */
    public final class Permit {
        private final List<Charge> charges;
        private final String ticket;
        private final AtomicBoolean done = new AtomicBoolean();

        private Permit(List<Charge> charges, String ticket) {
            this.charges = List.copyOf(charges);
            this.ticket = ticket;
        }

        /** Corrects the token buckets from what was reserved to what was used. Later calls do nothing. */
        public void settle(long actualInputTokens, long actualOutputTokens) {
            if (actualInputTokens < 0 || actualOutputTokens < 0) {
                throw new IllegalArgumentException("token figures cannot be negative");
            }
            correct(actualInputTokens, actualOutputTokens, false);
        }

        /** Refunds the tokens (the request failed); the request itself still counts. Later calls do nothing. */
        public void release() {
            correct(0, 0, true);
        }

        public boolean isDone() {
            return done.get();
        }

        /** True when no limit applied to the request: there is nothing to settle. */
        public boolean isEmpty() {
            return charges.isEmpty();
        }

        private void correct(long input, long output, boolean refund) {
            if (!done.compareAndSet(false, true) || charges.isEmpty()) {
                return;
            }
            Instant now = clock.instant();
            List<RateLimitStore.Draw> deltas = new ArrayList<>(charges.size());
            for (Charge c : charges) {
                long actual = switch (c.limit().unit()) {
                    case REQUESTS -> c.amount();
                    case INPUT_TOKENS -> refund ? 0 : input;
                    case OUTPUT_TOKENS -> refund ? 0 : output;
                };
                deltas.add(c.draw(actual - c.amount()));
            }
            // Sent even when nothing moves, so that a fail-open store forgets where this ticket went.
            store.correct(ticket, deltas, now);
        }
    }
}
