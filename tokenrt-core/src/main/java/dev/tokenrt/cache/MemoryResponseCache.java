package dev.tokenrt.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.tokenrt.chat.Part;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * The in-process layer (L1): Caffeine, bounded by an estimate of the bytes held and by each entry's own
 * expiry. Entries are kept decoded, so a hit costs a map lookup. Its expiry reads the injected clock, so
 * tests move time instead of waiting.
 */
public final class MemoryResponseCache implements ResponseCache {

    /** Per-entry overhead in the size estimate: the key, the record, its lists, the map node. */
    private static final int ENTRY_OVERHEAD_BYTES = 512;

    private final Cache<CacheKey, CachedResponse> cache;
    private final Clock clock;

    public MemoryResponseCache(long maxBytes, Clock clock) {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("the memory cache needs a positive size, got " + maxBytes);
        }
        this.clock = clock;
        this.cache = Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .weigher((CacheKey k, CachedResponse v) -> weight(k, v))
                .expireAfter(new Expiry<CacheKey, CachedResponse>() {
                    @Override
                    public long expireAfterCreate(CacheKey k, CachedResponse v, long now) {
                        return v.remaining(clock.instant()).toNanos();
                    }

                    @Override
                    public long expireAfterUpdate(CacheKey k, CachedResponse v, long now, long current) {
                        return v.remaining(clock.instant()).toNanos();
                    }

                    @Override
                    public long expireAfterRead(CacheKey k, CachedResponse v, long now, long current) {
                        return current;
                    }
                })
                .ticker(new ClockTicker(clock))
                .executor(Runnable::run)
                .build();
    }

    /** A rough size in bytes: two per character of text held, plus a fixed overhead. */
    static int weight(CacheKey k, CachedResponse v) {
        long chars = k.namespace().length() + k.hash().length() + v.model().length() + v.provider().length();
        for (Part p : v.response().content()) {
            chars += switch (p) {
                case Part.Text t -> t.text().length();
                case Part.ToolCall c -> c.id().length() + c.name().length() + c.arguments().length();
                case Part.Thinking th -> th.text().length() + th.signature().length();
                case Part.Image i -> i.url().length();
                case Part.ToolResult r -> r.content().length();
            };
        }
        for (String t : v.tags()) {
            chars += t.length();
        }
        return (int) Math.min(Integer.MAX_VALUE, ENTRY_OVERHEAD_BYTES + 2 * chars);
    }

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public Optional<CachedResponse> get(CacheKey key, Instant now) {
        CachedResponse v = cache.getIfPresent(key);
        return v == null || v.expiredAt(now) ? Optional.empty() : Optional.of(v);
    }

    @Override
    public void put(CacheKey key, CachedResponse value) {
        if (value.expiredAt(clock.instant())) {
            return;
        }
        cache.put(key, value);
    }

    @Override
    public long invalidate(Invalidation which) {
        if (which.everything()) {
            long n = cache.estimatedSize();
            cache.invalidateAll();
            return n;
        }
        long n = 0;
        for (Map.Entry<CacheKey, CachedResponse> e : cache.asMap().entrySet()) {
            if (which.matches(e.getKey(), e.getValue()) && cache.asMap().remove(e.getKey(), e.getValue())) {
                n++;
            }
        }
        return n;
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
