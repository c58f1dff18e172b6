package dev.tokenrt.pipeline;

import dev.tokenrt.provider.ProviderResponse;
import dev.tokenrt.provider.ProviderTransport;
import java.util.Map;

/**
 * The terminal step: sends the request to the routed provider. Upstream failures are thrown as
 * {@link UpstreamException} so that {@link RoutingStep} can retry or fall back.
 */
public final class ProviderCallStep implements Interceptor {

    private final Map<String, ProviderTransport> transports;
    private final UpstreamTimer timer;

    /** Told how long each provider call took (for a stream: until it started), to separate overhead from waiting. */
    @FunctionalInterface
    public interface UpstreamTimer {
        void took(String requestId, long nanos);
    }

    public ProviderCallStep(Map<String, ProviderTransport> transports) {
        this(transports, (id, nanos) -> { });
    }

    public ProviderCallStep(Map<String, ProviderTransport> transports, UpstreamTimer timer) {
        this.transports = Map.copyOf(transports);
        this.timer = timer;
    }

    @Override
    public Outcome intercept(Chain chain) {
        Exchange ex = chain.exchange();
        Exchange.Route route = ex.route().orElseThrow(() -> new IllegalStateException("provider call before routing"));
        ProviderTransport transport = transports.get(route.provider());
        if (transport == null) {
            return new Outcome.Failed(GatewayError.of(GatewayError.Kind.NOT_FOUND,
                    "No provider named '" + route.provider() + "' is configured."), ex);
        }
        long start = System.nanoTime();
        try {
            if (ex.request().stream()) {
                return new Outcome.Streamed(transport.stream(ex.request(), route.upstreamModel()), ex);
            }
            ProviderResponse r = transport.complete(ex.request(), route.upstreamModel());
            return new Outcome.Complete(r.response(), ex, r.usageReported());
        } finally {
            timer.took(ex.requestId(), System.nanoTime() - start);
        }
    }
}
