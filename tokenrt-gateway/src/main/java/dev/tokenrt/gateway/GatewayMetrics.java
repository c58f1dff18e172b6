package dev.tokenrt.gateway;

import dev.tokenrt.ledger.LedgerEntry;
import dev.tokenrt.pipeline.RequestObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Prometheus metrics named after the OpenTelemetry GenAI semantic conventions ({@code gen_ai.client.token.usage}
 * by {@code gen_ai.token.type}, {@code gen_ai.client.operation.duration}, time to first chunk), plus what a
 * cost control plane adds: spend, requests by status, and the gateway's own overhead (total time minus the
 * time spent waiting for the provider).
 *
 * <p>Spend is exported in nano-dollars: a Prometheus counter is a double, which holds integers exactly up to
 * 2^53 nano-dollars (about 9 million dollars), so the figure stays exact where it matters.
 */
public final class GatewayMetrics implements RequestObserver {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, Long> upstreamNanos = new ConcurrentHashMap<>();
    private final Timer overheadTimer = Timer.builder("tokenrt.gateway.overhead")
            .description("Time the gateway adds to a non-streamed request (total minus the provider's time)")
            .publishPercentileHistogram().register(registry);

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** The provider call of a request took this long (up to the complete body, or up to the stream's start). */
    public void upstreamTime(String requestId, long nanos) {
        upstreamNanos.merge(requestId, nanos, Long::sum);
    }

    @Override
    public void finished(LedgerEntry e) {
        if (e.stream() || e.status() != 200) {
            // overhead() is only called for a complete non-streamed answer; forget the others' upstream time here,
            // or the map grows by one entry per streamed or failed request for the life of the process.
            upstreamNanos.remove(e.requestId());
        }
        String provider = e.provider().isEmpty() ? "none" : e.provider();
        String errorType = e.errorType().isEmpty() ? "none" : e.errorType();
        ModelMeters m = byModel.computeIfAbsent(new ModelKey(provider, e.modelRequested(), e.modelServed()),
                ModelMeters::new);
        m.token("input", e.usage().inputTokens());
        m.token("output", e.usage().outputTokens());
        m.token("cached_input", e.usage().cacheReadTokens());
        m.token("cache_write", e.usage().cacheWriteTokens());
        m.token("reasoning", e.usage().reasoningTokens());
        m.duration.computeIfAbsent(errorType, t -> Timer.builder("gen_ai.client.operation.duration")
                .description("GenAI operation duration as seen by the gateway's client")
                .tags(m.tags).tag("error.type", t)
                .publishPercentileHistogram()
                .register(registry)).record(Duration.ofMillis(e.latencyMillis()));
        if (e.stream() && e.firstChunkMillis() >= 0) {
            m.firstChunk().record(Duration.ofMillis(e.firstChunkMillis()));
        }
        m.cost().increment(e.costNanos());
        if (e.cache() != LedgerEntry.CacheOutcome.BYPASS) {
            cacheOutcomes.computeIfAbsent(e.cache(), o -> Counter.builder("tokenrt.cache.requests")
                    .description("Requests the response cache looked up, by outcome (hit, semantic, miss)")
                    .tag("outcome", o.name().toLowerCase(java.util.Locale.ROOT)).register(registry)).increment();
        }
        if (e.savedCostNanos() > 0 || e.savedInputTokens() > 0 || e.savedOutputTokens() > 0) {
            savedCost.increment(e.savedCostNanos());
            savedTokens.computeIfAbsent("input", t -> savedTokensCounter(t)).increment(e.savedInputTokens());
            savedTokens.computeIfAbsent("output", t -> savedTokensCounter(t)).increment(e.savedOutputTokens());
        }
        requests.computeIfAbsent(new RequestsKey(e.status(), provider, e.stream()), k ->
                Counter.builder("tokenrt.requests").description("Requests by HTTP status")
                        .tag("status", Integer.toString(k.status()))
                        .tag("gen_ai.provider.name", k.provider())
                        .tag("stream", Boolean.toString(k.stream()))
                        .register(registry)).increment();
    }

    /*
     * Meters are looked up once per label set and kept: building and registering them on every request (a
     * builder, a Tags merge and the registry's id lookup each) showed in the gateway's profile. Registration
     * stays lazy, at the same points as before, so the scrape lists exactly the same series.
     */
    private record ModelKey(String provider, String requested, String served) {
    }

    private record RequestsKey(int status, String provider, boolean stream) {
    }

    private final Map<ModelKey, ModelMeters> byModel = new ConcurrentHashMap<>();
    private final Map<RequestsKey, Counter> requests = new ConcurrentHashMap<>();

    private final class ModelMeters {
        final Tags tags;
        final Map<String, DistributionSummary> tokens = new ConcurrentHashMap<>();
        final Map<String, Timer> duration = new ConcurrentHashMap<>();
        private volatile Timer firstChunk;
        private volatile Counter cost;

        ModelMeters(ModelKey k) {
            tags = Tags.of("gen_ai.operation.name", "chat", "gen_ai.provider.name", k.provider(),
                    "gen_ai.request.model", k.requested(), "gen_ai.response.model", k.served());
        }

        Counter cost() {
            Counter c = cost;
            if (c == null) {
                c = Counter.builder("tokenrt.cost.nanodollars").description("Spend in nano-US-dollars")
                        .tags(tags).register(registry); // the registry returns the same counter if two race here
                cost = c;
            }
            return c;
        }

        void token(String type, long n) {
            if (n == 0 && !type.equals("input") && !type.equals("output")) {
                return;
            }
            tokens.computeIfAbsent(type, t -> DistributionSummary.builder("gen_ai.client.token.usage").baseUnit("{token}")
                    .description("Tokens used per request, by gen_ai.token.type")
                    .tags(tags).tag("gen_ai.token.type", t)
                    .register(registry)).record(n);
        }

        Timer firstChunk() {
            Timer t = firstChunk;
            if (t == null) {
                t = Timer.builder("gen_ai.client.operation.time_to_first_chunk")
                        .description("Time from request to the first streamed chunk")
                        .tags(tags).publishPercentileHistogram()
                        .register(registry);
                firstChunk = t;
            }
            return t;
        }
    }

    /**
     * A non-streamed request took {@code totalNanos} inside the gateway; the part not spent waiting for the
     * provider is the gateway's overhead.
     */
    public void overhead(String requestId, long totalNanos) {
        Long upstream = upstreamNanos.remove(requestId);
        if (upstream != null) {
            overheadTimer.record(Duration.ofNanos(Math.max(0, totalNanos - upstream)));
        }
    }

    private final Counter budgetFallback = Counter.builder("tokenrt.budget.store.fallback")
            .description("Budget operations counted locally because the shared counter store was unreachable (fail_open)")
            .register(registry);

    public void budgetStoreFallback() {
        budgetFallback.increment();
    }

    private final Map<LedgerEntry.CacheOutcome, Counter> cacheOutcomes = new ConcurrentHashMap<>();
    private final Map<String, Counter> savedTokens = new ConcurrentHashMap<>();
    private final Map<String, Counter> layerHits = new ConcurrentHashMap<>();
    private final Map<String, Counter> layerErrors = new ConcurrentHashMap<>();
    private final Counter savedCost = Counter.builder("tokenrt.cache.saved.nanodollars")
            .description("What cache hits would have cost upstream, in nano-US-dollars").register(registry);

    private Counter savedTokensCounter(String type) {
        return Counter.builder("tokenrt.cache.saved.tokens").description("Tokens cache hits did not have to buy")
                .tag("gen_ai.token.type", type).register(registry);
    }

    /** A lookup was answered by this layer (memory, redis, database). */
    public void cacheLayerHit(String layer) {
        layerHits.computeIfAbsent(layer, l -> Counter.builder("tokenrt.cache.layer.hits")
                .description("Cache lookups answered, by layer").tag("layer", l).register(registry)).increment();
    }

    /** A layer failed (and was treated as a miss) or dropped a write. */
    public void cacheLayerError(String layer, String operation) {
        layerErrors.computeIfAbsent(layer + "|" + operation, k -> Counter.builder("tokenrt.cache.layer.errors")
                .description("Cache layer operations that failed and were skipped")
                .tag("layer", layer).tag("operation", operation).register(registry)).increment();
    }

    private final Counter rateLimitFallback = Counter.builder("tokenrt.rate_limit.store.fallback")
            .description("Rate-limit checks made on local buckets because the shared store was unreachable (fail_open)")
            .register(registry);

    public void rateLimitStoreFallback() {
        rateLimitFallback.increment();
    }

    public String scrape() {
        return registry.scrape();
    }
}
