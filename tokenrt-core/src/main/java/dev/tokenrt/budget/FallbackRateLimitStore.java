package dev.tokenrt.budget;

import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The {@code fail_open} policy for shared rate-limit buckets, as {@link FallbackCounterStore} is for budget
 * counters: while the primary (Redis) is unreachable, requests are limited by a local in-process store instead,
 * and every switch is reported to {@code onFallback} (a loud log line, a metric), never silently. A correction goes
 * where its acquire went.
 *
 * <p>What this trades away, by the operator's choice: while it lasts each replica limits its own traffic only, so
 * N replicas together admit up to N times the rate; and corrections of requests admitted by the primary that
 * cannot reach it are lost (the bucket stays as it was reserved, which errs towards limiting).
 */
public final class FallbackRateLimitStore implements RateLimitStore {

    private final RateLimitStore primary;
    private final RateLimitStore local;
    private final Consumer<RuntimeException> onFallback;
    private final Set<String> localTickets = ConcurrentHashMap.newKeySet();

    public FallbackRateLimitStore(RateLimitStore primary, RateLimitStore local, Consumer<RuntimeException> onFallback) {
        this.primary = primary;
        this.local = local;
        this.onFallback = onFallback;
    }

    @Override
    public Result acquire(String ticket, List<Draw> draws, Instant now) {
        try {
            return primary.acquire(ticket, draws, now);
        } catch (CounterStoreUnavailableException e) {
            onFallback.accept(e);
            Result r = local.acquire(ticket, draws, now);
            if (r instanceof Result.Admitted) {
                localTickets.add(ticket);
            }
            return r;
        }
    }

    @Override
    public void correct(String ticket, List<Draw> draws, Instant now) {
        if (localTickets.remove(ticket)) {
            local.correct(ticket, draws, now);
            return;
        }
        try {
            primary.correct(ticket, draws, now);
        } catch (CounterStoreUnavailableException e) {
            onFallback.accept(e);
        }
    }

    @Override
    public long available(String bucket, RateLimit limit, Instant now) {
        try {
            return primary.available(bucket, limit, now);
        } catch (CounterStoreUnavailableException e) {
            onFallback.accept(e);
            return local.available(bucket, limit, now);
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
