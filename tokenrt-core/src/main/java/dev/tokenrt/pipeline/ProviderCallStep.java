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

    public ProviderCallStep(Map<String, ProviderTransport> transports) {
        this.transports = Map.copyOf(transports);
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
        if (ex.request().stream()) {
            return new Outcome.Streamed(transport.stream(ex.request(), route.upstreamModel()), ex);
        }
        ProviderResponse r = transport.complete(ex.request(), route.upstreamModel());
        return new Outcome.Complete(r.response(), ex, r.usageReported());
    }
}
