package dev.tokenrt.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The in-process layer (L1): Caffeine, bounded by the bytes held and by each entry's own expiry. Entries are kept
 * as their encoded bytes ({@link CacheCodec}) with a little metadata for expiry and invalidation, not as decoded
 * objects: a decoded answer is a dozen objects the collector must trace, and with every miss stored the live heap
 * grew by the whole layer. A new entry is visible at once as the object it was stored as, and encoded to bytes
 * by a background thread moments later, so the encoding is never on a request's path; a hit on an encoded entry
 * costs the inflate and parse of that one entry. Expiry reads the injected clock, so tests move time instead of
 * waiting.
 */
public final class MemoryResponseCache implements ResponseCache {

    /** Per-entry overhead in the weight: the key, the metadata record, the map node. */
    private static final int ENTRY_OVERHEAD_BYTES = 160;

    /**
     * What is kept per entry: the encoded answer (or, until the background thread has encoded it, the answer itself)
     * and what expiry and invalidation read without decoding it.
     */
    private record Stored(byte[] bytes, CachedResponse fresh, String model, Instant storedAt, Instant expiresAt,
            String[] tags) {

        int weight() {
            return bytes != null ? bytes.length : freshWeight(fresh);
        }

        CachedResponse value() {
            return fresh != null ? fresh : CacheCodec.decode(bytes);
        }

        boolean matches(CacheKey key, Invalidation which) {
            return which.namespace().map(ns -> ns.equals(key.namespace())).orElse(true)
                    && which.model().map(m -> m.equals(model)).orElse(true)
                    && which.tag().map(t -> java.util.Arrays.asList(tags).contains(t)).orElse(true)
                    && which.storedBefore().map(storedAt::isBefore).orElse(true);
        }
    }

    private final Cache<CacheKey, Stored> cache;
    private final Clock clock;
    /**
     * New entries wait here to be encoded. The encoder runs {@link #ENCODE_AFTER_MS} ms after the first entry of a
     * round and encodes every entry queued by then: handing it each entry as it came woke its thread once a
     * request (a system call and a context switch each, at 2,000 requests/s); this wakes it at most 50 times a
     * second, and never when idle.
     */
    private final ConcurrentLinkedQueue<Pending> pending = new ConcurrentLinkedQueue<>();
    /** Entries queued and not yet encoded (or given up); bounded by {@link #MAX_PENDING}. */
    private final AtomicInteger unencoded = new AtomicInteger();
    private final AtomicBoolean roundScheduled = new AtomicBoolean();
    private final ScheduledExecutorService encoder;
    private static final long ENCODE_AFTER_MS = 20;
    /** Beyond this many waiting entries new ones stay as they are, unencoded (as a busy encoder always allowed). */
    private static final int MAX_PENDING = 65_536;

    private record Pending(CacheKey key, Stored fresh) {
    }

