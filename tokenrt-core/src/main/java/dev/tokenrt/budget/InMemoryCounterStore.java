package dev.tokenrt.budget;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Budget counters in this process's memory: the store for tests, for embedded use without persistence, and
 * the reference the Redis and SQLite stores are held to. One lock guards every counter, which is what makes a
 * reserve over several counters atomic; a reserve is a few map operations, far shorter than any provider call.
 *
 * <p>Holds that outlive their time-to-live (a caller that never settled) are released by {@link #sweep},
 * which every {@link #reserve} also runs first, so an expired hold never blocks a request. Counters whose
 * window closed more than {@code retention} ago are forgotten by {@link #sweep}.
 */
public final class InMemoryCounterStore implements CounterStore {

    private static final class Counter {
        long used;
        long held;
        Instant windowEnd;

        Counter(Instant windowEnd) {
            this.windowEnd = windowEnd;
        }
    }

    private record OpenHold(String id, long seq, Map<String, Long> amounts, Instant expiresAt) {
    }

    private final Clock clock;
    private final Duration retention;
    private final Map<String, Counter> counters = new HashMap<>();
    private final Map<String, OpenHold> holds = new HashMap<>();
    private final TreeSet<OpenHold> byExpiry = new TreeSet<>(
            Comparator.comparing(OpenHold::expiresAt).thenComparingLong(OpenHold::seq));
    private long seq;

    /** A store that forgets a counter one hour after its window closed. */
    public InMemoryCounterStore(Clock clock) {
        this(clock, Duration.ofHours(1));
    }

    public InMemoryCounterStore(Clock clock, Duration retention) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.retention = Objects.requireNonNull(retention, "retention");
    }

    @Override
    public synchronized Reservation reserve(String holdId, List<Hold> request, Duration ttl) {
        Objects.requireNonNull(holdId, "holdId");
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl must be positive");
        }
        Instant now = clock.instant();
        expire(now);
        if (holds.containsKey(holdId)) {
            throw new IllegalStateException("hold " + holdId + " is already open");
        }
        // The same key twice in one request holds the sum, against the tighter limit.
        Map<String, Long> amounts = new LinkedHashMap<>();
        Map<String, Long> limits = new HashMap<>();
        Map<String, Instant> ends = new HashMap<>();
        for (Hold h : request) {
            amounts.merge(h.key(), h.amount(), Math::addExact);
            limits.merge(h.key(), h.limit(), Math::min);
            ends.merge(h.key(), h.windowEnd(), (a, b) -> a.isAfter(b) ? a : b);
        }
        for (Map.Entry<String, Long> e : amounts.entrySet()) {
            Counter c = counters.get(e.getKey());
            long used = c == null ? 0 : c.used;
            long held = c == null ? 0 : c.held;
            long limit = limits.get(e.getKey());
            if (e.getValue() > limit - saturatedSum(used, held)) {
                return new Reservation.Refused(e.getKey(), used, held, limit);
            }
        }
        for (Map.Entry<String, Long> e : amounts.entrySet()) {
            Instant end = ends.get(e.getKey());
            Counter c = counters.computeIfAbsent(e.getKey(), k -> new Counter(end));
            c.held += e.getValue();
            if (end.isAfter(c.windowEnd)) {
                c.windowEnd = end;
            }
        }
        Instant expiresAt = plusSaturated(now, ttl);
        OpenHold hold = new OpenHold(holdId, seq++, Map.copyOf(amounts), expiresAt);
        holds.put(holdId, hold);
        byExpiry.add(hold);
        return new Reservation.Granted(holdId, expiresAt);
    }

    @Override
    public synchronized void settle(String holdId, Map<String, Long> actual) {
        for (Map.Entry<String, Long> e : actual.entrySet()) {
            if (e.getValue() == null || e.getValue() < 0) {
                throw new IllegalArgumentException("actual amount for " + e.getKey() + " must be non-negative");
            }
        }
        OpenHold hold = holds.remove(holdId);
        if (hold == null) {
            return;
        }
        byExpiry.remove(hold);
        for (Map.Entry<String, Long> e : hold.amounts().entrySet()) {
            Counter c = counters.get(e.getKey());
            c.held -= e.getValue();
            c.used = saturatedSum(c.used, actual.getOrDefault(e.getKey(), 0L));
        }
    }

    @Override
    public void release(String holdId) {
        settle(holdId, Map.of());
    }

    @Override
    public synchronized int sweep(Instant now) {
        int released = expire(now);
        Instant forgetBefore = minusSaturated(now, retention);
        for (Iterator<Counter> it = counters.values().iterator(); it.hasNext(); ) {
            Counter c = it.next();
            if (c.held == 0 && c.windowEnd.isBefore(forgetBefore)) {
                it.remove();
            }
        }
        return released;
    }

    /** Whether a hold of that id is open (not yet settled, released or expired). */
    public synchronized boolean holding(String holdId) {
        return holds.containsKey(holdId);
    }

    @Override
    public synchronized State state(String key) {
        Counter c = counters.get(key);
        return c == null ? new State(0, 0) : new State(c.used, c.held);
    }

    @Override
    public synchronized void setUsed(String key, long used, Instant windowEnd) {
        if (used < 0) {
            throw new IllegalArgumentException("used cannot be negative: " + used);
        }
        Counter c = counters.computeIfAbsent(key, k -> new Counter(windowEnd));
        c.used = used;
        if (windowEnd.isAfter(c.windowEnd)) {
            c.windowEnd = windowEnd;
        }
    }

    /** Holds neither settled, released nor swept yet: zero once every request has finished. */
    public synchronized int openHolds() {
        return holds.size();
    }

    /** Counters currently remembered (for tests of forgetting). */
    public synchronized int counters() {
        return counters.size();
    }

    private int expire(Instant now) {
        int n = 0;
        while (!byExpiry.isEmpty() && !byExpiry.first().expiresAt().isAfter(now)) {
            OpenHold h = byExpiry.pollFirst();
            holds.remove(h.id());
            for (Map.Entry<String, Long> e : h.amounts().entrySet()) {
                counters.get(e.getKey()).held -= e.getValue();
            }
            n++;
        }
        return n;
    }

    private static long saturatedSum(long a, long b) {
        long s = a + b;
        return s < 0 ? Long.MAX_VALUE : s;
    }

    private static Instant plusSaturated(Instant t, Duration d) {
        try {
            return t.plus(d);
        } catch (ArithmeticException | java.time.DateTimeException e) {
            return Instant.MAX;
        }
    }

    private static Instant minusSaturated(Instant t, Duration d) {
        try {
            return t.minus(d);
        } catch (ArithmeticException | java.time.DateTimeException e) {
            return Instant.MIN;
        }
    }
}
