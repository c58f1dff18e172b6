package dev.tokenrt.store.budget;

import dev.tokenrt.budget.CounterStore.Hold;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/** Argument checks and time arithmetic both stores share, so that both reject the same mistakes. */
final class Checks {

    private Checks() {
    }

    static void holdId(String holdId) {
        Objects.requireNonNull(holdId, "holdId");
        if (holdId.isEmpty()) {
            throw new IllegalArgumentException("holdId cannot be empty");
        }
    }

    /** A counter may appear once per reservation: two holds on one key would be a caller's bug. */
    static void holds(List<Hold> holds) {
        Objects.requireNonNull(holds, "holds");
        Set<String> seen = new HashSet<>();
        for (Hold h : holds) {
            Objects.requireNonNull(h, "hold");
            if (!seen.add(h.key())) {
                throw new IllegalArgumentException("counter " + h.key() + " appears twice in one reservation");
            }
        }
    }

    /** The arguments of {@code setUsed}. */
    static void setUsed(String key, long used, Instant windowEnd) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(windowEnd, "windowEnd");
        if (used < 0) {
            throw new IllegalArgumentException("used cannot be negative: " + used);
        }
    }

    static void ttl(Duration ttl) {
        Objects.requireNonNull(ttl, "ttl");
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl must be positive, got " + ttl);
        }
    }

    static void actual(Map<String, Long> actual) {
        Objects.requireNonNull(actual, "actual");
        actual.forEach((k, v) -> {
            Objects.requireNonNull(k, "counter key");
            Objects.requireNonNull(v, "amount of " + k);
            if (v < 0) {
                throw new IllegalArgumentException("actual usage cannot be negative: " + k + " = " + v);
            }
        });
    }

    /** Whether {@code a + b + c <= limit} (all non-negative), exactly: a sum past {@code Long.MAX_VALUE} never fits. */
    static boolean fits(long a, long b, long c, long limit) {
        long ab = a + b;
        if (((a ^ ab) & (b ^ ab)) < 0) {
            return false;
        }
        long abc = ab + c;
        if (((ab ^ abc) & (c ^ abc)) < 0) {
            return false;
        }
        return abc <= limit;
    }

    /** Latest time the stores write: the end of year 9999, which every engine and Redis accept. */
    static final long MAX_EPOCH_MILLIS = 253_402_300_799_999L;

    /** {@code t + d} (d not negative) as epoch milliseconds, at most {@link #MAX_EPOCH_MILLIS}. */
    static long epochMillis(Instant t, Duration d) {
        try {
            return Math.min(MAX_EPOCH_MILLIS, t.plus(d).toEpochMilli());
        } catch (ArithmeticException | DateTimeException e) {
            return MAX_EPOCH_MILLIS;
        }
    }

    /** Epoch nanoseconds (the ledger's time unit), clamped to the long range (years 1678–2262). */
    static long epochNanos(Instant t) {
        try {
            return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
        } catch (ArithmeticException e) {
            return t.getEpochSecond() < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }
}
