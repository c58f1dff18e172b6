package dev.tokenrt.budget;

import dev.tokenrt.ledger.LedgerEntry.Attribution;
import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Rate limits by the generic cell rate algorithm (GCRA), in memory: each bucket keeps one number, its
 * theoretical arrival time (TAT), the moment by which everything admitted so far would have drained at the
 * sustained rate. A request of {@code n} units is admitted when, after adding it, the bucket holds no more
 * than its burst: {@code max(TAT, now) + n·T − now ≤ burst·T}, with {@code T = period / limit}. There is no
 * window edge: after a burst the bucket refills continuously, so a 60-per-minute limit lets one request a
 * second through and never 2 × 60 across the top of a minute as a fixed window does. In any interval of
 * length {@code t} at most {@code burst + t·limit/period} units pass.
 *
 * <p><b>Exact arithmetic.</b> {@code T} is a fraction of a nanosecond in general (60 per minute is exact,
 * 7 per minute is not), so times are kept scaled by the limit: a scaled time is nanoseconds × limit, and
 * {@code T} becomes the period in nanoseconds, an integer. Products are {@link BigInteger}s: exact, with no
 * overflow however large the limit; nothing is rounded except a retry-after, which rounds up to the nanosecond.
 *
 * <p><b>Reserve and correct.</b> Output tokens are not known before the call, so {@link #acquire} takes the
 * request's {@code max_tokens} and {@link Permit#settle} corrects every bucket to the actual figures (a
 * refund moves the TAT back). {@link Permit#release} refunds the tokens of a request that failed but keeps
 * its request count, so that failing requests cannot be retried faster than the request limit allows.
 *
 * <p>One lock guards all buckets, so a request is admitted on every limit that applies or on none.
 */
public final class GcraRateLimiter {

    private static final BigInteger NANOS_PER_SECOND = BigInteger.valueOf(1_000_000_000L);
    private static final int SWEEP_EVERY = 4096;

    private final Clock clock;
    private final List<RateLimit> limits;
    /** bucket key → TAT in scaled time (nanoseconds since the epoch × the limit's rate). */
    private final Map<String, BigInteger> tats = new HashMap<>();
    private long acquires;

    public GcraRateLimiter(Clock clock, List<RateLimit> limits) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.limits = List.copyOf(limits);
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

    /** The limits that apply to a request, each with the subject it is counted for. */
    private List<Charge> charges(Attribution attribution, String model, long inputTokens, long outputTokens) {
        List<Charge> out = new ArrayList<>();
        for (RateLimit l : limits) {
            Optional<String> subject = l.subject().idOf(attribution, model);
            if (subject.isEmpty() || !l.appliesTo(subject.get())) {
                continue;
            }
            long n = switch (l.unit()) {
                case REQUESTS -> 1;
                case INPUT_TOKENS -> inputTokens;
                case OUTPUT_TOKENS -> outputTokens;
            };
            out.add(new Charge(l, subject.get(), l.id() + "|" + subject.get(), n));
        }
        return out;
    }

    private record Charge(RateLimit limit, String subjectId, String bucket, long amount) {
    }

    /**
     * Admits a request on every limit that applies to it (by key, user, project and model), or on none.
     *
     * @param inputTokens          the prompt's tokens
     * @param reservedOutputTokens the output to hold until settled: the request's {@code max_tokens}
     */
    public Decision acquire(Attribution attribution, String model, long inputTokens, long reservedOutputTokens) {
        if (inputTokens < 0 || reservedOutputTokens < 0) {
            throw new IllegalArgumentException("token figures cannot be negative");
        }
        List<Charge> charges = charges(attribution, model, inputTokens, reservedOutputTokens);
        BigInteger nowNanos = nanos(clock.instant());
        synchronized (this) {
            if (++acquires % SWEEP_EVERY == 0) {
                sweep(nowNanos);
            }
            Decision.Limited worst = null;
            for (Charge c : charges) {
                Optional<Decision.Limited> refusal = check(c, nowNanos);
                if (refusal.isPresent() && (worst == null || later(refusal.get(), worst))) {
                    worst = refusal.get();
                }
            }
            if (worst != null) {
                return worst;
            }
            for (Charge c : charges) {
                add(c.bucket(), c.limit(), c.amount(), nowNanos);
            }
        }
        return new Decision.Allowed(new Permit(charges));
    }

    /** Refusals compare by how long they ask to wait; "never" is longest. */
    private static boolean later(Decision.Limited a, Decision.Limited b) {
        if (a.retryAfter().isEmpty()) {
            return b.retryAfter().isPresent();
        }
        return b.retryAfter().isPresent() && a.retryAfter().get().compareTo(b.retryAfter().get()) > 0;
    }

    private Optional<Decision.Limited> check(Charge c, BigInteger nowNanos) {
        if (c.amount() == 0) {
            return Optional.empty();
        }
        RateLimit l = c.limit();
        if (c.amount() > l.burst()) {
            return Optional.of(new Decision.Limited(l, c.subjectId(), c.amount(), Optional.empty()));
        }
        BigInteger rate = BigInteger.valueOf(l.limit());
        BigInteger period = BigInteger.valueOf(l.per().nanos());
        BigInteger now = nowNanos.multiply(rate);
        BigInteger tat = tats.getOrDefault(c.bucket(), now).max(now);
        BigInteger fill = tat.add(BigInteger.valueOf(c.amount()).multiply(period)).subtract(now);
        BigInteger capacity = BigInteger.valueOf(l.burst()).multiply(period);
        if (fill.compareTo(capacity) <= 0) {
            return Optional.empty();
        }
        // Scaled time back to nanoseconds, rounded up so that retrying after it is admitted.
        BigInteger[] qr = fill.subtract(capacity).divideAndRemainder(rate);
        BigInteger waitNanos = qr[1].signum() == 0 ? qr[0] : qr[0].add(BigInteger.ONE);
        return Optional.of(new Decision.Limited(l, c.subjectId(), c.amount(), Optional.of(toDuration(waitNanos))));
    }

    /** Moves a bucket's TAT by {@code units} (negative: a refund); drops buckets that are full again. */
    private void add(String bucket, RateLimit l, long units, BigInteger nowNanos) {
        if (units == 0) {
            return;
        }
        BigInteger now = nowNanos.multiply(BigInteger.valueOf(l.limit()));
        BigInteger delta = BigInteger.valueOf(units).multiply(BigInteger.valueOf(l.per().nanos()));
        BigInteger stored = tats.get(bucket);
        BigInteger tat;
        if (units > 0) {
            tat = (stored == null ? now : stored.max(now)).add(delta);
        } else {
            if (stored == null) {
                return;
            }
            tat = stored.add(delta);
        }
        if (tat.compareTo(now) <= 0) {
            tats.remove(bucket);
        } else {
            tats.put(bucket, tat);
        }
    }

    /** Forgets buckets that have drained completely: a missing bucket is a full one. */
    private void sweep(BigInteger nowNanos) {
        tats.entrySet().removeIf(e -> {
            long rate = rateOf(e.getKey());
            return rate > 0 && e.getValue().compareTo(nowNanos.multiply(BigInteger.valueOf(rate))) <= 0;
        });
    }

    private long rateOf(String bucket) {
        String id = bucket.substring(0, bucket.indexOf('|'));
        for (RateLimit l : limits) {
            if (l.id().equals(id)) {
                return l.limit();
            }
        }
        return 0;
    }

    /** Buckets in use (not yet drained), for tests. */
    public synchronized int buckets() {
        return tats.size();
    }

    /** How many units a bucket could admit right now (its free capacity), for tests and diagnostics. */
    public synchronized long available(RateLimit limit, String subjectId) {
        BigInteger rate = BigInteger.valueOf(limit.limit());
        BigInteger period = BigInteger.valueOf(limit.per().nanos());
        BigInteger now = nanos(clock.instant()).multiply(rate);
        BigInteger tat = tats.getOrDefault(limit.id() + "|" + subjectId, now).max(now);
        BigInteger free = BigInteger.valueOf(limit.burst()).multiply(period).subtract(tat.subtract(now));
        return free.signum() <= 0 ? 0 : free.divide(period).longValueExact();
    }

    private static BigInteger nanos(Instant t) {
        return BigInteger.valueOf(t.getEpochSecond()).multiply(NANOS_PER_SECOND).add(BigInteger.valueOf(t.getNano()));
    }

    private static Duration toDuration(BigInteger nanos) {
        BigInteger[] sn = nanos.divideAndRemainder(NANOS_PER_SECOND);
        return Duration.ofSeconds(sn[0].longValueExact(), sn[1].longValueExact());
    }

    /** One admitted request's share of each bucket: correct it to the actual figures, or refund it, once. */
    public final class Permit {
        private final List<Charge> charges;
        private final AtomicBoolean done = new AtomicBoolean();

        private Permit(List<Charge> charges) {
            this.charges = List.copyOf(charges);
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

        private void correct(long input, long output, boolean refund) {
            if (!done.compareAndSet(false, true)) {
                return;
            }
            BigInteger nowNanos = nanos(clock.instant());
            synchronized (GcraRateLimiter.this) {
                for (Charge c : charges) {
                    long actual = switch (c.limit().unit()) {
                        case REQUESTS -> c.amount();
                        case INPUT_TOKENS -> refund ? 0 : input;
                        case OUTPUT_TOKENS -> refund ? 0 : output;
                    };
                    add(c.bucket(), c.limit(), actual - c.amount(), nowNanos);
                }
            }
        }
    }
}
