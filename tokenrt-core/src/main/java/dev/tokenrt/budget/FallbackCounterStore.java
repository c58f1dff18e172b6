package dev.tokenrt.budget;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The {@code fail_open} policy for a shared counter store: while the primary (Redis) is unreachable, holds go to
 * a local in-process store instead, and every switch is reported to {@code onFallback} (a loud log line, an
 * alert, a metric), never silently. A hold is settled or released where it was made.
 *
 * <p>What this trades away, by the operator's choice: while it lasts, each replica enforces the budget on its
 * own traffic only, so replicas together can overshoot; and a hold made on the primary whose settle cannot
 * reach it is swept there at its expiry, so that spend is missing from the shared counter (the ledger still
 * has it, and counters can be rebuilt from the ledger).
 */
public final class FallbackCounterStore implements CounterStore {

    private final CounterStore primary;
    private final CounterStore local;
    private final Consumer<RuntimeException> onFallback;
    private final Set<String> localHolds = ConcurrentHashMap.newKeySet();

    public FallbackCounterStore(CounterStore primary, CounterStore local, Consumer<RuntimeException> onFallback) {
        this.primary = primary;
        this.local = local;
        this.onFallback = onFallback;
    }

    @Override
    public Reservation reserve(String holdId, List<Hold> holds, Duration ttl) {
        try {
            return primary.reserve(holdId, holds, ttl);
        } catch (CounterStoreUnavailableException e) {
            onFallback.accept(e);
            // The primary may have taken the hold all the same (a timeout after it applied it): drop it there,
            // or it would shrink the shared budget until its TTL. Best effort; the primary's sweep is the backstop.
            try {
                primary.release(holdId);
            } catch (RuntimeException again) {
                // still unreachable: its sweep releases the hold, if there is one, when it expires
            }
            localHolds.add(holdId);
            return local.reserve(holdId, holds, ttl);
        }
    }

    @Override
    public void settle(String holdId, Map<String, Long> actual) {
        if (localHolds.remove(holdId)) {
            local.settle(holdId, actual);
            return;
        }
        try {
            primary.settle(holdId, actual);
        } catch (CounterStoreUnavailableException e) {
            onFallback.accept(e);
        }
    }

    @Override
    public void release(String holdId) {
        if (localHolds.remove(holdId)) {
            local.release(holdId);
            return;
        }
        try {
            primary.release(holdId);
        } catch (CounterStoreUnavailableException e) {
            onFallback.accept(e);
        }
    }

    @Override
    public int sweep(Instant now) {
        int swept = local.sweep(now);
        try {
            swept += primary.sweep(now);
        } catch (CounterStoreUnavailableException e) {
            onFallback.accept(e);
        }
        return swept;
    }

    @Override
    public State state(String key) {
        try {
            return primary.state(key);
        } catch (CounterStoreUnavailableException e) {
            onFallback.accept(e);
            return local.state(key);
        }
    }

    /** On the primary only: the local counters are this replica's stand-in, not what is rebuilt. */
    @Override
    public void setUsed(String key, long used, Instant windowEnd) {
        primary.setUsed(key, used, windowEnd);
    }

    @Override
    public Map<String, State> states(List<String> keys) {
        try {
            return primary.states(keys);
        } catch (CounterStoreUnavailableException e) {
            onFallback.accept(e);
            return local.states(keys);
        }
    }

    @Override
    public void close() {
        try {
            primary.close();
        } finally {
            local.close();
        }
    }
}
