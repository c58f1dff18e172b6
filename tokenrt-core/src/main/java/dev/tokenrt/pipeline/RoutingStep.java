package dev.tokenrt.pipeline;

import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resolves the model to targets and runs the rest of the pipeline against each in turn: retries with
 * backoff on a retryable failure, then falls back to the next target. A stream is retried only while no
 * event has reached the client (its transport fails before returning the stream).
 */
public final class RoutingStep implements Interceptor {

    private static final Logger LOG = LoggerFactory.getLogger(RoutingStep.class);

    private final Router router;
    private final Function<String, RetryPolicy> retryPolicyByProvider;
    private final Sleeper sleeper;

    /** Waiting between retries, injectable so tests need not sleep. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    public RoutingStep(Router router, Function<String, RetryPolicy> retryPolicyByProvider, Sleeper sleeper) {
        this.router = router;
        this.retryPolicyByProvider = retryPolicyByProvider;
        this.sleeper = sleeper;
    }

    @Override
    public Outcome intercept(Chain chain) {
        Exchange ex = chain.exchange();
        String model = ex.request().model();
        List<Router.Target> targets = router.resolve(model);
        if (targets.isEmpty()) {
            return new Outcome.Failed(GatewayError.of(GatewayError.Kind.NOT_FOUND,
                    "The model '" + model + "' does not exist or no configured provider serves it.")
                    .withParam("model").withCode("model_not_found"), ex);
        }
        UpstreamException last = null;
        Exchange lastExchange = ex;
        for (int t = 0; t < targets.size(); t++) {
            Router.Target target = targets.get(t);
            Exchange routed = ex.withRequest(ex.request().withModel(target.upstreamModel()))
                    .withRoute(new Exchange.Route(target.provider(), target.upstreamModel()));
            if (!target.upstreamModel().equals(model)) {
                routed = routed.withDecision("route:" + model + "->" + target.provider() + "/" + target.upstreamModel());
            }
            if (t > 0) {
                routed = routed.withDecision("fallback:" + target.provider() + "/" + target.upstreamModel());
            }
            RetryPolicy policy = retryPolicyByProvider.apply(target.provider());
            for (int attempt = 0; ; attempt++) {
                Exchange attemptEx = attempt == 0 ? routed : routed.withDecision("retry:" + attempt);
                lastExchange = attemptEx;
                try {
                    return chain.proceed(attemptEx);
                } catch (UpstreamException e) {
                    last = e;
                    if (!e.retryable() || attempt >= policy.maxRetries()) {
                        LOG.info("request {}: {} failed on {}/{} ({}: {}), {}", ex.requestId(), model, target.provider(),
                                target.upstreamModel(), e.status(), e.getMessage(), t + 1 < targets.size() && e.retryable()
                                        ? "falling back" : "giving up");
                        break;
                    }
                    try {
                        sleeper.sleep(policy.delay(attempt + 1, e.retryAfter()));
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        return new Outcome.Failed(GatewayError.of(GatewayError.Kind.UNAVAILABLE, "interrupted"), attemptEx);
                    }
                }
            }
            if (!last.retryable()) {
                break;
            }
        }
        return new Outcome.Failed(upstreamError(last), lastExchange);
    }

    /** The caller sees the provider's status class, never the provider's key or raw internals. */
    static GatewayError upstreamError(UpstreamException e) {
        if (e.isTimeout()) {
            return GatewayError.of(GatewayError.Kind.TIMEOUT, "The upstream provider timed out: " + e.getMessage());
        }
        int s = e.status();
        GatewayError err;
        if (s == 429) {
            err = GatewayError.of(GatewayError.Kind.RATE_LIMITED, "The upstream provider is rate limiting: " + e.getMessage())
                    .withCode("upstream_rate_limited");
        } else if (s >= 400 && s < 500) {
            // The provider rejected the request itself (bad parameter, unknown model): pass its status through.
            err = GatewayError.of(GatewayError.Kind.INVALID_REQUEST, e.getMessage()).withStatus(s);
        } else if (s == 503) {
            err = GatewayError.of(GatewayError.Kind.UNAVAILABLE, "The upstream provider is unavailable: " + e.getMessage());
        } else {
            err = GatewayError.of(GatewayError.Kind.UPSTREAM, "The upstream provider failed: " + e.getMessage());
        }
        return e.retryAfter().map(err::withRetryAfter).orElse(err);
    }
}
