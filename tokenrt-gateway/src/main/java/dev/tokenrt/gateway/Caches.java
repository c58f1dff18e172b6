package dev.tokenrt.gateway;

import dev.tokenrt.cache.CacheStep;
import dev.tokenrt.cache.LayeredResponseCache;
import dev.tokenrt.cache.MemoryResponseCache;
import dev.tokenrt.cache.ResponseCache;
import dev.tokenrt.cache.SemanticStage;
import dev.tokenrt.pipeline.TokenCounting;
import dev.tokenrt.store.cache.JdbcResponseCache;
import dev.tokenrt.store.cache.RedisResponseCache;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's response cache, put together from the configuration: its layers (memory, Redis, the SQL
 * database), the pipeline step, and the sweep of expired entries. A layer that cannot be reached at start is
 * an error (the operator asked for it); one that fails later is a miss, logged and counted, never a failed
 * request.
 */
final class Caches implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Caches.class);
    private static final long LOG_EVERY_NANOS = 10_000_000_000L;

    private final CacheConfig config;
    private final Optional<CacheStep> step;
    private final Optional<LayeredResponseCache> cache;

    private Caches(CacheConfig config, Optional<CacheStep> step, Optional<LayeredResponseCache> cache) {
        this.config = config;
        this.step = step;
        this.cache = cache;
    }

    static Caches open(GatewayConfig gateway, Clock clock, TokenCounting counting, GatewayMetrics metrics,
            Optional<SemanticStage> semantic) {
        CacheConfig c = gateway.cache();
        if (!c.enabled()) {
            return new Caches(c, Optional.empty(), Optional.empty());
        }
        List<ResponseCache> layers = new ArrayList<>();
        try {
            if (c.memoryMaxBytes() > 0) {
                layers.add(new MemoryResponseCache(c.memoryMaxBytes(), clock));
            }
            if (c.redisUrl().isPresent()) {
                layers.add(RedisResponseCache.connect(c.redisUrl().get(), RedisResponseCache.Options.defaults()
                        .withKeyPrefix(c.redisKeyPrefix()).withCommandTimeout(c.redisTimeout()).withClock(clock)));
            }
            if (c.database()) {
                layers.add(JdbcResponseCache.open(gateway.databaseUrl(),
                        JdbcResponseCache.Options.defaults().withClock(clock)));
            }
        } catch (RuntimeException e) {
            layers.forEach(ResponseCache::close);
            throw e;
        }
        AtomicLong lastLog = new AtomicLong(System.nanoTime() - LOG_EVERY_NANOS - 1);
        LayeredResponseCache layered = new LayeredResponseCache(layers, new LayeredResponseCache.Listener() {
            @Override
            public void hit(String layer) {
                metrics.cacheLayerHit(layer);
            }

            @Override
            public void failed(String layer, String operation, RuntimeException e) {
                metrics.cacheLayerError(layer, operation);
                long now = System.nanoTime();
                long last = lastLog.get();
                if (now - last > LOG_EVERY_NANOS && lastLog.compareAndSet(last, now)) {
                    LOG.warn("response cache layer {} failed on {} (treated as a miss; answers come from upstream): {}",
                            layer, operation, e.toString());
                }
            }

            @Override
            public void dropped(String layer) {
                metrics.cacheLayerError(layer, "dropped");
            }
        });
        // With a shared Redis layer, identical requests on different replicas also make one upstream call.
        Optional<dev.tokenrt.cache.FlightCoordinator> flights = layers.stream()
                .filter(l -> l instanceof RedisResponseCache).map(l -> (dev.tokenrt.cache.FlightCoordinator) l)
                .findFirst();
        CacheStep s = new CacheStep(layered, c.settings(), clock, counting, semantic, flights);
        return new Caches(c, Optional.of(s), Optional.of(layered));
    }

    /** The step for the pipeline, when the cache is on. */
    Optional<CacheStep> step() {
        return step;
    }

    Optional<LayeredResponseCache> cache() {
        return cache;
    }

    CacheConfig config() {
        return config;
    }

    /** Drops expired entries from the shared layers (run periodically); memory expires by itself. */
    void sweep(Clock clock) {
        cache.ifPresent(l -> l.layers().forEach(layer -> {
            try {
                if (layer instanceof RedisResponseCache r) {
                    r.sweep(clock.instant());
                } else if (layer instanceof JdbcResponseCache j) {
                    j.sweep(clock.instant());
                }
            } catch (RuntimeException e) {
                LOG.warn("sweeping expired cache entries in {} failed: {}", layer.name(), e.toString());
            }
        }));
    }

    @Override
    public void close() {
        step.ifPresent(s -> s.drain(java.time.Duration.ofSeconds(5)));
        cache.ifPresent(LayeredResponseCache::close);
    }
}
