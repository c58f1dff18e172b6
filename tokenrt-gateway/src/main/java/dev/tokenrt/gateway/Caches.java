package dev.tokenrt.gateway;

import dev.tokenrt.cache.CacheStep;
import dev.tokenrt.cache.LayeredResponseCache;
import dev.tokenrt.cache.MemoryResponseCache;
import dev.tokenrt.cache.ResponseCache;
import dev.tokenrt.cache.SemanticCacheStage;
import dev.tokenrt.cache.SemanticStage;
import dev.tokenrt.cache.semantic.Embedder;
import dev.tokenrt.cache.semantic.FixedThresholdPolicy;
import dev.tokenrt.cache.semantic.SemanticCache;
import dev.tokenrt.cache.semantic.SemanticPolicy;
import dev.tokenrt.cache.semantic.VectorIndex;
import dev.tokenrt.cache.semantic.VerifiedPolicy;
import dev.tokenrt.cache.semantic.lucene.LuceneVectorIndex;
import dev.tokenrt.cache.semantic.onnx.EmbeddingModel;
import dev.tokenrt.cache.semantic.onnx.OnnxEmbedder;
import dev.tokenrt.cache.semantic.pgvector.PgVectorIndex;
import dev.tokenrt.ledger.UsageLedger;
import dev.tokenrt.pipeline.Pricing;
import dev.tokenrt.pipeline.TokenCounting;
import dev.tokenrt.store.cache.JdbcPolicyStates;
import dev.tokenrt.store.cache.JdbcResponseCache;
import dev.tokenrt.store.cache.RedisResponseCache;
import java.time.Clock;
import java.time.Instant;
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

    private final Optional<SemanticParts> semantic;
    private final Clock clock;

    private Caches(CacheConfig config, Optional<CacheStep> step, Optional<LayeredResponseCache> cache,
            Optional<SemanticParts> semantic, Clock clock) {
        this.clock = clock;
        this.config = config;
        this.step = step;
        this.cache = cache;
        this.semantic = semantic;
    }

    Optional<SemanticParts> semantic() {
        return semantic;
    }

    static Caches open(GatewayConfig gateway, Clock clock, TokenCounting counting, GatewayMetrics metrics,
            UpstreamHttp http, Pricing pricing, UsageLedger ledger) {
        CacheConfig c = gateway.cache();
        if (!c.enabled()) {
            return new Caches(c, Optional.empty(), Optional.empty(), Optional.empty(), clock);
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
        Optional<SemanticParts> semantic;
        try {
            semantic = c.semantic().enabled()
                    ? Optional.of(semantic(gateway, c.semantic(), clock, http, pricing, metrics, ledger))
                    : Optional.empty();
        } catch (RuntimeException e) {
            layered.close();
            throw e;
        }
        CacheStep s = new CacheStep(layered, c.settings(), clock, counting,
                semantic.map(p -> (SemanticStage) p.stage()), flights);
        return new Caches(c, Optional.of(s), Optional.of(layered), semantic, clock);
    }

    /**
     * The semantic stage's parts, closed with the cache; {@code states} keeps what a verified policy learns in the
     * database, under {@code stateKey}.
     */
    record SemanticParts(SemanticCacheStage stage, Embedder embedder, VectorIndex index,
            Optional<JdbcPolicyStates> states, String stateKey) {

        /** Saves what the verified policy has learnt (fixed policies learn nothing). */
        void saveState(Instant now) {
            if (states.isPresent() && stage.cache().policy() instanceof VerifiedPolicy v) {
                states.get().save(stateKey, v.snapshot().toBytes(), now);
            }
        }
    }

    /**
     * The embedder (ONNX in process, by language or by name, or a remote model through a configured provider), the
     * index (Lucene on disk, or pgvector) and the policy, as {@code cache.semantic} says.
     */
    private static SemanticParts semantic(GatewayConfig gateway, SemanticConfig sc, Clock clock, UpstreamHttp http,
            Pricing pricing, GatewayMetrics metrics, UsageLedger ledger) {
        Embedder embedder = switch (sc.embedder()) {
            case "auto" -> OnnxEmbedder.loadByLanguage();
            case "remote" -> {
                ProviderConfig p = gateway.providers().get(sc.remoteProvider().orElseThrow());
                if (p == null) {
                    throw new GatewayConfig.ConfigException("cache.semantic.remote.provider: no provider named '"
                            + sc.remoteProvider().get() + "' (configured: " + gateway.providers().keySet() + ")");
                }
                yield new ProviderEmbedder(p, sc.remoteModel().orElseThrow(), http, pricing, List.of(metrics),
                        ledger::append, clock);
            }
            default -> OnnxEmbedder.load(EmbeddingModel.byName(sc.embedder()));
        };
        VectorIndex index;
        try {
            index = sc.index().equals("pgvector") ? PgVectorIndex.connect(sc.indexUrl().orElseThrow())
                    : LuceneVectorIndex.open(sc.indexPath());
        } catch (RuntimeException e) {
            embedder.close();
            throw e;
        }
        SemanticPolicy policy = sc.policy().equals("fixed") ? new FixedThresholdPolicy(sc.threshold())
                : new VerifiedPolicy(verifiedSettings(sc), new java.util.SplittableRandom());
        SemanticCache cache = SemanticCache.builder(embedder, index).policy(policy).clock(clock).build();
        Optional<JdbcPolicyStates> states = Optional.empty();
        String stateKey = embedder.id() + "|" + (policy instanceof VerifiedPolicy v ? v.stateKey() : policy.name());
        if (policy instanceof VerifiedPolicy v) {
            // What this policy learnt before a restart, or what another replica learnt: restored, so a restart does
            // not begin with hundreds of verifications again. A state that cannot be read costs only that cold start.
            try {
                states = Optional.of(JdbcPolicyStates.open(gateway.databaseUrl()));
                states.get().load(stateKey).ifPresent(b -> v.restore(VerifiedPolicy.State.fromBytes(b)));
            } catch (RuntimeException e) {
                LOG.warn("the semantic policy starts cold: its saved state could not be read: {}", e.toString());
            }
        }
        LOG.info("semantic cache: embedder {}, index {} ({}), policy {}{}", embedder.id(), sc.index(),
                sc.index().equals("lucene") ? sc.indexPath().toAbsolutePath() : "PostgreSQL", policy.name(),
                policy instanceof VerifiedPolicy v && v.threshold().isPresent()
                        ? ", restored: serving from score " + v.threshold().getAsDouble() : "");
        return new SemanticParts(new SemanticCacheStage(cache, index), embedder, index, states, stateKey);
    }

    static VerifiedPolicy.Settings verifiedSettings(SemanticConfig sc) {
        VerifiedPolicy.Settings d = VerifiedPolicy.Settings.DEFAULT;
        return new VerifiedPolicy.Settings(sc.maxFalseHitRate(), sc.maxWrongShareOfHits(), d.confidence(),
                sc.auditRate(), d.boundaryVerifyRate(), d.boundaryWidth(), d.candidateFloor(), d.marginWeight(),
                d.marginCap(), d.minLabels(), d.window());
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

    /**
     * Drops expired entries from the shared layers and the semantic index, which this also makes durable (Lucene
     * commits here); run periodically. Memory expires by itself.
     */
    void sweep(Clock clock) {
        semantic.ifPresent(p -> {
            try {
                p.stage().sweep(clock.instant());
                p.saveState(clock.instant());
            } catch (RuntimeException e) {
                LOG.warn("sweeping the semantic index or saving its policy's state failed: {}", e.toString());
            }
        });
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
        semantic.ifPresent(p -> {
            try {
                p.saveState(clock.instant());
            } catch (RuntimeException e) {
                LOG.warn("saving the semantic policy's state failed: {}", e.toString());
            }
            try {
                p.index().close();
            } finally {
                p.embedder().close();
                p.states().ifPresent(JdbcPolicyStates::close);
            }
        });
    }
}