    public MemoryResponseCache(long maxBytes, Clock clock) {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("the memory cache needs a positive size, got " + maxBytes);
        }
        this.clock = clock;
        this.cache = Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .weigher((CacheKey k, Stored v) -> ENTRY_OVERHEAD_BYTES + 2 * (k.namespace().length() + k.hash().length())
                        + v.weight())
                .expireAfter(new Expiry<CacheKey, Stored>() {
                    @Override
                    public long expireAfterCreate(CacheKey k, Stored v, long now) {
                        return remainingNanos(v);
                    }

                    @Override
                    public long expireAfterUpdate(CacheKey k, Stored v, long now, long current) {
                        return remainingNanos(v);
                    }

                    @Override
                    public long expireAfterRead(CacheKey k, Stored v, long now, long current) {
                        return current;
                    }
                })
                .ticker(new ClockTicker(clock))
                .executor(Runnable::run)
                .build();
        this.encoder = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tokenrt-cache-encoder");
            t.setDaemon(true);
            return t;
        });
    }

    /** An answer's size before encoding: two bytes a character of its text, plus a fixed overhead. */
    private static int freshWeight(CachedResponse v) {
        long chars = v.model().length() + v.provider().length() + v.response().id().length();
        for (dev.tokenrt.chat.Part p : v.response().content()) {
            chars += p.chars();
        }
        return (int) Math.min(Integer.MAX_VALUE, 512 + 2 * chars);
    }

    private long remainingNanos(Stored v) {
        Duration d = Duration.between(clock.instant(), v.expiresAt());
        return d.isNegative() ? 0 : d.toNanos();
    }

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public Optional<CachedResponse> get(CacheKey key, Instant now) {
        Stored v = cache.getIfPresent(key);
        if (v == null || !now.isBefore(v.expiresAt())) {
            return Optional.empty();
        }
        return Optional.of(v.value());
    }

    @Override
    public void put(CacheKey key, CachedResponse value) {
        if (value.expiredAt(clock.instant())) {
            return;
        }
        Stored fresh = new Stored(null, value, value.model().intern(), value.storedAt(), value.expiresAt(),
                value.tags().toArray(String[]::new));
        cache.put(key, fresh);
        if (unencoded.incrementAndGet() > MAX_PENDING) {
            unencoded.decrementAndGet(); // too busy: the entry stays as it is
            return;
        }
        pending.add(new Pending(key, fresh));
        if (roundScheduled.compareAndSet(false, true)) {
            try {
                encoder.schedule(this::encodeRound, ENCODE_AFTER_MS, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closed) {
                pending.clear();
                unencoded.set(0);
            }
        }
    }

    /** Encodes every entry queued so far; a put after the flag is cleared schedules the next round. */
    private void encodeRound() {
        roundScheduled.set(false);
        for (Pending p; (p = pending.poll()) != null; unencoded.decrementAndGet()) {
            Stored fresh = p.fresh();
            try {
                Stored encoded = new Stored(CacheCodec.encode(fresh.fresh()), null, fresh.model(), fresh.storedAt(),
                        fresh.expiresAt(), fresh.tags());
                cache.asMap().replace(p.key(), fresh, encoded); // unless it was replaced or removed meanwhile
            } catch (RuntimeException e) {
                // an entry that cannot be encoded stays as it is
            }
        }
    }

    /** Encodes every entry stored so far now, not at the round's time, and waits for it (tests, benchmarks). */
    public boolean encoded(long timeoutMillis) {
        if (unencoded.get() > 0) {
            try {
                encoder.execute(this::encodeRound);
            } catch (RejectedExecutionException closed) {
                return false;
            }
        }
        return LayeredResponseCache.await(() -> unencoded.get() == 0, System.nanoTime() + timeoutMillis * 1_000_000L);
    }

    @Override
    public void close() {
        encoder.shutdown();
    }

    @Override
    public long invalidate(Invalidation which) {
        if (which.everything()) {
            long n = cache.estimatedSize();
            cache.invalidateAll();
            return n;
        }
        // Decided and removed in one atomic step per key: the encoder may swap an entry's fresh form for its bytes
        // at any moment, and a remove(key, value) seen before that swap would then miss the entry and leave it.
        long n = 0;
        for (CacheKey k : cache.asMap().keySet()) {
            boolean[] removed = {false};
            cache.asMap().computeIfPresent(k, (key, v) -> {
                if (v.matches(key, which)) {
                    removed[0] = true;
                    return null;
                }
                return v;
            });
            if (removed[0]) {
                n++;
            }
        }
        return n;
    }

    /** The bytes the layer counts against its size now (tests). */
    long weightedBytes() {
        cache.cleanUp();
        return cache.policy().eviction().orElseThrow().weightedSize().orElseThrow();
    }

    @Override
    public long size() {
        cache.cleanUp();
        return cache.estimatedSize();
    }

    /** Caffeine's time from the injected clock, so expiry follows the same time as everything else. */
    private record ClockTicker(Clock clock) implements Ticker {
        @Override
        public long read() {
            Instant i = clock.instant();
            return Duration.ofSeconds(i.getEpochSecond(), i.getNano()).toNanos();
        }
    }
}
