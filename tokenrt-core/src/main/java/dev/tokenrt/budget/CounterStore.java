package dev.tokenrt.budget;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Where budget counters live (SPI): in process (persisted to SQLite) on one machine, Redis across replicas.
 * The one operation that matters is {@link #reserve}: an atomic check-and-hold over several counters at
 * once, so that a request either holds its worst case on every budget it belongs to, or on none. That is
 * what keeps a hard budget from being overshot under concurrency, on one process or many.
 *
 * <p>All amounts are non-negative integers in the counter's own unit: nano-USD for cost, tokens, or
 * requests. Never floating point.
 */
public interface CounterStore extends AutoCloseable {

    /**
     * One counter in one period window, and the limit the hold must respect.
     *
     * @param key        a stable id, e.g. {@code b:<budgetId>:<windowStart epoch seconds>}
     * @param limit      the most {@code used + held} may reach; {@link Long#MAX_VALUE} for none (count only)
     * @param amount     what this request holds on it
     * @param windowEnd  when the window closes; the counter may be forgotten some time after
     */
    record Hold(String key, long limit, long amount, Instant windowEnd) {
        public Hold {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(windowEnd, "windowEnd");
            if (limit < 0 || amount < 0) {
                throw new IllegalArgumentException("limit and amount must be non-negative");
            }
        }
    }

    /** The outcome of a reserve: granted on every counter, or refused with the first counter that would overflow. */
    sealed interface Reservation {
        /** Held on every counter until settled, released, or {@code expiresAt} (then swept). */
        record Granted(String holdId, Instant expiresAt) implements Reservation {
        }

        /** Nothing was held; {@code key} could not take the amount: {@code used + held + amount > limit}. */
        record Refused(String key, long used, long held, long limit) implements Reservation {
        }
    }

    /** A counter's figures now. */
    record State(long used, long held) {
    }

    /**
     * Atomically: if every hold fits ({@code used + held + amount <= limit}), hold all of them under
     * {@code holdId} for at most {@code ttl}; otherwise hold nothing.
     */
    Reservation reserve(String holdId, List<Hold> holds, Duration ttl);

    /**
     * Replaces a hold by what was actually used (per counter key; keys absent from {@code actual} settle at
     * zero) and removes the hold. Settling may take a counter past its limit (the usage happened); the next
     * reserve then refuses. Idempotent: a hold already settled, released or swept is ignored.
     */
    void settle(String holdId, Map<String, Long> actual);

    /** Removes a hold without using anything (error, timeout, client gone before any output). Idempotent. */
    void release(String holdId);

    /** Releases holds whose time is up (a process died holding them); returns how many. */
    int sweep(Instant now);

    State state(String key);

    /**
     * Several counters' figures, by key, in the order given; engines answer in one round trip where they can.
     * Not atomic across keys unless the engine says so: for proposals (a pool's shares), never for decisions.
     */
    default Map<String, State> states(List<String> keys) {
        Map<String, State> out = new java.util.LinkedHashMap<>();
        for (String k : keys) {
            out.put(k, state(k));
        }
        return out;
    }

    /**
     * Sets a counter's {@code used} figure, keeping what live holds hold on it, and creates it if missing (kept
     * until {@code windowEnd} and the store's grace). For rebuilding counters from the ledger, which is the source
     * of truth; never on the request path.
     */
    void setUsed(String key, long used, Instant windowEnd);

    @Override
    default void close() {
    }
}
