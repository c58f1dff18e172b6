package dev.tokenrt.pipeline;

/**
 * Counts the prompt locally with the routed model's tokenizer (exact for OpenAI and open models, a
 * calibrated estimate otherwise). Budgets reserve against this count, and it stands in for usage when
 * the provider reports none. It runs after routing so that it counts for the model that will answer.
 */
public final class CountStep implements Interceptor {

    private final TokenCounting counting;

    public CountStep(TokenCounting counting) {
        this.counting = counting;
    }

    @Override
    public Outcome intercept(Chain chain) {
        Exchange ex = chain.exchange();
        String model = ex.route().map(Exchange.Route::upstreamModel).orElse(ex.request().model());
        try {
            return chain.proceed(ex.withInputCount(counting.prompt(ex.request(), model)));
        } catch (IllegalArgumentException e) {
            // No tokenizer for this model: proceed uncounted; accounting uses the provider's report.
            return chain.proceed(ex);
        }
    }
}
