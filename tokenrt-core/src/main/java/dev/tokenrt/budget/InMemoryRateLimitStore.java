package dev.tokenrt.budget;

import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Rate-limit buckets in this process's memory: one machine's store, the fail-open fallback of a shared one, and
 * the reference the Redis store is held to. One lock guards every bucket, so an acquire over several is atomic.
 * A bucket that has drained completely is the same as a missing one, so drained buckets are forgotten.
 */
public final class InMemoryRateLimitStore implements RateLimitStore {

    private static final int SWEEP_EVERY = 4096;

    /** A bucket's TAT in scaled time, and the rate it is scaled by (to tell, when sweeping, whether it drained). */
    private record Tat(BigInteger scaled, long rate) {
    }

    private final Map<String, Tat> tats = new HashMap<>();
    private long acquires;

    @Override
    public synchronized Result acquire(String ticket, List<Draw> draws, Instant now) {
        BigInteger nanos = Gcra.nanos(now);
        if (++acquires % SWEEP_EVERY == 0) {
            tats.values().removeIf(t -> t.scaled().compareTo(nanos.multiply(BigInteger.valueOf(t.rate()))) <= 0);
        }
        List<Refusal> refusals = new ArrayList<>();
        for (int i = 0; i < draws.size(); i++) {
            Draw d = draws.get(i);
            if (d.units() < 0) {
                throw new IllegalArgumentException("an acquire cannot give units back");
            }
            if (d.units() == 0) {
                continue;
            }
            BigInteger scaledNow = Gcra.scaledNow(now, d.limit());
            BigInteger fill = tat(d.bucket(), scaledNow).add(Gcra.increment(d.units(), d.limit())).subtract(scaledNow);
            BigInteger excess = fill.subtract(Gcra.capacity(d.limit()));
            if (excess.signum() > 0) {
                refusals.add(new Refusal(i, Gcra.drain(excess, d.limit())));
            }
        }
        if (!refusals.isEmpty()) {
            return new Result.Limited(refusals);
        }
        for (Draw d : draws) {
            move(d, now);
        }
        return new Result.Admitted();
    }

    @Override
    public synchronized void correct(String ticket, List<Draw> draws, Instant now) {
        for (Draw d : draws) {
            move(d, now);
        }
    }

    @Override
    public synchronized long available(String bucket, RateLimit limit, Instant now) {
        BigInteger scaledNow = Gcra.scaledNow(now, limit);
        return Gcra.available(tat(bucket, scaledNow), scaledNow, limit);
    }

    /** Buckets in use (not yet drained), for tests. */
    public synchronized int buckets() {
        return tats.size();
    }

    private BigInteger tat(String bucket, BigInteger scaledNow) {
        Tat t = tats.get(bucket);
        return t == null ? scaledNow : t.scaled().max(scaledNow);
    }

    /** Moves a bucket's TAT by the draw (a refund moves it back); drops buckets that are full again. */
    private void move(Draw d, Instant now) {
        if (d.units() == 0) {
            return;
        }
        BigInteger scaledNow = Gcra.scaledNow(now, d.limit());
        BigInteger delta = Gcra.increment(d.units(), d.limit());
        Tat stored = tats.get(d.bucket());
        BigInteger tat;
        if (d.units() > 0) {
            tat = (stored == null ? scaledNow : stored.scaled().max(scaledNow)).add(delta);
        } else {
            if (stored == null) {
                return;
            }
            tat = stored.scaled().add(delta);
        }
        if (tat.compareTo(scaledNow) <= 0) {
            tats.remove(d.bucket());
        } else {
            tats.put(d.bucket(), new Tat(tat, d.limit().limit()));
        }
    }

}
