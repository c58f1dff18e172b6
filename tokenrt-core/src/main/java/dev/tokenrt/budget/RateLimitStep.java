package dev.tokenrt.budget;

import dev.tokenrt.pipeline.Exchange;
import dev.tokenrt.pipeline.GatewayError;
import dev.tokenrt.pipeline.Interceptor;
import dev.tokenrt.pipeline.Outcome;
import dev.tokenrt.pipeline.TokenCounting;
import dev.tokenrt.tokens.TokenCount;
import dev.tokenrt.usage.Usage;
import java.util.Locale;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a {@link GcraRateLimiter} in the pipeline (TokenRuntime's {@code beforeCall} slot, before the
 * budget step): the prompt's counted tokens and the request's {@code max_tokens} are taken from the buckets
 * before the call, and corrected to the actual usage when the response (or stream) is over, exactly like a
 * budget hold. A request that does not fit answers 429 {@code rate_limit_exceeded} with {@code retry-after}.
 *
 * <p>When the buckets cannot be checked (their store, or a key's own limits, cannot be read) the budgets' policy
 * applies: fail closed answers 503 {@code rate_limit_store_unavailable}; fail open lets the request through,
 * logged, with decision {@code rate_limit:unchecked}. (A fail-open shared store usually answers from its local
 * fallback instead, so this path is for what that cannot cover.)
 */
public final class RateLimitStep implements Interceptor {

    private static final Logger LOG = LoggerFactory.getLogger(RateLimitStep.class);

    private final GcraRateLimiter limiter;
    private final TokenCounting counting;
    private final int defaultOutputReserve;
    private final boolean failOpen;

    /**
     * @param defaultOutputReserve output tokens reserved when the client set no {@code max_tokens}; the
     *                             settle corrects it to what was generated
     */
    public RateLimitStep(GcraRateLimiter limiter, TokenCounting counting, int defaultOutputReserve) {
        this(limiter, counting, defaultOutputReserve, false);
    }

    /** @param failOpen what to do when the limits cannot be checked: true lets the request through unchecked */
    public RateLimitStep(GcraRateLimiter limiter, TokenCounting counting, int defaultOutputReserve, boolean failOpen) {
        this.limiter = limiter;
        this.counting = counting;
        this.defaultOutputReserve = defaultOutputReserve;
        this.failOpen = failOpen;
    }

    @Override
    public Outcome intercept(Chain chain) {
        Exchange ex = chain.exchange();
        String model = UsageEstimate.servedModel(ex);
        // Counted only if a limit on input tokens applies (and then handed on, so no later step counts again).
        LazyCount input = new LazyCount(ex, counting);
        long output = ex.request().maxTokens().isPresent() ? ex.request().maxTokens().getAsInt() : defaultOutputReserve;
        GcraRateLimiter.Decision d;
        try {
            d = limiter.acquire(ex.attribution(), model, input, output);
        } catch (CounterStoreUnavailableException | BudgetStoreException e) {
            if (failOpen) {
                LOG.warn("request {}: rate limits cannot be checked, proceeding unchecked (fail open): {}",
                        ex.requestId(), e.toString());
                return chain.proceed(ex.withDecision("rate_limit:unchecked"));
            }
            LOG.error("request {}: rate limits cannot be checked, refusing (fail closed): {}", ex.requestId(),
                    e.toString());
            return new Outcome.Failed(GatewayError.of(GatewayError.Kind.UNAVAILABLE,
                    "Rate limits cannot be checked right now; try again shortly.")
                    .withCode("rate_limit_store_unavailable"), ex);
        }
        if (d instanceof GcraRateLimiter.Decision.Limited l) {
            String what = "Rate limit '" + l.limit().id() + "' (" + l.limit().describe() + ", "
                    + l.limit().subject().name().toLowerCase(Locale.ROOT) + " '" + l.subjectId() + "')";
            GatewayError e;
            if (l.retryAfter().isPresent()) {
                e = GatewayError.of(GatewayError.Kind.RATE_LIMITED, what + " is reached; retry after "
                        + l.retryAfter().get().toMillis() + " ms.").withRetryAfter(l.retryAfter().get());
            } else {
                e = GatewayError.of(GatewayError.Kind.RATE_LIMITED, what + " allows at most " + l.limit().burst()
                        + " at once; this request needs " + l.requested() + ".");
            }
            return new Outcome.Failed(e.withCode("rate_limit_exceeded"), ex);
        }
        GcraRateLimiter.Permit permit = ((GcraRateLimiter.Decision.Allowed) d).permit();
        Exchange counted = input.counted().map(ex::withInputCount).orElse(ex);
        if (permit.isEmpty()) {
            return chain.proceed(counted); // no limit applies: nothing to correct, so no stream to watch
        }
        Settlement settlement = new Settlement() {
            @Override
            public void settle(Usage usage) {
                try {
                    permit.settle(usage.inputTokens(), usage.outputTokens());
                } catch (RuntimeException e) {
                    LOG.error("request {}: rate-limit correction failed; the buckets keep the reservation: {}",
                            ex.requestId(), e.toString());
                }
            }

            @Override
            public void release() {
                try {
                    permit.release();
                } catch (RuntimeException e) {
                    LOG.error("request {}: rate-limit refund failed; the buckets keep the reservation: {}",
                            ex.requestId(), e.toString());
                }
            }
        };
        Outcome outcome;
        try {
            outcome = chain.proceed(counted);
        } catch (RuntimeException | Error e) {
            settlement.release();
            throw e;
        }
        return switch (outcome) {
            case Outcome.Complete c -> {
                settlement.settle(UsageEstimate.of(c, counting, input.known()));
                yield c;
            }
            case Outcome.Streamed s -> new Outcome.Streamed(
                    new SettlingStream(s.events(), s.exchange(), counting, input.known(), settlement), s.exchange());
            case Outcome.Failed f -> {
                settlement.release();
                yield f;
            }
        };
    }

    /** The prompt's tokens, counted at most once and only when asked: the pipeline's count if it has one. */
    private static final class LazyCount implements LongSupplier {
        private final Exchange ex;
        private final TokenCounting counting;
        private Optional<TokenCount> made = Optional.empty();
        private boolean asked;

        LazyCount(Exchange ex, TokenCounting counting) {
            this.ex = ex;
            this.counting = counting;
        }

        @Override
        public long getAsLong() {
            if (ex.inputCount().isEmpty() && !asked) {
                asked = true;
                made = UsageEstimate.prompt(ex, counting);
            }
            // No tokenizer for the model: 0, and the settle corrects to the provider's figure.
            return known();
        }

        /** The tokens if counted, else 0: a fallback that costs nothing (the settle counts when it must). */
        long known() {
            return ex.inputCount().or(() -> made).map(TokenCount::tokens).orElse(0L);
        }

        /** The count this made, if it made one. */
        Optional<TokenCount> counted() {
            return made;
        }
    }
}
