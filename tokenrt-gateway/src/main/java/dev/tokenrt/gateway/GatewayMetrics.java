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
        Tags model = Tags.of("gen_ai.operation.name", "chat", "gen_ai.provider.name", e.provider().isEmpty() ? "none" : e.provider(),
                "gen_ai.request.model", e.modelRequested(), "gen_ai.response.model", e.modelServed());
        token(model, "input", e.usage().inputTokens());
        token(model, "output", e.usage().outputTokens());
        token(model, "cached_input", e.usage().cacheReadTokens());
        token(model, "cache_write", e.usage().cacheWriteTokens());
        token(model, "reasoning", e.usage().reasoningTokens());
        Timer.builder("gen_ai.client.operation.duration")
                .description("GenAI operation duration as seen by the gateway's client")
                .tags(model).tag("error.type", e.errorType().isEmpty() ? "none" : e.errorType())
                .publishPercentileHistogram()
                .register(registry).record(Duration.ofMillis(e.latencyMillis()));
        if (e.stream() && e.firstChunkMillis() >= 0) {
            Timer.builder("gen_ai.client.operation.time_to_first_chunk")
                    .description("Time from request to the first streamed chunk")
                    .tags(model).publishPercentileHistogram()
                    .register(registry).record(Duration.ofMillis(e.firstChunkMillis()));
        }
        Counter.builder("tokenrt.cost.nanodollars").description("Spend in nano-US-dollars")
                .tags(model).register(registry).increment(e.costNanos());
        Counter.builder("tokenrt.requests").description("Requests by HTTP status")
                .tag("status", Integer.toString(e.status()))
                .tag("gen_ai.provider.name", e.provider().isEmpty() ? "none" : e.provider())
                .tag("stream", Boolean.toString(e.stream()))
                .register(registry).increment();
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

    private void token(Tags tags, String type, long n) {
        if (n == 0 && !type.equals("input") && !type.equals("output")) {
            return;
        }
        DistributionSummary.builder("gen_ai.client.token.usage").baseUnit("{token}")
                .description("Tokens used per request, by gen_ai.token.type")
                .tags(tags).tag("gen_ai.token.type", type)
                .register(registry).record(n);
    }

    private final Counter budgetFallback = Counter.builder("tokenrt.budget.store.fallback")
            .description("Budget operations counted locally because the shared counter store was unreachable (fail_open)")
            .register(registry);

    public void budgetStoreFallback() {
        budgetFallback.increment();
    }

    public String scrape() {
        return registry.scrape();
    }
}
